"""Command line: options -> Settings -> runner -> renderer -> exit code. The only typer importer.

Exit codes (design.md): 0 all pass, 1 worst is warn, 2 worst is fail, 3 could not diagnose (bad
arguments or profile, internal error). Usage errors exit 3 with one line, never a traceback.
``health`` exits 0 (healthy) or 1 (unhealthy), as Docker's HEALTHCHECK expects.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from flexdiag import __version__

if TYPE_CHECKING:
    from flexdiag.settings import Settings

EXIT_UNKNOWN = 3
_ARGV: list[str] = []  # the command line as given, for the report's environment

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
    return typer.Option(name, metavar=metavar, help=text, show_default=False)


def profile_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command one option per profile setting (:data:`flexdiag.settings.OPTIONS`:
    names, metavars, help and defaults are declared there, once), collected into its
    ``settings_options`` argument as ``{"--sip-server": text or None, ...}``."""
    from flexdiag.settings import OPTIONS

    added = [inspect.Parameter(
        opt.field, inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[str | None, _opt(opt.option, opt.metavar,
                                              f"{opt.help} [default: {opt.default}]")])
        for opt in OPTIONS]
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
           for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name != "settings_options"]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        given = {opt.option: kwargs.pop(opt.field) for opt in OPTIONS}
        return command(settings_options=given, **kwargs)

    params = [*added, *own]
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must read the signature above, not the command's
    return wrapper


Profile = Annotated[str | None, _opt("--profile", "FILE",
                                     "TOML file with any of the settings above")]
Lang = Annotated[str | None, _opt(
    "--lang", "en|nl", "Language of summaries and advice [default: from the locale, "
    "or $FLEXDIAG_LANG]")]
HistoryPath = Annotated[str | None, _opt(
    "--history", "PATH", "History file [default: $FLEXDIAG_HISTORY or "
    "~/.local/state/flexdiag/history.sqlite]")]


def _given(*options: tuple[str, str | None]) -> None:
    """An option given with an empty value is an error, never "not given"."""
    for name, value in options:
        if value is not None and not value.strip():
            _fail(f"{name}: empty value (leave it out for the default)")


def _language(lang: str | None) -> None:
    from flexdiag import i18n

    _given(("--lang", lang))
    chosen = lang or os.environ.get("FLEXDIAG_LANG") or i18n.default_language(os.environ)
    try:
        i18n.activate(chosen)
    except i18n.LanguageError as exc:
        _fail(f"--lang: {exc}")


def _settings(profile: str | None, options: dict[str, str | None]) -> Settings:
    from flexdiag.settings import SettingsError, load_settings

    try:
        return load_settings(options, os.environ, profile)
    except SettingsError as exc:
        _fail(str(exc))


@app.command()
@profile_options
def run(
    settings_options: dict[str, str | None],
    quick: Annotated[bool, typer.Option(
        "--quick", help="Skip watching a quiet phone's mapping (FAQ item 6): done in about a "
        "second, headline 'Ready so far'")] = False,
    lifetime: Annotated[bool, typer.Option(
        "--lifetime", help="Watch a quiet phone's mapping for the whole registration "
        "interval, not only the --horizon (slow; Ctrl-C reports what was found so "
        "far)")] = False,
    profile: Profile = None,
    fmt: Annotated[str, _opt("--format", "text|json|markdown",
                             "Report format")] = "text",
    json_output: Annotated[bool, typer.Option(
        "--json", help="Short for --format json (schema flexdiag.report/1)")] = False,
    output: Annotated[str | None, _opt("--output", "FILE",
                                       "Write the report to FILE instead of stdout")] = None,
    redact: Annotated[bool, typer.Option(
        "--redact", help="Remove public addresses and host names, for sharing")] = False,
    note: Annotated[str | None, typer.Option(
        "--note", metavar="TEXT", help="Your own words for the ticket (site, installer, what "
        "was changed): in every format")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="Print only a one-line summary")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Add every check's evidence (text)")] = False,
    lang: Lang = None,
) -> None:
    """Run the diagnostic: DNS, STUN and NAT behaviour, SIP OPTIONS, SIP ALG, NTP, and how
    long the router keeps a quiet phone's mapping (up to --horizon, 180 s; most routers are
    judged much sooner). Every other check reports at once.

    Every setting can also come from a FLEXDIAG_* environment variable (FLEXDIAG_SIP_SERVER,
    ...) or a --profile file; an option beats the environment, which beats the file.

    Examples:

      flexdiag run                          # on the customer LAN, before phones go in

      flexdiag run --quick                  # about a second; FAQ item 6 left unmeasured

      flexdiag run --json > ticket.json     # evidence for a support ticket

      flexdiag run --format markdown --redact --output ticket.md

      flexdiag run --lifetime               # the whole registration interval (slow)

      flexdiag run --lang nl --sip-ports 38388
    """
    from flexdiag.render import Format

    _language(lang)
    try:
        chosen = Format.JSON if json_output else Format(fmt)
    except ValueError:
        _fail(f"--format: {fmt!r} is not one of text, json, markdown")
    _given(("--output", output), ("--profile", profile))
    if quick and lifetime:
        _fail("--quick and --lifetime: choose one (--quick measures no lifetime, --lifetime "
              "the whole registration interval)")
    settings = _settings(profile, settings_options)
    from flexdiag.vocab import LifetimeMode

    mode = (LifetimeMode.QUICK if quick else LifetimeMode.FULL if lifetime
            else LifetimeMode.HORIZON)
    passwords = _call_passwords(settings.call_accounts)
    try:
        code = _run(settings, chosen, lifetime=mode, output=output, redact=redact,
                    quiet=quiet, verbose=verbose, note=note, call_passwords=passwords)
    except KeyboardInterrupt:  # the second Ctrl-C (the first ends slow checks early)
        _fail("interrupted twice: stopped without a report")
    raise typer.Exit(code)


