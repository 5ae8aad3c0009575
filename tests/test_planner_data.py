"""Observations shared by the planner's tests: the lab's scenarios, built by hand."""

from __future__ import annotations

from flexdiag.analysis import lifetime as lt
from flexdiag.records import FixedPortProbe, LargeProbe, Measurement, PhonePortProbes
from flexdiag.vocab import FlowKind, Stopped
from tests.checks.builders import LOCAL, PUBLIC_IP, ntp, options, silent, stun


def short_lifetime() -> Measurement:
    """Conntrack 10/40 s: a phone's mapping is gone after 10 s of quiet."""
    return Measurement(probes=[lt.Probe(FlowKind.FRESH, 8.0, True),
                               lt.Probe(FlowKind.FRESH, 10.0, False),
                               lt.Probe(FlowKind.ESTABLISHED, 12.0, True)],
                       stopped=Stopped.DECIDED, elapsed_s=15.0)


def phone(local: int, **answers: bool) -> FixedPortProbe:
    return FixedPortProbe(local, {int(p[1:]): options(int(p[1:])) if ok else silent()
                                  for p, ok in answers.items()})


HEALTHY = {
    "stun": stun((PUBLIC_IP, LOCAL[1])),
    "sip": {5060: options(5060), 38388: options(38388)},
    "phone_sip": PhonePortProbes(phone(5060, p5060=True, p38388=True),
                                 phone(5062, p5060=True, p38388=True)),
    "ntp": ntp(),
    "large": {p: LargeProbe(small=True, wait_s=0.25, arrived={1400: True, 3000: True})
              for p in (5060, 38388)},
}
DROP_5060 = {  # UDP 5060 dropped both ways by the router or the provider
    **HEALTHY,
    "sip": {5060: silent(), 38388: options(38388)},
    "phone_sip": PhonePortProbes(phone(5060, p5060=False, p38388=False),
                                 phone(5062, p5060=False, p38388=True)),
}
ALG_5060 = {  # a kernel-style SIP ALG on 5060: the server saw the private address there
    **HEALTHY,
    "sip": {5060: options(5060, received=LOCAL[0]), 38388: options(38388)},
}
