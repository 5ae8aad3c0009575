"""The docs are part of the feature: every command example in README.md and docs/ runs against
the loopback servers (never the real platform: the servers are pointed at loopback by options
appended to each example, which win over the example's own), the JSON reference matches the
schema, and links between the docs resolve."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes import platform_in_thread

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
ENV.pop("FLEXDIAG_LANG", None)


def examples() -> list[tuple[str, str]]:
    """(file, command line) for every `flexdiag ...` line in a ```sh block."""
    found = []
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                if line.strip().startswith("flexdiag "):
                    found.append((str(doc.relative_to(ROOT)), line.strip()))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_there_are_examples() -> None:
    commands = {shlex.split(line, comments=True)[1] for _, line in examples()}
    assert {"run", "explain", "watch", "health", "history"} <= commands


@pytest.mark.parametrize(("doc", "line"), examples())
def test_command_example_runs(doc: str, line: str, tmp_path: Path) -> None:
    argv = shlex.split(line, comments=True)
    if ">" in argv:
        argv = argv[:argv.index(">")]
    command = argv[1]
    history = tmp_path / "history.sqlite"
    (tmp_path / "lab.toml").write_text(_lab_toml())
    with platform_in_thread() as fake:
        loopback = fake.args()
        if command == "run":
            extra = loopback + (["--registration-time", "3", "--max-wait", "8"]
                                if "--lifetime" in argv else [])
            result = _flexdiag(argv[1:] + extra, tmp_path)
            assert result.returncode in (0, 1, 2), (doc, line, result.stderr)
            assert "Traceback" not in result.stderr
        elif command == "watch":
            _watch(argv[1:], loopback, history, tmp_path)
        elif command in ("health", "history"):
            _watch(["watch"], loopback, history, tmp_path)
            result = _flexdiag(argv[1:] + ["--history", str(history)], tmp_path)
            assert result.returncode in (0, 1), (doc, line, result.stderr)
        else:
            result = _flexdiag(argv[1:], tmp_path)
            assert result.returncode == 0, (doc, line, result.stderr)


def _flexdiag(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flexdiag", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=120)


def _watch(args: list[str], loopback: list[str], history: Path, cwd: Path) -> None:
    extra = ["--interval", "30", "--history", str(history)]
    if "--metrics-listen" in args:
        extra += ["--metrics-listen", f"127.0.0.1:{free_port()}"]
    if "--lifetime-every" in args:
        extra += ["--registration-time", "3", "--max-wait", "8"]
    process = subprocess.Popen([sys.executable, "-m", "flexdiag", *args, *loopback, *extra],
                               cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            shown = _flexdiag(["history", "--history", str(history)], cwd)
            if history.exists() and re.search(r"(PASS|WARN|FAIL)", shown.stdout):
                break
            time.sleep(0.2)
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
