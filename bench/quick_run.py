"""Benchmark: the quick run against loopback servers whose every reply is delayed 200 ms.

Prints the run's wall time and its ratio to the critical path (the DNS delay plus the slowest
dependent exchange: 0.2 s + 0.2 s), target <= 1.3; and the cold start of ``flexdiag --help``,
target < 0.3 s. Traffic goes only to 127.0.0.1.

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flexdiag import runner  # noqa: E402
from flexdiag.model import Status  # noqa: E402
from tests.fakes import start_platform  # noqa: E402

DELAY_S = 0.2
CRITICAL_PATH_S = DELAY_S + DELAY_S  # resolve the name, then one exchange with the server


async def quick_runs(runs: int) -> list[float]:
    fake = await start_platform(delay_s=DELAY_S)
    try:
        settings = fake.settings()
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            report = await runner.run(settings)
            walls.append(time.perf_counter() - start)
            if report.status is not Status.PASS:
                raise SystemExit(f"run did not pass: {[(c.id, c.summary) for c in report.checks]}")
    finally:
        fake.close()
    return walls


def cold_start(runs: int, argv: list[str]) -> list[float]:
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    walls = asyncio.run(quick_runs(args.runs))
    median = statistics.median(walls)
    print(f"quick run, replies delayed {DELAY_S * 1000:.0f} ms, {args.runs} runs")
    print(f"  wall time   median {median:.3f} s  (min {min(walls):.3f}, max {max(walls):.3f})")
    print(f"  critical path      {CRITICAL_PATH_S:.3f} s  (DNS + slowest dependent exchange)")
    print(f"  ratio              {median / CRITICAL_PATH_S:.2f}  (target <= 1.3)")

    python = cold_start(args.runs, [sys.executable, "-c", "pass"])
    helps = cold_start(args.runs, [sys.executable, "-m", "flexdiag", "--help"])
    print(f"cold start of 'flexdiag --help', {args.runs} runs")
    print(f"  median {statistics.median(helps):.3f} s  (target < 0.3 s; bare python "
          f"{statistics.median(python):.3f} s, so flexdiag adds "
          f"{statistics.median(helps) - statistics.median(python):.3f} s)")


if __name__ == "__main__":
    main()
