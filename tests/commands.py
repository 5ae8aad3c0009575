"""flexdiag's commands as the tests run them: in this process through the console-script entry
point (quick: most tests), or as a process of their own (where signals, the real entry point or
a clean interpreter are what is tested)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
# FLEXDIAG_MIN_INTERVAL: the tests' watches run every second (the floor is 10 s).
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "FLEXDIAG_MIN_INTERVAL": "0.5"}
ENV.pop("FLEXDIAG_LANG", None)


def in_process(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``flexdiag argv`` run through ``cli.main`` here."""
    from flexdiag.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return int(info.value.code or 0), out, err


def flexdiag(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``python -m flexdiag args`` as a process of its own, bounded to a minute."""
    kwargs.setdefault("env", ENV)
    return subprocess.run([sys.executable, "-m", "flexdiag", *args], capture_output=True,
                          text=True, timeout=60, check=False, **kwargs)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for a metrics endpoint)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
