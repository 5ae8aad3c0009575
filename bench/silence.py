"""Benchmark: fast verdicts on broken networks, and no false silence on a slow, lossy one.

Part 1 (lab; root, see docs/lab.md): the quick run's wall time in the lab's healthy mode, with
UDP 5060 dropped, and with the SIP server's address dead (DNS pointing elsewhere), against the
silence floor (flexdiag.net.flows.SILENCE_FLOOR_S) and the 8 s budget it used to wait out.

Part 2 (loopback, anyone): the false-silence rate through an impairing UDP relay in front of
the fake platform (every datagram delayed 400 ms each way, so 800 ms round trips, and 5 % of
datagrams dropped each way: what the kernel's netem would do, which these machines lack).
A "false silence" is a check that reports no answer although the servers answer everything.

    python bench/silence.py [--runs 20] [--no-lab]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flexdiag import runner  # noqa: E402
from flexdiag.net.flows import SILENCE_FLOOR_S  # noqa: E402
from flexdiag.settings import load_settings  # noqa: E402
from tests.fakes import start_platform  # noqa: E402

DELAY_S, LOSS = 0.4, 0.05
SILENT_IDS = ("stun.binding", "sip.udp", "ntp.offset")


class Relay(asyncio.DatagramProtocol):
    """Forwards datagrams to ``target`` and back, each delayed and some dropped."""

    def __init__(self, target: tuple[str, int], rng: random.Random) -> None:
        self.target, self.rng = target, rng
        self.upstream: dict[tuple[str, int], asyncio.DatagramTransport] = {}

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, client: Any) -> None:
        asyncio.ensure_future(self._forward(data, (client[0], client[1])))

    async def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        if self.rng.random() < LOSS:
            return
        await asyncio.sleep(DELAY_S)
        if client not in self.upstream:
            loop = asyncio.get_running_loop()
            back = self

            class Back(asyncio.DatagramProtocol):
                def datagram_received(self, reply: bytes, _: Any) -> None:
                    if back.rng.random() >= LOSS:
                        loop.call_later(DELAY_S, back.transport.sendto, reply, client)

            transport, _ = await loop.create_datagram_endpoint(
                Back, local_addr=("127.0.0.1", 0))
            self.upstream[client] = transport
        self.upstream[client].sendto(data, self.target)


async def impaired_runs(runs: int, seed: int) -> tuple[int, int, float]:
    """(runs with a false silence, checks falsely silent, mean wall time) over ``runs``."""
    fake = await start_platform()
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    relays = []

    async def relay(target: tuple[str, int], ip: str) -> int:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Relay(target, rng), local_addr=(ip, 0))
        relays.append(transport)
        return int(transport.get_extra_info("sockname")[1])

    try:
        stun = await relay(fake.stun.addr, "127.0.0.1")
        sips = [await relay(s.addr, "127.0.0.3") for s in fake.sip]
        ntp = await relay(fake.ntp.addr, "127.0.0.1")
        args = dict(zip(fake.args()[::2], fake.args()[1::2], strict=True))
        args.update({"--stun-server": f"stun.test.invalid:{stun}",
                     "--sip-ports": ",".join(map(str, sips)),
                     "--ntp-server": f"ntp.test.invalid:{ntp}", "--timeout": "8"})
        settings = load_settings(args, {})
        bad_runs = bad_checks = 0
        total = 0.0
        for _ in range(runs):
            report = await runner.run(settings)
            total += report.duration_s
            silent = [c.id for c in report.checks if c.id.startswith(SILENT_IDS)
                      and c.status.value == "fail"]
            bad_runs += bool(silent)
            bad_checks += len(silent)
        return bad_runs, bad_checks, total / runs
    finally:
        for transport in relays:
            transport.close()
        fake.close()


def lab_part() -> None:
    from tests.lab.topology import ISP, Lab, missing_tools, sh

    if os.geteuid() != 0 or missing_tools():
        print("lab part skipped (needs root and the lab's tools)")
        return
    lab = Lab.up(Path(tempfile.mkdtemp(prefix="fdlab-bench-")), "masquerade")
    try:
        times = {}
        times["healthy"] = lab.flexdiag("--timeout", "8")[1]["duration_s"]
        lab.set_mode("drop-5060")
        times["5060 dropped"] = lab.flexdiag("--timeout", "8")[1]["duration_s"]
        lab.set_mode("masquerade")
        sh("ip", "route", "add", "blackhole", "198.51.100.99/32", ns=ISP)
        times["SIP address dead"] = lab.flexdiag("--timeout", "8",
                                                 "--sip-server", "198.51.100.99")[1]["duration_s"]
    finally:
        lab.down()
    print(f"{'lab mode':<18} {'wall s':>7} {'/ healthy':>10} {'/ floor':>8} {'/ budget':>9}")
    for name, wall in times.items():
        print(f"{name:<18} {wall:>7.2f} {wall / times['healthy']:>10.1f} "
              f"{wall / SILENCE_FLOOR_S:>8.2f} {wall / 7.6:>9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-lab", action="store_true")
    args = parser.parse_args()
    if not args.no_lab:
        lab_part()
    started = time.monotonic()
    bad_runs, bad_checks, mean = asyncio.run(impaired_runs(args.runs, seed=1))
    print(f"impaired path ({DELAY_S * 2000:.0f} ms RTT, {LOSS:.0%} loss each way), "
          f"{args.runs} runs: {bad_runs} with a false 'no answer' ({bad_checks} checks), "
          f"mean run {mean:.2f} s, {time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    main()
