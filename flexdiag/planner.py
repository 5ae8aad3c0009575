"""The plan: what to do about a run's findings, decided over all results at once. Pure.

Checks judge one concern each; the planner is where findings meet, so that no piece of advice
contradicts another or breaks a path that works:

- **A full NAT table first.** When it refuses new flows, the DNS, STUN and SIP checks whose
  flows came too late merely suffered from it: one step, at the cause.
- **DNS first.** A platform name that resolves outside the platform ranges explains the SIP
  and STUN failures that follow from it: one step, pointing at the cause.
- **One SIP path for the phones.** The port to register on and the local port to send from are
  chosen from what a phone would see: the probes from the phones' own local port, the SIP ALG
  per port, and the alternative local port that was tried. "Use 38388" is advised only where
  38388 works *from the phones' port*; otherwise the local port to change comes with it.
- **Off the ALG, into the lifetime.** A SIP ALG on 5060 holds the phones' mappings open; moving
  them off 5060 exposes them to the router's own UDP timeout, so that step carries the
  registration interval the measured lifetime needs (or says to measure it first).

Every other finding's advice follows, failures before warnings, advice shared by several
findings merged into one step. The phone settings are the phone-side part of the plan: what to
configure on the phones so that they work on the network as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flexdiag import advice
from flexdiag.model import CheckResult, Plan, Status, Step
from flexdiag.settings import Settings

_ACTIONABLE = (Status.FAIL, Status.WARN)


@dataclass
class _Draft:
    """The plan as the rules build it."""

    steps: list[Step] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    phone: dict[str, int] = field(default_factory=dict)

    def add(self, text: str, faq: Sequence[int], checks: Sequence[str]) -> None:
        self.steps.append(Step(text, tuple(sorted(set(faq))), tuple(checks)))
        self.covered.update(checks)


def _data(results: Mapping[str, CheckResult], check_id: str) -> Mapping[str, Any]:
    result = results.get(check_id)
    return result.data if result is not None else {}


def _failing(results: Mapping[str, CheckResult], prefix: str) -> list[str]:
    return [i for i, r in results.items() if i.startswith(prefix) and r.status is Status.FAIL]


_SUFFERERS = ("dns.", "stun.", "sip.", "nat.mapping", "nat.filtering", "nat.lifetime",
              "ntp.")


def _full_table(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """A NAT table that refuses new flows explains the silence of every check whose flow came
    too late: one step, at the cause, instead of advice about DNS, STUN or SIP."""
    capacity = results.get("nat.capacity")
    if (capacity is None or capacity.status is not Status.FAIL or capacity.advice is None
            or capacity.data.get("behavior") != "refuses-new"):
        return
    sufferers = [i for i, r in results.items() if i.startswith(_SUFFERERS)
                 and r.status in (Status.FAIL, Status.WARN)]
    # Name the checks that did suffer, and only those (none: no such sentence).
    text = capacity.advice + (advice.text("plan.capacity_sufferers", checks=", ".join(sufferers))
                              if sufferers else "")
    draft.add(text, capacity.faq, ["nat.capacity", *sufferers])


def _dns_cause(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """Names resolving outside the platform ranges (a DNS hijack rewrites them all): one step,
    said once, that the dependants' failures point at."""
    dependants = {"dns.voip": ("sip.",), "dns.stun": ("stun.", "nat."), "dns.ntp": ("ntp.",)}
    outside = [results[i] for i in dependants if i in results and i not in draft.covered
               and results[i].status is Status.WARN and results[i].advice is not None]
    failing = [f for dns in outside for p in dependants[dns.id] for f in _failing(results, p)
               if f not in draft.covered]
    if not outside or not failing:
        return  # no dependant suffered: each name's own warning says it (merged if alike)
    texts = list(dict.fromkeys(dns.advice for dns in outside if dns.advice))
    draft.add(advice.text("plan.dns_cause", advice=" ".join(texts), checks=", ".join(failing)),
              [f for i in (*outside, *(results[c] for c in failing)) for f in i.faq],
              [*(dns.id for dns in outside), *failing])


_NAT_BEHAVIOUR = ("stun.binding", "nat.mapping", "nat.filtering")


