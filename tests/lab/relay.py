"""An impairing UDP relay for the lab, where no netem exists: datagrams to LISTEN are passed on
to UPSTREAM after DELAY_MS plus a uniform random jitter of up to JITTER_MS either way, and the
upstream's answers (STUN: matched by transaction ID) go straight back to whoever asked.

    python -m tests.lab.relay LISTEN_IP LISTEN_PORT UPSTREAM_IP UPSTREAM_PORT DELAY_MS JITTER_MS

Run inside the lab's provider namespace, by PID; it stops on SIGTERM, and by itself after
MAX_LIFETIME_S (a bounded test helper). Reordering is allowed, as on a real jittery path."""

from __future__ import annotations

import asyncio
import random
import signal
import sys

MAX_LIFETIME_S = 600.0
MAX_PENDING = 10_000  # transaction IDs remembered


class _Relay(asyncio.DatagramProtocol):
    def __init__(self, upstream: tuple[str, int], delay_s: float, jitter_s: float) -> None:
        self.upstream, self.delay_s, self.jitter_s = upstream, delay_s, jitter_s
        self.clients: dict[bytes, tuple[str, int]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        key = data[8:20]
        if addr == self.upstream:
            client = self.clients.pop(key, None)
            if client is not None:
                self.transport.sendto(data, client)
            return
        if len(self.clients) < MAX_PENDING:
            self.clients[key] = addr
        delay = max(0.0, self.delay_s + random.uniform(-self.jitter_s, self.jitter_s))
        asyncio.get_running_loop().call_later(delay, self.transport.sendto, data, self.upstream)


async def main(argv: list[str]) -> None:
    listen = (argv[0], int(argv[1]))
    upstream = (argv[2], int(argv[3]))
    delay_s, jitter_s = float(argv[4]) / 1000, float(argv[5]) / 1000
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Relay(upstream, delay_s, jitter_s), local_addr=listen)
    print("relay ready", flush=True)
    try:
        await asyncio.wait_for(stop.wait(), MAX_LIFETIME_S)
    except TimeoutError:
        pass
    finally:
        transport.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