CALL_PASSWORDS_ENV = "FLEXDIAG_CALL_PASSWORDS"


def _call_passwords(accounts: tuple[str, ...]) -> tuple[str, ...]:
    """The test call's passwords: $FLEXDIAG_CALL_PASSWORDS (``A,B``, the accounts' order), or
    asked on the terminal without echo. Never an argument; never printed."""
    if not accounts:
        return ()
    given = os.environ.get(CALL_PASSWORDS_ENV)
    if given is not None:
        parts = given.split(",")
        if len(parts) != len(accounts) or not all(parts):
            _fail(f"{CALL_PASSWORDS_ENV}: give {len(accounts)} passwords separated by a "
                  "comma, in the order of --call-accounts (a password with a comma in it: "
                  "leave the variable unset and type them when asked)")
        return tuple(parts)
    if not sys.stdin.isatty():
        _fail(f"--call-accounts: no passwords: set {CALL_PASSWORDS_ENV}=A,B (in the order of "
              "the accounts), or run on a terminal to be asked")
    import getpass

    try:
        typed = tuple(getpass.getpass(f"Password for {user}: ") for user in accounts)
    except (EOFError, KeyboardInterrupt):
        _fail("--call-accounts: no password given")
    if not all(typed):
        _fail("--call-accounts: an empty password")
    return typed


def _run(settings: Settings, fmt: Any, *, lifetime: Any = False, output: str | None = None,
         redact: bool = False, quiet: bool = False, verbose: bool = False,
         note: str | None = None, call_passwords: tuple[str, ...] = ()) -> int:
    import asyncio
    import dataclasses

    from flexdiag.evidence import MAX_LINE, bound_text
    from flexdiag.render import Format, render
    from flexdiag.render.redact import redact as redacted
    from flexdiag.render.text import one_line
    from flexdiag.runner import run_interruptible

    if sys.stderr.isatty():
        import time

        from flexdiag.checks import checks_for
        from flexdiag.render.text import Progress

        ids = tuple(c.id for c in checks_for(settings, lifetime=lifetime))
        with Progress(len(ids), check_ids=ids,
                      deadline=time.monotonic() + settings.timeout_s) as progress:
            report = asyncio.run(run_interruptible(settings, lifetime, progress, argv=_ARGV,
                                                   on_signal=_said,
                                                   call_passwords=call_passwords))
    else:
        report = asyncio.run(run_interruptible(settings, lifetime, None, argv=_ARGV,
                                               on_signal=_said, call_passwords=call_passwords))
    if note and note.strip():  # the installer's words, one bounded line (escaped by renderers)
        report = dataclasses.replace(report, note=bound_text(" ".join(note.split()), MAX_LINE))
    if redact:
        report = redacted(report)
    if quiet:
        sys.stdout.write(one_line(report) + "\n")
        return report.status.exit_code
    if fmt is Format.TEXT and not output and sys.stdout.isatty():
        # Straight to the terminal, so that rich colours it (and honours NO_COLOR).
        from flexdiag.render.text import render as render_text

        render_text(report, sys.stdout, verbose=verbose)
        return report.status.exit_code
    text = render(report, fmt, verbose=verbose)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            _fail(f"--output {output}: {exc.strerror or exc}")
        sys.stderr.write(one_line(report) + "\n")
    else:
        sys.stdout.write(text)
    return report.status.exit_code


