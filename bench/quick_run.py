"""Benchmark: the quick run against loopback servers whose every reply is delayed 200 ms.

Prints, each measured in this one run:
- the quick run's wall time and its ratio to the critical path (the DNS delay plus the slowest
  dependent exchange), target <= 1.3;
- the same with an RFC 5780 STUN server behind a filtering "NAT" (the changed-address answers
  never come): the negative tests wait a few measured RTTs, so the critical path is DNS + test I
  + that wait, target <= 1.3, against a fixed ladder that would wait seconds;
- the cold start of ``flexdiag --help``, target < 0.3 s.
Traffic goes only to 127.0.0.0/8.

    python bench/quick_run.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flexdiag import runner  # noqa: E402
from flexdiag.model import Report, Status  # noqa: E402
from flexdiag.observe import NEGATIVE_WAIT_RTTS, negative_wait_s  # noqa: E402
from tests.fakes import Stun5780, start_platform  # noqa: E402

DELAY_S = 0.2
FIXED_LADDER_S = 3.0  # what a fixed negative-test timeout typically costs (e.g. 3 s per test)


async def timed_runs(runs: int, **platform: Any) -> tuple[list[float], Report]:
    fake = await start_platform(delay_s=DELAY_S, **platform)
    try:
        settings = fake.settings(**{"--timeout": "8"})
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            report = await runner.run(settings)
            walls.append(time.perf_counter() - start)
            bad = [(c.id, c.summary) for c in report.checks
                   if c.status not in (Status.PASS, Status.SKIP)]
            if bad:
                raise SystemExit(f"run did not pass: {bad}")
    finally:
        fake.close()
    return walls, report


def show(title: str, walls: list[float], critical_s: float, note: str) -> None:
    median = statistics.median(walls)
    print(title)
    print(f"  wall time   median {median:.3f} s  (min {min(walls):.3f}, max {max(walls):.3f})")
    print(f"  critical path      {critical_s:.3f} s  ({note})")
    print(f"  ratio              {median / critical_s:.2f}  (target <= 1.3)")


def cold_start(runs: int, argv: list[str]) -> list[float]:
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    walls, _ = asyncio.run(timed_runs(args.runs))
    show(f"quick run, replies delayed {DELAY_S * 1000:.0f} ms, {args.runs} runs", walls,
         2 * DELAY_S, "DNS + one exchange; every check starts at once")

    walls, report = asyncio.run(timed_runs(args.runs, stun5780=Stun5780(
        filtering="apd", delay_s=DELAY_S)))
    filtering = report.get("nat.filtering")
    assert filtering is not None and filtering.data["behavior"] == "address-and-port-dependent"
    wait_s = negative_wait_s(DELAY_S)  # the RTT on loopback is the reply's delay
    critical = DELAY_S + DELAY_S + wait_s
    show(f"run with RFC 5780 tests, filtered answers never come, {args.runs} runs", walls,
         critical, f"DNS + test I + negative wait of {wait_s:.2f} s = "
                   f"{NEGATIVE_WAIT_RTTS:g} x RTT")
    print(f"  the negative tests waited {filtering.data['wait_s']:.2f} s, derived from the "
          f"measured RTT; a fixed {FIXED_LADDER_S:.0f} s timeout would make the run "
          f"{2 * DELAY_S + FIXED_LADDER_S:.1f} s")

    python = cold_start(args.runs, [sys.executable, "-c", "pass"])
    helps = cold_start(args.runs, [sys.executable, "-m", "flexdiag", "--help"])
    print(f"cold start of 'flexdiag --help', {args.runs} runs")
    print(f"  median {statistics.median(helps):.3f} s  (target < 0.3 s; bare python "
          f"{statistics.median(python):.3f} s, so flexdiag adds "
          f"{statistics.median(helps) - statistics.median(python):.3f} s)")


if __name__ == "__main__":
    main()
