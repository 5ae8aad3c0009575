"""The docs are part of the feature: every command example in README.md and docs/ runs against
the loopback servers (never the real platform: the servers are pointed at loopback by options
appended to each example, which win over the example's own), the JSON reference matches the
schema, and links between the docs resolve."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.commands import ENV, ROOT, free_port, in_process
from tests.fakes import platform_in_thread

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


# A command line, after environment assignments as a shell takes them (VAR=value flexdiag ...).
_COMMAND = re.compile(r"(?:[A-Z_]+=\S+ )*flexdiag ")


def examples() -> list[tuple[str, str]]:
    """(file, command line) for every `flexdiag ...` line in a ```sh block; a line that
    appears in several docs runs once, under the first."""
    found: dict[str, str] = {}
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                if _COMMAND.match(line.strip()):
                    found.setdefault(line.strip(), str(doc.relative_to(ROOT)))
    return [(doc, line) for line, doc in found.items()]


def _environment(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The example's leading VAR=value words, set in the environment; the rest."""
    while argv and "=" in argv[0] and argv[0].split("=")[0].isupper():
        name, _, value = argv.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    return argv


def test_there_are_examples() -> None:
    words = [shlex.split(line, comments=True) for _, line in examples()]
    commands = {argv[argv.index("flexdiag") + 1] for argv in words}
    assert {"run", "explain", "watch", "health", "history"} <= commands


@pytest.fixture(scope="module")
def recorded_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history with one run of `flexdiag watch` in it, for the health/history examples."""
    tmp_path = tmp_path_factory.mktemp("history")
    history = tmp_path / "history.sqlite"
    with platform_in_thread() as fake:
        _watch(["watch"], fake.args(), history, tmp_path)
    return history


@pytest.mark.parametrize(("doc", "line"), examples())
def test_command_example_runs(doc: str, line: str, tmp_path: Path, capsys: Any,
                              monkeypatch: pytest.MonkeyPatch,
                              request: pytest.FixtureRequest) -> None:
    argv = _environment(shlex.split(line, comments=True), monkeypatch)
    if "--call-accounts" in argv and "FLEXDIAG_CALL_PASSWORDS" not in os.environ:
        monkeypatch.setenv("FLEXDIAG_CALL_PASSWORDS", "typed-a,typed-b")  # as typed when asked
    if ">" in argv:
        argv = argv[:argv.index(">")]
    command = argv[1]
    monkeypatch.chdir(tmp_path)  # relative --output/--profile paths land in tmp_path
    (tmp_path / "lab.toml").write_text(_lab_toml())
    if command in ("health", "history"):
        history = request.getfixturevalue("recorded_history")
        code, _, err = in_process(argv[1:] + ["--history", str(history)], capsys)
        assert code in (0, 1), (doc, line, err)
        return
    with platform_in_thread() as fake:
        loopback = fake.args()
        if command == "run" and "--lifetime" in argv:
            _interrupted(argv[1:] + loopback + ["--max-wait", "60"], tmp_path)
        elif command == "run" and "--quick" not in argv:
            # The default run watches a quiet mapping up to the horizon (nothing expires on
            # loopback): interrupted once under way, it reports what it found.
            _interrupted(argv[1:] + loopback, tmp_path)
        elif command == "run":
            code, _, err = in_process(argv[1:] + loopback, capsys)
            assert code in (0, 1, 2), (doc, line, err)
        elif command == "watch":
            _watch(argv[1:], loopback, tmp_path / "history.sqlite", tmp_path)
        else:
            code, _, err = in_process(argv[1:], capsys)
            assert code == 0, (doc, line, err)


def _interrupted(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A run that measures the lifetime (the default run, --lifetime), interrupted (Ctrl-C)
    once under way: it must report what it found so far, as the docs say, instead of the
    test waiting out a measurement."""
    env = {**ENV, **{k: v for k, v in os.environ.items() if k == "FLEXDIAG_CALL_PASSWORDS"}}
    process = subprocess.Popen([sys.executable, "-m", "flexdiag", *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    written = ""
    if "--output" in args:
        written = (cwd / args[args.index("--output") + 1]).read_text()
    assert "nat.lifetime" in out + written, err
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _watch(args: list[str], loopback: list[str], history: Path, cwd: Path) -> None:
    """Start the watch, wait for its first report line (written after the run is stored),
    then stop it with SIGTERM as a container runtime would."""
    extra = ["--interval", "30", "--history", str(history)]
    if "--metrics-listen" in args:
        extra += ["--metrics-listen", f"127.0.0.1:{free_port()}"]
    if "--lifetime-every" in args:
        extra += ["--registration-time", "3", "--max-wait", "8"]
    if "--pushgateway" in args:  # never the example's gateway: a closed port on loopback
        extra += ["--pushgateway", f"http://127.0.0.1:{free_port()}"]
    process = subprocess.Popen([sys.executable, "-m", "flexdiag", *args, *loopback, *extra],
                               cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # bounded: the run's own budget, then the line
        assert first.startswith("{"), first
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def _lab_toml() -> str:
    text = (ROOT / "docs" / "getting-started.md").read_text()
    return re.search(r"```toml\n# lab.toml\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]


def test_json_reference_is_generated_from_the_schema() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import json_reference
    finally:
        sys.path.pop(0)
    expected = json_reference.generate()
    assert (ROOT / "docs" / "json-reference.md").read_text() == expected, (
        "run: python scripts/json_reference.py")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(doc: Path) -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text()):
        if "://" in target:
            continue
        assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"


def test_the_container_doc_lists_every_series() -> None:
    import re

    from flexdiag.render.metrics import Metrics

    metrics = Metrics("0")
    metrics.update({"checks": [{"id": "sip.alg", "status": "fail", "duration_ms": 1,
                                "data": {"rtt_ms": 3}, "faq": [5],
                                "reason_code": "sip_alg_rewrites"}], "summary": {},
                    "duration_s": 1.0,
                    "status": "pass", "profile": {"registration_time_s": 3600}}, 1.7e9)
    exported = set(re.findall(r"^(flexdiag_\w+)", metrics.text(), re.M))
    documented = set(re.findall(r"^\| `(flexdiag_\w+)`", (ROOT / "docs" / "container.md")
                                .read_text(), re.M))
    assert exported == documented, (exported - documented, documented - exported)
