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
