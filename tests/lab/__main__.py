"""Bring the NAT lab up or down by hand (root):

    python -m tests.lab up [MODE]     build it (default mode: masquerade)
    python -m tests.lab mode MODE     switch the router's mode of a running lab
    python -m tests.lab modes         list the modes
    python -m tests.lab conntrack     the router's UDP flows
    python -m tests.lab down          tear everything down (idempotent; cleans a crashed run)

Then run flexdiag on the "phone":
    ip netns exec fdlab-manual-lan flexdiag run --platform-ranges 198.51.100.0/24

The hand-run lab's namespaces are named with the tag "manual" (FLEXDIAG_LAB_TAG overrides it);
the test suite's labs each use a tag of their own, so neither disturbs the other.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("FLEXDIAG_LAB_TAG", "manual")  # before topology reads it

from tests.lab.topology import LAN, MODES, PLATFORM_RANGE, Lab, down, missing_tools

WORKDIR = Path("/tmp/fdlab")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("up", "down", "mode", "modes", "conntrack"):
        print(__doc__)
        return 3
    command, rest = argv[0], argv[1:]
    if command == "modes":
        for name, spec in MODES.items():
            print(f"{name:15} {spec['doc']}")
        return 0
    if command == "down":
        down()
        print("lab is down")
        return 0
    if missing_tools():
        print("missing tools: " + ", ".join(missing_tools()), file=sys.stderr)
        return 3
    mode = rest[0] if rest else "masquerade"
    if mode not in MODES:
        print(f"unknown mode {mode!r}; modes: {', '.join(MODES)}", file=sys.stderr)
        return 3
    if command == "up":
        start = time.monotonic()
        Lab.up(WORKDIR, mode)
        print(f"lab is up in mode {mode} ({time.monotonic() - start:.1f} s); logs in {WORKDIR}")
        print(f"  ip netns exec {LAN} flexdiag run --platform-ranges {PLATFORM_RANGE}")
        return 0
    lab = Lab(WORKDIR)
    if command == "mode":
        lab.set_mode(mode)
        print(f"router mode is now {mode}: {MODES[mode]['doc']}")
        return 0
    for flow in lab.conntrack():
        print(flow)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (RuntimeError, OSError) as exc:
        print(f"lab: {exc}", file=sys.stderr)
        sys.exit(1)
