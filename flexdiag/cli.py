"""Command line: options -> Settings -> runner -> renderer -> exit code. The only typer importer.

Exit codes (design.md): 0 all pass, 1 worst is warn, 2 worst is fail, 3 could not diagnose (bad
arguments or profile, internal error). Usage errors exit 3 with one line, never a traceback.
``health`` exits 0 (healthy) or 1 (unhealthy), as Docker's HEALTHCHECK expects.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from flexdiag import __version__

if TYPE_CHECKING:
    from flexdiag.model import Report
    from flexdiag.settings import Settings

EXIT_UNKNOWN = 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Check a network for the Flex hosted VoIP platform before phones are installed.",
    epilog="Exit codes: 0 pass, 1 warning, 2 failure, 3 could not diagnose.",
)


def _version(value: bool) -> None:
    if value:
        print(f"flexdiag {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
) -> None:
    """Check a network for the Flex hosted VoIP platform before phones are installed."""


def _opt(name: str, metavar: str, text: str) -> Any:
    return typer.Option(name, metavar=metavar, help=text)


# The profile options, shared by `run` and `watch` (settings.OPTIONS validates them).
SipServer = Annotated[str | None, _opt("--sip-server", "HOST",
                                       "SIP server [default: voip.gntel.nl]")]
SipPorts = Annotated[str | None, _opt("--sip-ports", "PORT[,PORT...]",
                                      "SIP UDP ports [default: 5060,38388]")]
StunServer = Annotated[str | None, _opt("--stun-server", "HOST[:PORT]",
                                        "STUN server [default: stun.gntel.nl:3478]")]
NtpServer = Annotated[str | None, _opt("--ntp-server", "HOST[:PORT]",
                                       "NTP server [default: ntp.gntel.nl:123]")]
PlatformRanges = Annotated[str | None, _opt(
    "--platform-ranges", "CIDR[,CIDR...]",
    "Platform address ranges [default: 194.140.246.0/24,91.215.4.0/22]")]
DnsServer = Annotated[str | None, _opt("--dns-server", "IP[:PORT]",
                                       "DNS server to ask [default: the system's]")]
RegistrationTime = Annotated[str | None, _opt("--registration-time", "SECONDS",
                                              "Phones' registration interval [default: 3600]")]
Timeout = Annotated[str | None, _opt("--timeout", "SECONDS",
                                     "Overall time budget of the quick run [default: 8]")]
NtpMaxOffset = Annotated[str | None, _opt("--ntp-max-offset", "SECONDS",
                                          "Warn when this host's clock is further off "
                                          "[default: 1]")]
MaxWait = Annotated[str | None, _opt("--max-wait", "SECONDS",
                                     "Time budget of the lifetime check "
                                     "[default: registration time + 32.5]")]
Profile = Annotated[str | None, _opt("--profile", "FILE",
                                     "TOML file with any of the settings above")]
Lang = Annotated[str | None, _opt(
    "--lang", "en|nl", "Language of summaries and advice [default: from the locale, "
    "or $FLEXDIAG_LANG]")]
HistoryPath = Annotated[str | None, _opt(
    "--history", "PATH", "History file [default: $FLEXDIAG_HISTORY or "
    "~/.local/state/flexdiag/history.sqlite]")]


def _language(lang: str | None) -> None:
    from flexdiag import i18n

    chosen = lang or os.environ.get("FLEXDIAG_LANG") or i18n.default_language(os.environ)
    try:
        i18n.activate(chosen)
    except i18n.LanguageError as exc:
        _fail(f"--lang: {exc}")


def _settings(profile: str | None, **options: str | None) -> Settings:
    from flexdiag.settings import SettingsError, load_settings

    cli = {"--" + name.replace("_", "-"): value for name, value in options.items()}
    try:
        return load_settings(cli, os.environ, profile)
    except SettingsError as exc:
        _fail(str(exc))


@app.command()
def run(
    sip_server: SipServer = None, sip_ports: SipPorts = None, stun_server: StunServer = None,
    ntp_server: NtpServer = None, platform_ranges: PlatformRanges = None,
    dns_server: DnsServer = None, registration_time: RegistrationTime = None,
    timeout: Timeout = None, ntp_max_offset: NtpMaxOffset = None, max_wait: MaxWait = None,
    lifetime: Annotated[bool, typer.Option(
        "--lifetime", help="Also measure how long the router keeps idle UDP mappings "
        "(slow: up to the registration time; Ctrl-C reports what was found so far)")] = False,
    profile: Profile = None,
    fmt: Annotated[str, _opt("--format", "text|json|markdown",
                             "Report format [default: text]")] = "text",
    json_output: Annotated[bool, typer.Option(
        "--json", help="Short for --format json (schema flexdiag.report/1)")] = False,
    output: Annotated[str | None, _opt("--output", "FILE",
                                       "Write the report to FILE instead of stdout")] = None,
    redact: Annotated[bool, typer.Option(
        "--redact", help="Remove public addresses and host names, for sharing")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="Print only a one-line summary")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Add every check's evidence (text)")] = False,
    lang: Lang = None,
) -> None:
    """Run the diagnostic: DNS, STUN and NAT behaviour, SIP OPTIONS, SIP ALG, NTP.

    Every setting can also come from a FLEXDIAG_* environment variable (FLEXDIAG_SIP_SERVER,
    ...) or a --profile file; an option beats the environment, which beats the file.

    Examples:

      flexdiag run                          # on the customer LAN, before phones go in

      flexdiag run --json > ticket.json     # evidence for a support ticket

      flexdiag run --format markdown --redact --output ticket.md

      flexdiag run --lifetime               # also: how long the router keeps mappings

      flexdiag run --lang nl --sip-ports 38388
    """
    from flexdiag.render import Format

    _language(lang)
    try:
        chosen = Format.JSON if json_output else Format(fmt)
    except ValueError:
        _fail(f"--format: {fmt!r} is not one of text, json, markdown")
    settings = _settings(profile, sip_server=sip_server, sip_ports=sip_ports,
                         stun_server=stun_server, ntp_server=ntp_server,
                         platform_ranges=platform_ranges, dns_server=dns_server,
                         registration_time=registration_time, timeout=timeout,
                         ntp_max_offset=ntp_max_offset, max_wait=max_wait)
    raise typer.Exit(_run(settings, chosen, lifetime=lifetime, output=output, redact=redact,
                          quiet=quiet, verbose=verbose))


async def _run_checks(settings: Settings, lifetime: bool, progress: Any,
                      interrupt: Any = None) -> Report:
    """Run the checks. Without an ``interrupt`` event given, the first Ctrl-C ends slow checks
    early (they report what they found) and a second one aborts."""
    import asyncio
    import signal

    from flexdiag import runner
    from flexdiag.checks import checks_for

    loop = asyncio.get_running_loop()
    own = interrupt is None
    event = asyncio.Event() if own else interrupt
    main_task = asyncio.current_task()

    def on_sigint() -> None:
        if event.is_set() and main_task is not None:
            main_task.cancel()
        event.set()

    if own:
        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            own = False
    try:
        return await runner.run(
            settings, checks_for(settings, lifetime=lifetime),
            on_result=getattr(progress, "update", None),
            on_progress=getattr(progress, "note", None),
            interrupt=event,
        )
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        if own:
            loop.remove_signal_handler(signal.SIGINT)


def _run(settings: Settings, fmt: Any, *, lifetime: bool = False, output: str | None = None,
         redact: bool = False, quiet: bool = False, verbose: bool = False) -> int:
    import asyncio

    from flexdiag.render import render
    from flexdiag.render.json import from_dict, to_dict
    from flexdiag.render.redact import redact as redacted
    from flexdiag.render.text import one_line

    if sys.stderr.isatty():
        from flexdiag.checks import checks_for
        from flexdiag.render.text import Progress

        with Progress(len(checks_for(settings, lifetime=lifetime))) as progress:
            report = asyncio.run(_run_checks(settings, lifetime, progress))
    else:
        report = asyncio.run(_run_checks(settings, lifetime, None))
    data = to_dict(report)
    if redact:
        data = redacted(data)
    if quiet:
        sys.stdout.write(one_line(from_dict(data)) + "\n")
        return report.status.exit_code
    text = render(data, fmt, verbose=verbose)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            _fail(f"--output {output}: {exc.strerror or exc}")
        sys.stderr.write(one_line(from_dict(data)) + "\n")
    else:
        sys.stdout.write(text)
    return report.status.exit_code


@app.command()
def explain(
    code: Annotated[str, typer.Argument(metavar="CODE", help="A SIP response code, e.g. 408")],
    lang: Lang = None,
) -> None:
    """Explain a SIP response code: its meaning (platform FAQ section 7), typical cause and
    what to check on the Flex platform.

    Example: flexdiag explain 408
    """
    from flexdiag.i18n import _
    from flexdiag.sipcodes import explain as explain_code

    _language(lang)
    try:
        e = explain_code(int(code.strip()))
    except ValueError:
        _fail(f"{code!r} is not a SIP response code (100-699)")
    lines = [f"{e.code} {e.phrase} ({e.class_name})",
             _("Meaning") + ": " + e.meaning,
             _("Typical cause") + ": " + e.cause,
             _("What to check") + ": " + e.check]
    if not e.in_faq:
        lines.append(_("This code is not in the platform FAQ's list (section 7); its class "
                       "says what it means."))
    print("\n".join(lines))


@app.command()
def watch(
    interval: Annotated[str, _opt("--interval", "DURATION",
                                  "Time between runs, e.g. 300, 5m, 1h [default: 5m]")] = "5m",
    lifetime_every: Annotated[str | None, _opt(
        "--lifetime-every", "DURATION", "Also run the slow lifetime check this often "
        "(e.g. 24h) [default: never]")] = None,
    output: Annotated[str | None, _opt(
        "--output", "FILE", "Append the JSON lines to FILE instead of stdout")] = None,
    metrics_listen: Annotated[str | None, _opt(
        "--metrics-listen", "[ADDR:]PORT", "Serve Prometheus metrics on /metrics "
        "(ADDR defaults to 127.0.0.1)")] = None,
    metrics_file: Annotated[str | None, _opt(
        "--metrics-file", "PATH", "Write metrics for node-exporter's textfile collector "
        "(atomically)")] = None,
    history: HistoryPath = None,
    keep: Annotated[int, typer.Option("--keep", metavar="N",
                                      help="Runs kept in the history [default: 500]")] = 500,
    sip_server: SipServer = None, sip_ports: SipPorts = None, stun_server: StunServer = None,
    ntp_server: NtpServer = None, platform_ranges: PlatformRanges = None,
    dns_server: DnsServer = None, registration_time: RegistrationTime = None,
    timeout: Timeout = None, ntp_max_offset: NtpMaxOffset = None, max_wait: MaxWait = None,
    profile: Profile = None,
    lang: Lang = None,
) -> None:
    """Run the diagnostic on a schedule: one JSON report per line, history, metrics.

    Logs a line on stderr whenever a check changes status (e.g. "sip.alg pass -> fail").
    Stops cleanly on SIGTERM or SIGINT.
    """
    from flexdiag.settings import SettingsError, parse_duration, parse_listen

    _language(lang)
    settings = _settings(profile, sip_server=sip_server, sip_ports=sip_ports,
                         stun_server=stun_server, ntp_server=ntp_server,
                         platform_ranges=platform_ranges, dns_server=dns_server,
                         registration_time=registration_time, timeout=timeout,
                         ntp_max_offset=ntp_max_offset, max_wait=max_wait)
    try:
        interval_s = parse_duration(interval)
        lifetime_s = parse_duration(lifetime_every) if lifetime_every else None
        listen = parse_listen(metrics_listen) if metrics_listen else None
    except SettingsError as exc:
        _fail(f"watch: {exc}")
    if keep < 1:
        _fail("--keep: must be at least 1")
    from flexdiag.service import run_watch

    raise typer.Exit(run_watch(settings, interval_s=interval_s, lifetime_every_s=lifetime_s,
                               output=output, listen=listen, metrics_file=metrics_file,
                               history_path=history, keep=keep,
                               run_checks=_run_checks, fail=_fail))


@app.command()
def history(
    history: HistoryPath = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N",
                                       help="How many runs to show [default: 20]")] = 20,
) -> None:
    """Show the recent runs of `flexdiag watch` and the status changes between them."""
    from flexdiag.service import show_history

    raise typer.Exit(show_history(history, limit, fail=_fail))


@app.command()
def health(
    history: HistoryPath = None,
    max_age: Annotated[str, _opt("--max-age", "DURATION",
                                 "Unhealthy when the last run is older [default: 15m]")] = "15m",
) -> None:
    """Exit 0 if the latest recorded run is recent and not failing, else 1 (for Docker's
    HEALTHCHECK). Reads the history only: sends no packets."""
    from flexdiag.service import check_health
    from flexdiag.settings import SettingsError, parse_duration

    try:
        max_age_s = parse_duration(max_age)
    except SettingsError as exc:
        _fail(f"--max-age: {exc}")
    raise typer.Exit(check_health(history, max_age_s))


def _fail(message: str) -> NoReturn:
    print(f"flexdiag: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_UNKNOWN)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point: run the app and map every outcome to an exit code."""
    from typer.exceptions import TyperException

    try:
        code = app(args=argv, prog_name="flexdiag", standalone_mode=False)
    except TyperException as exc:  # usage errors from typer's command-line parser
        text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        _fail(text.splitlines()[0] + " (see 'flexdiag --help')")
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted")
    except OSError as exc:  # e.g. stdout closed by a pipe
        _fail(str(exc))
    except Exception as exc:  # an internal error: one line, exit 3, never a traceback
        _fail(f"internal error: {type(exc).__name__}: {exc}")
    sys.exit(code if isinstance(code, int) else 0)
