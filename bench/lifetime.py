"""Benchmark: nat.lifetime in the NAT lab with known conntrack timeouts (root; see docs/lab.md).

Brings the lab up in mode short-timeouts (UDP timeouts 15 s fresh, 25 s established), runs
``flexdiag run --lifetime --registration-time 60`` on the LAN host, and prints, measured in
this one run: total wall time / measured upper bound (target <= 1.2), the bracket width, and
the number of packets sent. Tears the lab down afterwards. All traffic stays in the lab's
network namespaces.

    python bench/lifetime.py [--stun-server 198.51.100.12]   # (that one: the re-bind method)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.lab.topology import Lab, missing_tools, parse_report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stun-server", default=None)
    parser.add_argument("--mode", default="short-timeouts")
    args = parser.parse_args()
    if missing_tools():
        raise SystemExit("missing tools: " + ", ".join(missing_tools()))
    lab = Lab.up(Path(tempfile.mkdtemp(prefix="fdlab-bench-")), args.mode)
    try:
        import subprocess

        extra = ["--stun-server", args.stun_server] if args.stun_server else []
        start = time.monotonic()
        result = subprocess.run(lab.flexdiag_argv("--lifetime", "--registration-time", "60",
                                                  *extra),
                                capture_output=True, text=True, timeout=300)
        wall = time.monotonic() - start
        _, report = parse_report(result.returncode, result.stdout, result.stderr)
    finally:
        lab.down()
    check = next(c for c in report["checks"] if c["id"] == "nat.lifetime")
    data = check["data"]
    upper = data["expired_s"]
    print(f"nat.lifetime in mode {args.mode} (conntrack UDP timeouts 15 s fresh, 25 s "
          f"established), method {data['method']}")
    width = f"{upper - data['alive_s']:.1f} s" if data["alive_s"] and upper else "n/a"
    print(f"  established bracket  alive {data['alive_s']} s, expired {upper} s  "
          f"(width {width})")
    print(f"  fresh bracket        alive {data['fresh']['alive_s']} s, expired "
          f"{data['fresh']['expired_s']} s")
    print(f"  wall time            {wall:.1f} s for the whole flexdiag run "
          f"(the check itself: {data['elapsed_s']} s)")
    if upper:
        print(f"  wall / upper bound   {wall / upper:.2f}  (target <= 1.2)")
    print(f"  packets sent         {data['packets_sent']} ({len(data['probes'])} probes)")


if __name__ == "__main__":
    main()
