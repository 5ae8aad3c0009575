"""The terminal report (rich): a table of checks with coloured statuses (colours only on a
terminal), then the findings with advice; ``--verbose`` adds each check's evidence, ``--quiet``
prints one line. Also the live progress shown while checks run. The only module importing rich.
"""

from __future__ import annotations

import json
import time
from typing import IO, Any

from flexdiag.facts import measure_with
from flexdiag.i18n import _, fmt
from flexdiag.model import CheckResult, Report, Status
from flexdiag.render.safe import escaped, printable

STYLE = {
    Status.PASS: "bold green",
    Status.SKIP: "dim",
    Status.WARN: "bold yellow",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
}
# A status as a report says it (JSON keeps the codes): "LET OP" in Dutch for WARN.
STATUS_WORD = {
    Status.PASS: "PASS",
    Status.SKIP: "SKIP",
    Status.WARN: "WARN",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
}


def status_word(status: Status | str) -> str:
    """The status in the report's language, in capitals."""
    return _(STATUS_WORD[Status(status)])


# summary.phone_settings keys, with the generic names phones' web pages use for them.
PHONE_SETTINGS = {
    "sip_server": "SIP server (registrar, outbound proxy)",
    "sip_port": "SIP server port",
    "local_sip_port": "Local SIP port",
    "stun_server": "STUN server",
    "ntp_server": "NTP server (time server)",
    "keepalive_s": "NAT keep-alive interval",
    "registration_time_s": "Registration interval (expiry)",
}
SECONDS_SETTINGS = ("keepalive_s", "registration_time_s")
OFF = {"stun_server": "off (not needed here)", "keepalive_s": "off (not needed here)"}
UNMEASURED = "Not measured: {titles}."
UNMEASURED_ITEM = "{title} (FAQ item {faq}: {command})"
# The verdict ends the report (and is the --quiet line): it points at nothing "below".
VERDICT = {
    Status.PASS: "Ready: nothing found that stops phones working on the Flex platform.",
    Status.WARN: "Usable, with warnings: read the findings before installing phones.",
    Status.FAIL: "Not ready: follow the steps under 'What to do' before installing phones.",
    Status.ERROR: "flexdiag could not finish every check: see the errors in the report.",
}
VERDICT_BY_NAME = {status.value: text for status, text in VERDICT.items()}
READY_SO_FAR = ("Ready so far: nothing found that stops phones working, but not everything "
                "was measured.")
KEEPALIVE_NEEDED = "Set the phones' NAT keep-alive as under 'Set on the phones'."


def _console(file: IO[str] | None) -> Any:
    from rich.console import Console

    # Colours only on a terminal (rich checks the file), never in a pipe or a file.
    return Console(file=file, highlight=False, soft_wrap=False)


def render(report: Report, file: IO[str] | None = None, verbose: bool = False) -> None:
    """Print the report: the verdict, table, findings with advice, the plan, phone settings,
    evidence (if verbose), the verdict again and where the run came from. In a pipe or a file
    no line ends in the spaces rich pads tables with."""
    import io
    import sys

    target = file if file is not None else sys.stdout
    if target.isatty():
        _sections(_console(target), report, verbose)
        return
    buffer = io.StringIO()
    _sections(_console(buffer), report, verbose)
    target.write("\n".join(line.rstrip() for line in buffer.getvalue().split("\n")))


def _sections(console: Any, report: Report, verbose: bool) -> None:
    report = escaped(report, printable)  # peers' text must not act on the terminal
    _headline(console, report)
    for section in (_table, _call, _findings, _plan, _phone_settings):
        section(console, report)
    if verbose:
        _evidence(console, report)
    _verdict(console, report)


def _headline(console: Any, report: Report) -> None:
    """The verdict sentence first (what support forwards), then the installer's note."""
    from rich.text import Text

    console.print(Text(f"{status_word(report.status)}: {verdict(report)}",
                       style=STYLE[report.status]))
    if report.note:
        console.print(Text(_("Note: {note}").format(note=report.note)))
    console.print()


def _table(console: Any, report: Report) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column(_("Check"))
    table.add_column(_("Status"))
    table.add_column(_("Result"), overflow="fold")
    for check in report.checks:
        table.add_row(Text(check.id), Text(status_word(check.status),
                                           style=STYLE[check.status]), Text(check.summary))
    console.print(table)