def _one_advice_per_setting(results: Sequence[CheckResult]) -> list[CheckResult]:
    """Findings whose remedy is one router setting say it in one text, so that they become
    one step (the findings keep their evidence and point at it):

    - port translation, address-dependent mapping and filtering that clips calls are all
      "endpoint-independent, port-preserving NAT";
    - large messages dropped: the SIP ALG is named only where one was seen.
    """
    by_id = {r.id: r for r in results}
    nat = [i for i in _NAT_BEHAVIOUR if i in by_id and by_id[i].status in _ACTIONABLE
           and by_id[i].advice]
    changed: dict[str, tuple[str, tuple[int, ...]]] = {}  # id -> (advice, FAQ items)
    if len(nat) >= 2:  # one finding alone keeps its own, more specific advice
        changed.update({i: (advice.text("plan.nat_behaviour"),
                            tuple(sorted({*by_id[i].faq, 4, 5, 6}))) for i in nat})
    large = by_id.get("sip.large")
    alg = _data(by_id, "sip.alg")
    ports = [p for p, seen in (alg.get("ports") or {}).items() if seen is True]
    if (large is not None and large.status in _ACTIONABLE and large.advice
            and alg.get("detected") is True and ports):
        changed["sip.large"] = (large.advice + advice.text("large.alg", ports=", ".join(ports)),
                                large.faq)
    return [replace(r, advice=changed[r.id][0], faq=changed[r.id][1]) if r.id in changed
            else r for r in results]


@dataclass(frozen=True)
class _SipView:
    """What a phone would see per platform port."""

    ports: tuple[int, ...]
    local: int
    alternative: int | None
    phone_ok: Mapping[int, bool]
    alternative_ok: Mapping[int, bool]
    alg: Mapping[int, bool]

    @classmethod
    def of(cls, results: Mapping[str, CheckResult], settings: Settings) -> _SipView:
        ports = tuple(p for p in settings.sip_ports if f"sip.udp.{p}" in results)
        answered = {p: results[f"sip.udp.{p}"].data.get("status_code") is not None
                    for p in ports}
        phone = _data(results, "sip.phone")
        tested = "error" not in phone and "ports" in phone
        per_port = phone.get("ports", {})
        phone_ok = {p: bool(per_port.get(str(p), {}).get("phone_port")) if tested
                    else answered[p] for p in ports}
        alt = phone.get("alternative") or {}
        alt_ok = {p: bool((alt.get("ports") or {}).get(str(p))) for p in ports}
        alg_ports = _data(results, "sip.alg").get("ports") or {}
        return cls(ports, int(phone.get("local_port", settings.local_sip_port)),
                   alt.get("local_port") if tested else None, phone_ok, alt_ok,
                   {p: alg_ports.get(str(p)) is True for p in ports})

    def usable(self, port: int) -> bool:
        return self.phone_ok[port] and not self.alg[port]


def _move_port(view: _SipView, server: str) -> tuple[str, dict[str, int]] | None:
    """Off the default port, from the phones' own local port: the step and the settings."""
    default = view.ports[0]
    choice = next((p for p in view.ports if view.usable(p)), None)
    if choice is None:
        return None
    why = (advice.text("plan.why.alg", port=default) if view.alg[default]
           else advice.text("plan.why.silent", local=view.local, port=default))
    return (advice.text("plan.sip_port", server=server, port=choice, why=why,
                        listening=advice.port_list(view.ports)),
            {"sip_port": choice})


def _move_local_port(view: _SipView, server: str) -> tuple[str, dict[str, int]] | None:
    """Off the phones' blocked local port too, to the alternative that was seen to work."""
    choice = next((p for p in view.ports if view.alternative_ok[p] and not view.alg[p]), None)
    if choice is None or view.alternative is None:
        return None  # no phone-side way round: the checks' own advice says what to open
    text = advice.text("plan.local_port", alt=view.alternative, server=server, port=choice,
                       local=view.local)
    return text, {"local_sip_port": view.alternative, "sip_port": choice}


def _sip_path(results: Mapping[str, CheckResult], settings: Settings, draft: _Draft) -> None:
    """Choose the platform port and local port the phones should use."""
    view = _SipView.of(results, settings)
    if ("dns.voip" in draft.covered or "nat.capacity" in draft.covered or not view.ports
            or view.usable(view.ports[0])):
        return  # DNS or a full table is the cause, or the phones' default port works as it is
    move = _move_port(view, settings.sip_server) or _move_local_port(view, settings.sip_server)
    if move is None:
        return
    text, phone = move
    draft.phone.update(phone)
    default = view.ports[0]
    if view.alg[default] and phone["sip_port"] != default:
        text += _off_alg(results, default, draft)
    ids = [i for i in (*(f"sip.udp.{p}" for p in view.ports), "sip.phone", "sip.alg")
           if i in results and results[i].status in (*_ACTIONABLE, Status.SKIP)]
    draft.add(text, (5,), ids)


