"""Start and stop real third-party servers for interop and lab tests.

Each daemon is started with its PID recorded and stopped by that PID (never by name); a test
that needs a missing tool or root skips with the reason, except under CI (``CI=true``), where
it fails so that a missing install step cannot hide.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(*tools: str, root: bool = False) -> None:
    """Skip (or fail under CI) unless every tool is on PATH and, if asked, we are root."""
    missing = [t for t in tools if shutil.which(t) is None]
    reason = ""
    if missing:
        reason = "missing tools: " + ", ".join(missing) + " (.ci/run installs them)"
    elif root and os.geteuid() != 0:
        reason = "needs root"
    if reason:
        if IN_CI:
            pytest.fail(reason + " - CI must run these tests")
        pytest.skip(reason)


def udp_bound(host: str, port: int) -> bool:
    """Is something bound to this UDP address? (Our bind fails with EADDRINUSE.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


@dataclass
class Daemon:
    """One server process, started in the foreground of its own process group."""

    name: str
    argv: Sequence[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    extra_pids: list[int] = field(default_factory=list)

    def start(self, ready: Callable[[], bool], timeout_s: float = 10.0) -> Daemon:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(list(self.argv), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: "
                                   + self.log.read_text(errors="replace")[-2000:])
            if ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout_s} s: "
                           + self.log.read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        """Terminate by PID (the process group we created for it), then kill if needed."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, 15)
        except ProcessLookupError:
            return
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(5)
