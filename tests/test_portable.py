"""FLEXDIAG_PORTABLE=1 (issue #28, part 2): the paths an OS without Linux's ICMP error queue
and /proc takes. The quick run's verdicts against the loopback fake platform are the same
either way; only how fast silence is believed may differ. (The interop and lab verdict tests
run once more the same way: tests/interop/test_real_servers.py, tests/lab/test_portable.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from flexdiag import runner
from flexdiag.model import Status
from flexdiag.net import capability
from tests.fakes import sip_handler, start_platform

# What an OS without the ICMP error queue cannot measure: nat.upstream's hops (TTL-limited
# probes need to know who sent a time-exceeded); without NAT-PMP on the path it says "not
# determined". (media.ports likewise, in the default run.)
UNMEASURABLE = {"nat.upstream"}


async def _statuses(**handlers: Any) -> list[tuple[str, Status]]:
    fake = await start_platform(**handlers)
    try:
        report = await runner.run(fake.settings(timeout_s=3.0))
    finally:
        fake.close()
    return [(c.id.rsplit(".", 1)[0] if c.id.startswith("sip.udp.") else c.id, c.status)
            for c in report.checks]


@pytest.mark.parametrize("handlers", [{}, {"sip_h": [sip_handler(silent=True), sip_handler()]}],
                         ids=["healthy", "silent-5060"])
async def test_same_verdicts_without_error_queue_and_proc(
        monkeypatch: pytest.MonkeyPatch, handlers: dict[str, Any]) -> None:
    native = await _statuses(**handlers)
    monkeypatch.setenv("FLEXDIAG_PORTABLE", "1")
    assert not capability.error_queue() and not capability.procfs()
    portable = await _statuses(**handlers)
    assert [p for p in portable if p[0] not in UNMEASURABLE] == [
        n for n in native if n[0] not in UNMEASURABLE]
    assert dict(portable)["nat.upstream"] is Status.SKIP


def test_the_switch() -> None:
    import os

    assert capability.portable() is (os.environ.get("FLEXDIAG_PORTABLE", "") not in ("", "0"))


async def test_windows_port_unreachable_ends_the_one_exchange(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows reports an ICMP port unreachable on an unconnected UDP socket as WSAECONNRESET
    (Python: ConnectionResetError, errno ECONNRESET) through the proactor's error_received:
    the one exchange under way ends at once with it, as Linux's ECONNREFUSED does."""
    import asyncio
    import errno

    from flexdiag.net.udp import ERROR_TEXT, UdpEndpoint

    monkeypatch.setenv("FLEXDIAG_PORTABLE", "1")
    endpoint = await UdpEndpoint.open("127.0.0.1")
    loop = asyncio.get_running_loop()
    try:
        waiting = asyncio.ensure_future(endpoint.exchange(
            None, ("127.0.0.1", 9), lambda data, src: data, loop.time() + 30))
        await asyncio.sleep(0)
        start = loop.time()
        endpoint.error_received(ConnectionResetError(errno.ECONNRESET, "connection reset"))
        exchange = await asyncio.wait_for(waiting, 2)
    finally:
        endpoint.close()
    assert exchange.reply is None and loop.time() - start < 1
    assert exchange.error == ERROR_TEXT[errno.ECONNREFUSED]
    assert exchange.error.startswith("ICMP port unreachable")


class _WindowsSocket:
    def __init__(self, fails: bool = False) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.fails = fails

    def ioctl(self, control: int, value: bool) -> None:
        if self.fails:
            raise OSError(10045, "not supported")
        self.calls.append((control, value))


def test_sio_udp_connreset_is_kept_on_where_the_os_has_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    sock = _WindowsSocket()
    monkeypatch.delattr(socket, "SIO_UDP_CONNRESET", raising=False)
    assert capability.report_port_unreachable(sock) is False and sock.calls == []
    monkeypatch.setattr(socket, "SIO_UDP_CONNRESET", 0x9800000C, raising=False)
    assert capability.report_port_unreachable(sock) is True
    assert sock.calls == [(0x9800000C, True)]
    assert capability.report_port_unreachable(object()) is False  # no ioctl: Linux, macOS
    assert capability.report_port_unreachable(_WindowsSocket(fails=True)) is False