def _off_alg(results: Mapping[str, CheckResult], port: int, draft: _Draft) -> str:
    """Leaving an ALG's port exposes the phones to the router's own UDP timeout."""
    lifetime = results.get("nat.lifetime")
    data = lifetime.data if lifetime is not None else {}
    if data.get("reason") == "not-measured":
        return advice.text("plan.off_alg.unmeasured", port=port)
    keepalive = data.get("advised_keepalive_s")
    if lifetime is None or lifetime.status is not Status.FAIL or keepalive is None:
        return ""
    draft.phone["keepalive_s"] = int(keepalive)
    draft.covered.add("nat.lifetime")
    expired = data.get("expired_s")
    return advice.text("plan.off_alg.lifetime", keepalive=keepalive, port=port,
                       expired=f"{expired:.1f} s" if expired is not None else "?")


def _lifetime(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """The NAT keep-alive a phone's measured mapping lifetime needs (the registration interval
    stays as it is: the router change comes first in the plan, from the check's advice)."""
    lifetime = results.get("nat.lifetime")
    if lifetime is None:
        return
    keepalive = lifetime.data.get("advised_keepalive_s")
    needed = lifetime.status is Status.FAIL or lifetime.data.get("verdict") == (
        "kept-past-horizon")
    if needed and keepalive is not None:
        draft.phone["keepalive_s"] = int(keepalive)


def _remaining(results: Sequence[CheckResult], draft: _Draft) -> None:
    """Every other finding's advice: failures first, shared advice merged."""
    ranked = sorted((r for r in results if r.status in _ACTIONABLE and r.advice
                     and r.id not in draft.covered),
                    key=lambda r: -r.status.rank)  # stable: report order within a status
    merged: dict[str, tuple[set[int], list[str]]] = {}
    for result in ranked:
        assert result.advice is not None
        faq, ids = merged.setdefault(result.advice, (set(), []))
        faq.update(result.faq)
        ids.append(result.id)
    for text, (faq, ids) in merged.items():
        draft.add(text, sorted(faq), ids)


def _phone_settings(results: Mapping[str, CheckResult], draft: _Draft,
                    settings: Settings) -> dict[str, Any]:
    """The whole "Set on the phones" block for this network as it is: what the plan changed,
    the platform's values (FAQ items 1-3) for the rest. STUN is on where the router
    translates ports (FAQ items 2, 4: the phone then announces its public port), else off
    (``None``); no keep-alive (``None``) where none is needed."""
    stun = _data(results, "stun.binding")
    return {
        "sip_server": settings.sip_server,
        "sip_port": draft.phone.get("sip_port", settings.sip_ports[0]),
        "local_sip_port": draft.phone.get("local_sip_port", settings.local_sip_port),
        "stun_server": (_host_port(settings.stun_server.host, settings.stun_server.port, 3478)
                        if stun.get("port_translation") is True else None),
        "ntp_server": _host_port(settings.ntp_server.host, settings.ntp_server.port, 123),
        "keepalive_s": draft.phone.get("keepalive_s"),
        # The phones' own interval: flexdiag's remedy is the keep-alive, never a shorter one.
        "registration_time_s": settings.registration_time_s,
    }


def _host_port(host: str, port: int, default: int) -> str:
    if port == default:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def reconcile(results: Sequence[CheckResult], plan: Plan) -> tuple[CheckResult, ...]:
    """The results with every finding's advice replaced by the plan step that answers it,
    where the two differ: a check judged alone may advise what the whole picture forbids
    ("use 38388", where a phone on local port 5060 would still be cut off)."""
    step_of = {cid: step for step in plan.steps for cid in step.checks}
    return tuple(
        replace(r, advice=step_of[r.id].text)
        if r.advice and r.id in step_of and step_of[r.id].text != r.advice else r
        for r in results)


def plan(results: Sequence[CheckResult], settings: Settings | None = None) -> Plan:
    """The ordered steps and phone settings for ``results`` (in report order)."""
    settings = settings or Settings()
    results = _one_advice_per_setting(results)
    by_id = {r.id: r for r in results}
    draft = _Draft()
    _full_table(by_id, draft)
    _dns_cause(by_id, draft)
    _sip_path(by_id, settings, draft)
    _lifetime(by_id, draft)
    _remaining(results, draft)
    return Plan(steps=tuple(draft.steps),
                phone_settings=_phone_settings(by_id, draft, settings))
