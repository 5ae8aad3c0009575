"""Command line: options -> Settings -> runner -> renderer -> exit code. The only typer importer.

Exit codes (design.md): 0 all pass, 1 worst is warn, 2 worst is fail, 3 could not diagnose (bad
arguments or profile, internal error). Usage errors exit 3 with one line, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn

import typer

from flexdiag import __version__

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


@app.command()
def run(
    sip_server: Annotated[str | None, typer.Option(
        "--sip-server", metavar="HOST", help="SIP server [default: voip.gntel.nl]")] = None,
    sip_ports: Annotated[str | None, typer.Option(
        "--sip-ports", metavar="PORT[,PORT...]",
        help="SIP UDP ports [default: 5060,38388]")] = None,
    stun_server: Annotated[str | None, typer.Option(
        "--stun-server", metavar="HOST[:PORT]", help="STUN server [default: stun.gntel.nl:3478]"
    )] = None,
    ntp_server: Annotated[str | None, typer.Option(
        "--ntp-server", metavar="HOST[:PORT]",
        help="NTP server [default: ntp.gntel.nl:123]")] = None,
    platform_ranges: Annotated[str | None, typer.Option(
        "--platform-ranges", metavar="CIDR[,CIDR...]",
        help="Platform address ranges [default: 194.140.246.0/24,91.215.4.0/22]")] = None,
    dns_server: Annotated[str | None, typer.Option(
        "--dns-server", metavar="IP[:PORT]", help="DNS server to ask [default: the system's]"
    )] = None,
    registration_time: Annotated[str | None, typer.Option(
        "--registration-time", metavar="SECONDS",
        help="Phones' registration interval [default: 3600]")] = None,
    timeout: Annotated[str | None, typer.Option(
        "--timeout", metavar="SECONDS", help="Overall time budget of the run [default: 8]")] = None,
    ntp_max_offset: Annotated[str | None, typer.Option(
        "--ntp-max-offset", metavar="SECONDS",
        help="Warn when this host's clock is further off [default: 1]")] = None,
    max_wait: Annotated[str | None, typer.Option(
        "--max-wait", metavar="SECONDS",
        help="Time budget of --lifetime [default: registration time + 32.5]")] = None,
    lifetime: Annotated[bool, typer.Option(
        "--lifetime", help="Also measure how long the router keeps idle UDP mappings "
        "(slow: up to the registration time; Ctrl-C reports what was found so far)")] = False,
    profile: Annotated[str | None, typer.Option(
        "--profile", metavar="FILE", help="TOML file with any of the settings above")] = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the report as JSON (schema flexdiag.report/1)")] = False,
) -> None:
    """Run the quick diagnostic: DNS, STUN, SIP OPTIONS and NTP against the platform.

    Every setting can also come from a FLEXDIAG_* environment variable (FLEXDIAG_SIP_SERVER,
    ...) or a --profile file; an option beats the environment, which beats the file.
    """
    from flexdiag.settings import SettingsError, load_settings

    cli = {
        "--sip-server": sip_server, "--sip-ports": sip_ports, "--stun-server": stun_server,
        "--ntp-server": ntp_server, "--platform-ranges": platform_ranges,
        "--dns-server": dns_server, "--registration-time": registration_time,
        "--timeout": timeout, "--ntp-max-offset": ntp_max_offset, "--max-wait": max_wait,
    }
    try:
        settings = load_settings(cli, os.environ, profile)
    except SettingsError as exc:
        _fail(str(exc))
    raise typer.Exit(_run(settings, json_output, lifetime))


async def _run_checks(settings: object, checks: list[object], progress: object) -> object:
    """Run the checks; the first Ctrl-C ends slow checks early (they report what they found),
    a second one aborts."""
    import asyncio
    import signal

    from flexdiag import runner

    interrupt = asyncio.Event()
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()

    def on_sigint() -> None:
        if interrupt.is_set() and main_task is not None:
            main_task.cancel()
        interrupt.set()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (NotImplementedError, RuntimeError):  # not the main thread (tests), or no signals
        pass
    try:
        return await runner.run(
            settings, checks,  # type: ignore[arg-type]
            on_result=getattr(progress, "update", None),
            on_progress=getattr(progress, "note", None),
            interrupt=interrupt,
        )
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError):
            pass


def _run(settings: object, json_output: bool, lifetime: bool = False) -> int:
    import asyncio

    from flexdiag.checks import checks_for
    from flexdiag.model import Report
    from flexdiag.settings import Settings

    assert isinstance(settings, Settings)
    checks = checks_for(settings, lifetime=lifetime)
    if sys.stderr.isatty():
        from flexdiag.render.text import Progress

        with Progress(len(checks)) as progress:
            report = asyncio.run(_run_checks(settings, list(checks), progress))
    else:
        report = asyncio.run(_run_checks(settings, list(checks), None))
    assert isinstance(report, Report)
    if json_output:
        from flexdiag.render import json as render_json

        sys.stdout.write(render_json.render(report) + "\n")
    else:
        from flexdiag.render import text as render_text

        render_text.render(report, sys.stdout)
    return report.status.exit_code


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
