"""Run a command on a pseudo-terminal, as an installer's terminal would show it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
from collections.abc import Mapping, Sequence


def run_on_terminal(argv: Sequence[str], env: Mapping[str, str], timeout_s: float = 30) -> str:
    """Everything ``argv`` wrote to its terminal (stdout and stderr), bounded by ``timeout_s``
    of silence."""
    master, slave = pty.openpty()
    process = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                               env=dict(env), close_fds=True)
    os.close(slave)
    out = b""
    try:
        while select.select([master], [], [], timeout_s)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        process.wait(timeout_s)
        os.close(master)
    return out.decode(errors="replace")