def call_timeline(report: Report) -> list[str]:
    """The test call's timeline (``--call-accounts``), as ``call.incoming`` recorded it (or
    ``call.register`` / ``call.audio`` where the call ended before)."""
    from flexdiag.vocab import CheckId

    for check_id in (CheckId.CALL_INCOMING, CheckId.CALL_AUDIO):
        check = next((c for c in report.checks if c.id == check_id), None)
        timeline = check.data.get("timeline") if check is not None else None
        if isinstance(timeline, list) and timeline:
            return [str(line) for line in timeline]
    return []


def _call(console: Any, report: Report) -> None:
    from rich.text import Text

    lines = call_timeline(report)
    if lines:
        _heading(console, _("Test call"))
        for line in lines:
            console.print(Text(f"  {line}"))


def _heading(console: Any, title: str) -> None:
    from rich.text import Text

    console.print()
    console.print(Text(title, style="bold underline"))


def _findings(console: Any, report: Report) -> None:
    findings = [c for c in report.checks if c.status in (Status.WARN, Status.FAIL, Status.ERROR)]
    if findings:
        _heading(console, _("Findings"))
        for check in findings:
            _finding(console, check)


def _hanging(console: Any, text: Any, label: Any = None, indent: int = 0) -> None:
    """``text`` after ``indent`` spaces and ``label``, its wrapped lines kept under its first
    (a hanging indent)."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1, 0, 0))
    cells: list[Any] = []
    if indent:
        grid.add_column(width=indent - 1)
        cells.append("")
    if label is not None:
        grid.add_column(no_wrap=True)
        cells.append(label)
    grid.add_column(overflow="fold")
    grid.add_row(*cells, text)
    console.print(grid)


def _plan(console: Any, report: Report) -> None:
    from rich.text import Text

    if report.plan.steps:
        _heading(console, _("What to do, in order"))
        for n, step in enumerate(report.plan.steps, 1):
            _hanging(console, Text(step.text) + Text(f" ({', '.join(step.checks)})",
                                                     style="dim"),
                     label=Text(f"{n}.", style="bold"))


def _phone_settings(console: Any, report: Report) -> None:
    from rich.text import Text

    if report.plan.phone_settings:
        _heading(console, _("Set on the phones"))
        for key, value in report.plan.phone_settings.items():
            if key in PHONE_SETTINGS:
                console.print(Text(f"  {_(PHONE_SETTINGS[key])}: {setting_value(key, value)}"))


def setting_value(key: str, value: Any) -> str:
    """A phone setting's value as an installer types it (``None``: off)."""
    if value is None:
        return _(OFF.get(key, "off"))
    return f"{value} s" if key in SECONDS_SETTINGS else str(value)


def _evidence(console: Any, report: Report) -> None:
    from rich.text import Text

    _heading(console, _("Evidence"))
    for check in report.checks:
        console.print(Text(f"{check.id} ({check.duration_ms:.0f} ms)", style="bold"))
        for key, value in check.data.items():
            console.print(Text(f"  {key}: {json.dumps(value, ensure_ascii=False)}"))


def _verdict(console: Any, report: Report) -> None:
    from rich.text import Text

    console.print()
    status = report.status
    console.print(Text(f"{status_word(status)}: {verdict(report)}", style=STYLE[status]))
    if report.unmeasured:
        console.print(Text(unmeasured_line(report), style="yellow"))
    # The duration starts its own line: at the end of the verdict it wrapped alone.
    where = fmt("({duration:.1f} s)", duration=float(report.duration_s))
    env = report.environment
    if env.get("local_ip") or env.get("gateway_ip"):
        gateway = " ".join(filter(None, (env.get("gateway_ip"), env.get("gateway_mac"),
                                         env.get("gateway_vendor"))))
        where += " " + _("From {local} via {interface}, gateway {gateway}").format(
            local=env.get("local_ip") or "?", interface=env.get("interface") or "?",
            gateway=gateway or "?")
    console.print(Text(where, style="dim"))


def verdict(report: Report) -> str:
    """The headline: never plain "Ready" while something it covers was not measured, and
    pointing at the keep-alive when the phones need one."""
    if report.status is Status.PASS and report.unmeasured:
        return _(READY_SO_FAR)
    text = _(VERDICT[report.status])
    if report.status is Status.PASS and report.plan.phone_settings.get("keepalive_s"):
        text += " " + _(KEEPALIVE_NEEDED)
    return text


