"""``sip.large``: do SIP messages larger than one packet get through, per port?

A call's INVITE with its SDP easily exceeds 1300 bytes; above the path MTU it travels as IP
fragments, which many routers drop (RFC 3261 §18.1.1 says to switch to TCP above 1300 bytes,
which most phones never do over UDP). Each port gets OPTIONS padded to ~1400 and ~3000 bytes,
sent together with the small one; an unanswered large one is judged against the small one's
RTT, not a fixed wait (the observation is :meth:`flexdiag.observe.Observer._large`).
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.checks.base import Check, Finding
from flexdiag.facts import port_keys
from flexdiag.model import Status
from flexdiag.records import LARGE_SIZES, LargeProbe, Obs, Observations
from flexdiag.vocab import CheckId, Code, Faq

FAQ = (Faq.SIP,)


def _evidence(probe: LargeProbe) -> dict[str, Any]:
    if not probe.small:
        return {"small": False}
    data: dict[str, Any] = {"small": True, "wait_s": probe.wait_s,
                            **{str(size): ok for size, ok in probe.arrived.items()}}
    if probe.errors:
        data["errors"] = {str(size): error for size, error in probe.errors.items()}
    return data


def judge(obs: Observations) -> Finding:
    """Large OPTIONS on every SIP port, judged against the small one on the same port."""
    data: dict[str, Any] = {"sizes": list(LARGE_SIZES),
                            "ports": port_keys({p: _evidence(r) for p, r in obs.large.items()})}
    tested = {p: r for p, r in obs.large.items() if r.small}
    if not tested:
        return Finding(Status.SKIP, advice.text("large.untested"), data, None, FAQ)
    lost = [advice.text("large.lost.item", size=size, port=p) for p, r in tested.items()
            for size, ok in r.arrived.items() if not ok]
    if lost:
        return Finding(Status.FAIL, advice.text("large.lost", lost=", ".join(lost)), data,
                       advice.text("large.lost.advice"), FAQ, code=Code.SIP_LARGE_LOST)
    return Finding(Status.PASS, advice.text("large.ok", sizes="/".join(map(str, LARGE_SIZES)),
                                            ports=advice.numbers(tested)), data, None, FAQ)


CHECK = Check(CheckId.SIP_LARGE, judge, needs=(Obs.LARGE,), requires=(Obs.DNS_VOIP,))
