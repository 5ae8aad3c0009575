"""Benchmark: ``flexdiag run --phones N`` in the NAT lab (root; see docs/lab.md).

Brings the lab up (a roomy router: masquerade), runs ``flexdiag run --phones N`` on the LAN
host for a few N, and prints, measured in this one run, the time the capacity probe added to
the quick run against N x the pacing (3N+2 flows at one per 20 ms, RFC 8445 §B.1): the probe
should cost little more than its pacing plus one answer wait. Tears the lab down afterwards.
All traffic stays in the lab's network namespaces.

    python bench/capacity.py [--phones 4 8 16 32]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flexdiag.analysis.capacity import PACING_S, flows_needed  # noqa: E402
from tests.lab.topology import Lab, missing_tools, parse_report  # noqa: E402


def run(lab: Lab, *args: str) -> float:
    result = subprocess.run(lab.flexdiag_argv(*args), capture_output=True, text=True,
                            timeout=300)
    _, report = parse_report(result.returncode, result.stdout, result.stderr)
    return float(report["duration_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--phones", type=int, nargs="+", default=[4, 8, 16, 32])
    args = parser.parse_args()
    if missing_tools():
        raise SystemExit("missing tools: " + ", ".join(missing_tools()))
    lab = Lab.up(Path(tempfile.mkdtemp(prefix="fdlab-bench-")), "masquerade")
    try:
        quick = run(lab)
        print(f"quick run without --phones: {quick:.2f} s")
        print(f"{'phones':>6} {'flows':>5} {'run s':>7} {'probe s':>8} {'pacing s':>9} "
              f"{'probe/pacing':>13}")
        for phones in args.phones:
            lab.flush_conntrack()
            total = run(lab, "--phones", str(phones))
            pacing = flows_needed(phones) * PACING_S
            probe = total - quick
            print(f"{phones:>6} {flows_needed(phones):>5} {total:>7.2f} {probe:>8.2f} "
                  f"{pacing:>9.2f} {probe / pacing:>13.2f}")
    finally:
        lab.down()


if __name__ == "__main__":
    main()