@app.command()
def explain(
    code: Annotated[str, typer.Argument(metavar="CODE", help="A SIP response code, e.g. 408")],
    lang: Lang = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="The explanation as one JSON object")] = False,
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
        _fail(f"{code!r} is not a SIP response code (100-699; see 'flexdiag explain --help')")
    if json_output:
        import json

        print(json.dumps({"code": e.code, "phrase": e.phrase, "class": e.class_name,
                          "in_faq": e.in_faq, "meaning": e.meaning, "cause": e.cause,
                          "check": e.check}, ensure_ascii=False))
        return
    lines = [f"{e.code} {e.phrase} ({e.class_name})",
             _("Meaning") + ": " + e.meaning,
             _("Typical cause") + ": " + e.cause,
             _("What to check") + ": " + e.check]
    if not e.in_faq:
        lines.append(_("This code is not in the platform FAQ's list (section 7); its class "
                       "says what it means."))
    print("\n".join(lines))


@app.command()
@profile_options
def watch(
    settings_options: dict[str, str | None],
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
    keep: Annotated[int, typer.Option("--keep", metavar="N", show_default=False,
                                      help="Runs kept in the history [default: 500]")] = 500,
    site: Annotated[str | None, typer.Option(
        "--site", metavar="NAME", envvar="FLEXDIAG_SITE", show_envvar=False,
        help="Site name: a 'site' label on every metric, and the Pushgateway's grouping "
             "key")] = None,
    pushgateway: Annotated[str | None, typer.Option(
        "--pushgateway", metavar="URL", envvar="FLEXDIAG_PUSHGATEWAY", show_envvar=False,
        help="Push the metrics to this Prometheus Pushgateway after every run (needs "
             "--site)")] = None,
    pushgateway_user: Annotated[str | None, typer.Option(
        "--pushgateway-user", metavar="USER", envvar="FLEXDIAG_PUSHGATEWAY_USER",
        show_envvar=False, help="Basic-auth user for the Pushgateway (password: "
                                "FLEXDIAG_PUSHGATEWAY_PASSWORD)")] = None,
    report_url: Annotated[str | None, typer.Option(
        "--report-url", metavar="URL", envvar="FLEXDIAG_REPORT_URL", show_envvar=False,
        help="POST every JSON report (with its plan) to this HTTP endpoint; the site, if "
             "given, in the X-Flexdiag-Site header")] = None,
    report_user: Annotated[str | None, typer.Option(
        "--report-user", metavar="USER", envvar="FLEXDIAG_REPORT_USER", show_envvar=False,
        help="Basic-auth user for --report-url (password: FLEXDIAG_REPORT_PASSWORD)")] = None,
    profile: Profile = None,
    lang: Lang = None,
) -> None:
    """Run the diagnostic on a schedule: one JSON report per line, history, metrics.

    Logs a line on stderr whenever a check changes status (e.g. "sip.alg pass -> fail").
    Stops cleanly on SIGTERM or SIGINT.
    """
    from flexdiag.settings import SettingsError, parse_duration, parse_listen, parse_site
    from flexdiag.watch import min_interval_s

    _language(lang)
    _given(("--lifetime-every", lifetime_every), ("--output", output),
           ("--metrics-listen", metrics_listen), ("--metrics-file", metrics_file),
           ("--history", history), ("--profile", profile), ("--site", site),
           ("--pushgateway", pushgateway), ("--pushgateway-user", pushgateway_user),
           ("--report-url", report_url), ("--report-user", report_user))
    settings = _settings(profile, settings_options)
    if settings.call_accounts:  # a test call is an installer's, on site: not every interval
        _fail("--call-accounts: a test call is for 'flexdiag run', not for the watch")
    push = _push_target(pushgateway, site, pushgateway_user)
    report = _report_target(report_url, site, report_user)
    try:
        interval_s = parse_duration(interval)
        lifetime_s = parse_duration(lifetime_every) if lifetime_every else None
        floor_s = min_interval_s(os.environ)
        if interval_s < floor_s:
            raise SettingsError(f"--interval {interval}: at least {floor_s:g} s (each run "
                                "opens flows in the router's table)")
        listen = parse_listen(metrics_listen) if metrics_listen is not None else None
        site = parse_site(site) if site is not None else None
    except SettingsError as exc:
        _fail(f"watch: {exc}")
    from flexdiag.history import MAX_KEEP

    if not 1 <= keep <= MAX_KEEP:
        _fail(f"--keep: must be 1 to {MAX_KEEP}")
    from flexdiag.service import ServiceError, run_watch

    try:
        code = run_watch(settings, interval_s=interval_s, lifetime_every_s=lifetime_s,
                         output=output, listen=listen, metrics_file=metrics_file,
                         history_path=history, keep=keep, site=site, push=push,
                         argv=_ARGV, report=report)
    except ServiceError as exc:
        _fail(str(exc))
    raise typer.Exit(code)