def unmeasured_line(report: Report) -> str:
    """What the headline must add when part of the platform's conditions was not measured:
    each unmeasured check with its FAQ item and the command that measures it."""
    items = [_(UNMEASURED_ITEM).format(title=mid_sentence(c.title),
                                       faq=", ".join(map(str, c.faq)),
                                       command=measure_with(c.data))
             for c in report.unmeasured]
    return _(UNMEASURED).format(titles="; ".join(items))


def mid_sentence(title: str) -> str:
    """A title inside a sentence: its capital dropped, an acronym's kept ("NAT ...")."""
    if len(title) > 1 and title[0].isupper() and not title[1].isupper():
        return title[0].lower() + title[1:]
    return title


def one_line(report: Report) -> str:
    """``--quiet``: the verdict and the checks that are not fine, in one line."""
    bad = [f"{c.id} {c.status.value}" for c in report.checks
           if c.status in (Status.WARN, Status.FAIL, Status.ERROR)]
    details = f" ({', '.join(bad)})" if bad else ""
    line = printable(f"{status_word(report.status)}: {verdict(report)}{details}")
    return f"{line} {unmeasured_line(report)}" if report.unmeasured else line


def _finding(console: Any, check: CheckResult) -> None:
    from rich.text import Text

    head = Text()
    head.append(f"{status_word(check.status)} ", style=STYLE[check.status])
    head.append(f"{check.title} ({check.id})", style="bold")
    console.print(head)
    _hanging(console, Text(check.summary), indent=2)
    if check.advice:
        _hanging(console, Text(check.advice), label=Text(_("What to do:"), style="bold"),
                 indent=2)
    if check.faq:
        console.print(Text("  " + faq_items(check.faq), style="dim"))


def faq_items(faq: tuple[int, ...]) -> str:
    """"Platform FAQ item 2" or "Platform FAQ items 1, 4, 5" (sorted, each once)."""
    items = sorted(set(faq))
    text = _("Platform FAQ item {items}") if len(items) == 1 else _("Platform FAQ items {items}")
    return text.format(items=", ".join(map(str, items)))


class Progress:
    """A live line on the terminal while checks run: a spinner, how many are done, which ones
    it still waits for and how long at most."""

    def __init__(self, total: int, file: IO[str] | None = None,
                 check_ids: tuple[str, ...] = (), deadline: float | None = None) -> None:
        from rich.console import Console

        self.total = total
        self.check_ids = check_ids
        self.deadline = deadline  # time.monotonic() by which the quick checks end
        self.done: list[str] = []
        self.notes: dict[str, str] = {}
        self.console = Console(file=file, stderr=file is None)
        self._status: Any = None

    def __enter__(self) -> Progress:
        self._status = self.console.status(self._renderable())
        self._status.__enter__()
        return self

    def _renderable(self) -> Any:
        from rich.text import Text

        # A Text: never read as markup. Only what peers chose is escaped (in note()): the
        # line's own line breaks stay line breaks.
        return Text(self._text())

    def _text(self) -> str:
        text = _("Running {total} checks... {done}/{total} done").format(
            total=self.total, done=len(self.done))
        if self.done:
            text += " - " + self.done[-1]
        finished = {d.split(" ", 1)[0] for d in self.done}
        waiting = [c for c in self.check_ids if c not in finished and c not in self.notes]
        if waiting:
            text += "\n  " + _("waiting for {checks}").format(checks=", ".join(waiting[:4])
                                                            + (" ..." if len(waiting) > 4
                                                               else ""))
            if self.deadline is not None:
                left = max(0.0, self.deadline - time.monotonic())
                text += " " + _("(at most {seconds:.0f} s more)").format(seconds=left)
        for check_id, note in self.notes.items():
            text += f"\n  {check_id}: {note}"
        return text

    def note(self, check_id: str, text: str) -> None:
        """Progress of a slow check (elapsed, budget, current bracket)."""
        self.notes[check_id] = printable(text)
        if self._status is not None:
            self._status.update(self._renderable())

    def update(self, result: CheckResult, done: int, total: int) -> None:
        self.done.append(printable(f"{result.id} {result.status.value}"))
        self.notes.pop(result.id, None)
        if self._status is not None:
            self._status.update(self._renderable())

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)
