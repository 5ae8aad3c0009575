"""``sip.phone``: does SIP work from the phones' own local port (5060 unless set), as it
does from any other port (FAQ item 5)?

Phones send SIP from a fixed local port, and the platform answers to it (RFC 3581 §4: to the
source port). A router or provider that filters UDP port 5060 in both directions drops those
answers, while flexdiag's own probes from ephemeral ports pass: judged from those alone, the
advice ("use 38388") would still leave a phone on local port 5060 without registration. So the
same OPTIONS go out from the phones' port (and, beside it, from an alternative local port), and
the answers are compared with those to the primary socket's ephemeral port.
"""

from __future__ import annotations

from typing import Any

from flexdiag import advice
from flexdiag.checks.base import Check, Finding
from flexdiag.facts import port_keys
from flexdiag.model import Status
from flexdiag.records import FixedPortProbe, Obs, Observations
from flexdiag.vocab import CheckId, Code, Faq


def _ports(probe: FixedPortProbe) -> dict[str, bool | None]:
    return port_keys({port: probe.answered(port) for port in probe.exchanges})


def _untested(phone: FixedPortProbe, data: dict[str, Any]) -> Finding:
    """The phones' port could not be used on this computer: worded by its cause (only a port
    in use is "another program"; a privileged port or too few file descriptors are not)."""
    local = phone.local_port
    data["error"] = phone.error
    data["error_kind"] = phone.error_kind
    key = {"in-use": "phone_port.untested.advice"}.get(
        phone.error_kind or "other", f"phone_port.untested.{phone.error_kind or 'other'}")
    return Finding(Status.SKIP, advice.text("phone_port.untested", local=local,
                                            error=phone.error), data,
                   advice.text(key, local=local), FAQ)


def _evidence(phone: FixedPortProbe, alternative: FixedPortProbe,
              ephemeral: dict[int, bool], sip_ports: tuple[int, ...]) -> dict[str, Any]:
    """Per platform port: answered from the phones' port and from another one; the
    alternative local port's answers (read back as ``flexdiag.facts.PhonePortFacts``)."""
    return {
        "local_port": phone.local_port,
        "ports": port_keys({p: {"phone_port": phone.answered(p), "other_port": ephemeral.get(p)}
                            for p in sip_ports}),
        "alternative": {"local_port": alternative.local_port, "ports": _ports(alternative),
                        "error": alternative.error},
    }


def judge(obs: Observations) -> Finding:
    """Compare the answers to the phones' local port with those to an ephemeral port."""
    probes = obs.phone_sip
    assert probes is not None
    phone, alternative = probes.phone, probes.alternative
    local = phone.local_port
    ephemeral = {p: e.answered for p, e in obs.sip.items()}
    data = _evidence(probes.phone, probes.alternative, ephemeral, obs.settings.sip_ports)
    if phone.error:
        return _untested(phone, data)
    blocked = [p for p in obs.settings.sip_ports if ephemeral.get(p) and not phone.answered(p)]
    if not blocked:
        answered = [p for p in obs.settings.sip_ports if phone.answered(p)]
        key = "phone_port.same" if answered else "phone_port.none"
        return Finding(Status.PASS if answered else Status.SKIP,
                       advice.text(key, local=local, ports=advice.numbers(answered)), data,
                       None, FAQ)
    working = [p for p in blocked if alternative.answered(p)]
    text = (advice.text("phone_port.blocked.advice", local=local, alt=alternative.local_port,
                        ports=advice.numbers(working))
            if working else advice.text("phone_port.blocked.none", local=local))
    return Finding(Status.FAIL, advice.text("phone_port.blocked", local=local,
                                            ports=advice.numbers(blocked)), data, text, FAQ,
                                            code=Code.SIP_PHONE_PORT_BLOCKED)


FAQ = (Faq.SIP,)
CHECK = Check(CheckId.SIP_PHONE, judge, needs=(Obs.PHONE_SIP, Obs.SIP),
              requires=(Obs.DNS_VOIP,))