@app.command()
def history(
    history: HistoryPath = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N",
                                       help="How many runs to show")] = 20,
) -> None:
    """Show the recent runs of `flexdiag watch` and the status changes between them."""
    from flexdiag.service import ServiceError, show_history

    try:
        code = show_history(history, limit)
    except ServiceError as exc:
        _fail(str(exc))
    raise typer.Exit(code)


@app.command()
def health(
    history: HistoryPath = None,
    max_age: Annotated[str, _opt("--max-age", "DURATION",
                                 "Unhealthy when the last run is older [default: 15m]")] = "15m",
    verdict: Annotated[bool, typer.Option(
        "--verdict", help="Is the site ready? Exit 1 while a check fails (the lifetime "
        "and audio verdicts of the last slow run included), for alerting")] = False,
) -> None:
    """Exit 0 if the watch is alive: a run ended within --max-age (Docker's HEALTHCHECK, a
    liveness probe), else 1. With --verdict: 0 only if the site is ready. Reads the history
    only: sends no packets."""
    from flexdiag.service import check_health
    from flexdiag.settings import SettingsError, parse_duration

    try:
        max_age_s = parse_duration(max_age)
    except SettingsError as exc:
        _fail(f"--max-age: {exc}")
    raise typer.Exit(check_health(history, max_age_s, verdict))


def _push_target(url: str | None, site: str | None, user: str | None) -> Any:
    """``--pushgateway`` with its site and credentials, checked (``None``: no push)."""
    from flexdiag.push import PushTarget
    from flexdiag.settings import SettingsError, parse_push_url, parse_site

    if url is None:
        if user is not None:
            _fail("--pushgateway-user: only with --pushgateway URL")
        return None
    if site is None:
        _fail("--pushgateway: give --site NAME too (the grouping key that keeps the sites "
              "apart on the gateway)")
    password = _password(user, "--pushgateway-user", "FLEXDIAG_PUSHGATEWAY_PASSWORD")
    try:
        return PushTarget(parse_push_url(url), parse_site(site), user, password)
    except SettingsError as exc:
        _fail(f"--pushgateway: {exc}")


def _password(user: str | None, user_option: str, variable: str) -> str | None:
    """Basic auth's password, from the environment only (never a command line every user of
    the host can read), and only together with the user: sending unauthenticated instead
    would only show as a 401 in the log, once."""
    password = os.environ.get(variable)
    if user is None and password:
        _fail(f"{variable} is set: give {user_option} USER too")
    if user is not None and not password:
        _fail(f"{user_option}: set the password in {variable} too")
    return password


def _report_target(url: str | None, site: str | None, user: str | None) -> Any:
    """``--report-url`` with its credentials, checked (``None``: no reports posted)."""
    from flexdiag.push import ReportTarget
    from flexdiag.settings import SettingsError, parse_push_url, parse_site

    if url is None:
        if user is not None:
            _fail("--report-user: only with --report-url URL")
        return None
    password = _password(user, "--report-user", "FLEXDIAG_REPORT_PASSWORD")
    try:
        return ReportTarget(
            parse_push_url(url, "report intake", "--report-user and the "
                           "FLEXDIAG_REPORT_PASSWORD environment variable", query=True,
                           example="https://intake.example.net/flexdiag"),
            parse_site(site) if site is not None else None, user, password)
    except SettingsError as exc:
        _fail(f"--report-url: {exc}")


def _said(signum: Any) -> None:
    """One line for a stop signal other than Ctrl-C (whose effect the terminal shows)."""
    if signum.name != "SIGINT":
        print(f"flexdiag: {signum.name}: stopping; the report shows what was found so far "
              "(a second one stops without a report)", file=sys.stderr)


def _fail(message: str) -> NoReturn:
    print(f"flexdiag: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_UNKNOWN)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point: run the app and map every outcome to an exit code."""
    from typer.exceptions import TyperException

    _ARGV[:] = list(argv if argv is not None else sys.argv[1:])
    # Bare `flexdiag` (double-clicked, or typed to see what it does): the command list, exit 0.
    args = _ARGV or ["--help"]
    try:
        code = app(args=args, prog_name="flexdiag", standalone_mode=False)
    except TyperException as exc:  # usage errors from typer's command-line parser
        text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)  # the command the usage error is about
        where = getattr(ctx, "command_path", None) or "flexdiag"
        _fail(text.splitlines()[0] + f" (see '{where} --help')")
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted")
    except OSError as exc:  # e.g. stdout closed by a pipe
        _fail(str(exc))
    except Exception as exc:  # an internal error: one line, exit 3, never a traceback
        _fail(f"internal error: {type(exc).__name__}: {exc}")
    sys.exit(code if isinstance(code, int) else 0)
