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
from flexdiag.addr import format_addr
from flexdiag.facts import (
    AlgFacts,
    AudioFacts,
    CapacityFacts,
    HostFacts,
    IncomingFacts,
    LifetimeFacts,
    PhonePortFacts,
    SipFacts,
    StunFacts,
    UpstreamFacts,
    unmeasured,
)
from flexdiag.model import CheckResult, Plan, Status, Step
from flexdiag.settings import Settings
from flexdiag.vocab import NTP_PORT, STUN_PORT, CheckId, Faq, TableBehavior, Verdict, sip_udp

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
    """A result's evidence, for its typed facts (``flexdiag.facts``): ``{}`` when not run."""
    result = results.get(check_id)
    return result.data if result is not None else {}


def _failing(results: Mapping[str, CheckResult], prefix: str) -> list[str]:
    return [i for i, r in results.items() if i.startswith(prefix) and r.status is Status.FAIL]


_SUFFERERS = ("dns.", "stun.", "sip.", CheckId.NAT_MAPPING, CheckId.NAT_FILTERING,
              CheckId.NAT_LIFETIME, "ntp.")


def _elsewhere(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """flexdiag behind a container's or WSL's NAT, or a VPN: first of all, run it where the
    phones are (every other finding may be about the wrong box)."""
    host = results.get(CheckId.HOST_NETWORK)
    if host is not None and host.status is Status.FAIL and host.advice:
        draft.add(host.advice + advice.text("plan.elsewhere"), host.faq, [host.id])


def _full_table(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """A NAT table that refuses new flows explains the silence of every check whose flow came
    too late: one step, at the cause, instead of advice about DNS, STUN or SIP."""
    capacity = results.get(CheckId.NAT_CAPACITY)
    if (capacity is None or capacity.status is not Status.FAIL or capacity.advice is None
            or CapacityFacts.of(capacity.data).behavior is not TableBehavior.REFUSES_NEW):
        return
    sufferers = [i for i, r in results.items() if i.startswith(_SUFFERERS)
                 and r.status in (Status.FAIL, Status.WARN)]
    # Name the checks that did suffer, and only those (none: no such sentence).
    text = capacity.advice + (advice.text("plan.capacity_sufferers", checks=", ".join(sufferers))
                              if sufferers else "")
    draft.add(text, capacity.faq, [CheckId.NAT_CAPACITY, *sufferers])


_DEPENDANTS = {CheckId.DNS_VOIP: ("sip.",), CheckId.DNS_STUN: ("stun.", "nat."),
               CheckId.DNS_NTP: ("ntp.",)}


def _outside_ranges(results: Mapping[str, CheckResult], draft: _Draft) -> list[CheckResult]:
    """The DNS checks warning that a name resolves outside the platform ranges."""
    return [results[i] for i in _DEPENDANTS if i in results and i not in draft.covered
            and results[i].status is Status.WARN and results[i].advice is not None]


def _dns_cause(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """Names resolving outside the platform ranges (a DNS hijack rewrites them all): one step,
    said once, that the dependants' failures point at."""
    outside = _outside_ranges(results, draft)
    failing = [f for dns in outside for p in _DEPENDANTS[CheckId(dns.id)]
               for f in _failing(results, p) if f not in draft.covered]
    if not outside or not failing:
        return  # no dependant suffered: each name's own warning says it (merged if alike)
    texts = list(dict.fromkeys(dns.advice for dns in outside if dns.advice))
    draft.add(advice.text("plan.dns_cause", advice=" ".join(texts), checks=", ".join(failing)),
              [f for i in (*outside, *(results[c] for c in failing)) for f in i.faq],
              [*(dns.id for dns in outside), *failing])


_NAT_BEHAVIOUR = (CheckId.STUN_BINDING, CheckId.NAT_MAPPING, CheckId.NAT_FILTERING)
_ADVICE = dict[str, tuple[str, tuple[int, ...]]]  # check id -> (advice, FAQ items)


def _one_advice_per_setting(results: Sequence[CheckResult]) -> list[CheckResult]:
    """Findings whose remedy is one router setting say it in one text, so that they become
    one step (the findings keep their evidence and point at it):

    - port translation, address-dependent mapping and filtering that clips calls are all
      "endpoint-independent, port-preserving NAT";
    - large messages dropped: the SIP ALG is named only where one was seen.
    """
    by_id = {r.id: r for r in results}
    changed = {**_nat_behaviour(by_id), **_large_behind_alg(by_id)}
    return [replace(r, advice=changed[r.id][0], faq=changed[r.id][1]) if r.id in changed
            else r for r in results]


def _actionable(result: CheckResult | None) -> bool:
    return result is not None and result.status in _ACTIONABLE and bool(result.advice)


def _nat_behaviour(by_id: Mapping[str, CheckResult]) -> _ADVICE:
    """Two or more NAT behaviour findings: one router setting (one finding alone keeps its
    own, more specific advice)."""
    nat = [i for i in _NAT_BEHAVIOUR if _actionable(by_id.get(i))]
    if len(nat) < 2:
        return {}
    faq = (Faq.AUDIO, Faq.SIP, Faq.PORT_TRANSLATION)
    return {i: (advice.text("plan.nat_behaviour"), tuple(sorted({*by_id[i].faq, *faq})))
            for i in nat}


def _large_behind_alg(by_id: Mapping[str, CheckResult]) -> _ADVICE:
    """Large messages dropped where an ALG was seen: the ALG is named, with its ports."""
    large = by_id.get(CheckId.SIP_LARGE)
    alg = AlgFacts.of(_data(by_id, CheckId.SIP_ALG))
    if large is None or not _actionable(large) or alg.detected is not True or not alg.rewriting:
        return {}
    assert large.advice is not None
    ports = advice.numbers(alg.rewriting)
    return {CheckId.SIP_LARGE: (large.advice + advice.text("large.alg", ports=ports),
                                large.faq)}


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
        ports = tuple(p for p in settings.sip_ports if sip_udp(p) in results)
        phone = PhonePortFacts.of(_data(results, CheckId.SIP_PHONE))
        phone_ok = {p: bool(phone.phone_ok.get(p)) if phone.tested
                    else SipFacts.of(results[sip_udp(p)].data).answered for p in ports}
        alg = AlgFacts.of(_data(results, CheckId.SIP_ALG))
        local = phone.local_port if phone.local_port is not None else settings.local_sip_port
        return cls(ports, local, phone.alternative_port if phone.tested else None, phone_ok,
                   {p: bool(phone.alternative_ok.get(p)) for p in ports},
                   {p: alg.ports.get(p) is True for p in ports})

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
    if (CheckId.DNS_VOIP in draft.covered or CheckId.NAT_CAPACITY in draft.covered
            or not view.ports
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
    ids = [i for i in (*map(sip_udp, view.ports), CheckId.SIP_PHONE, CheckId.SIP_ALG)
           if i in results and results[i].status in (*_ACTIONABLE, Status.SKIP)]
    draft.add(text, (Faq.SIP,), ids)


def _off_alg(results: Mapping[str, CheckResult], port: int, draft: _Draft) -> str:
    """Leaving an ALG's port exposes the phones to the router's own UDP timeout."""
    lifetime = results.get(CheckId.NAT_LIFETIME)
    data = lifetime.data if lifetime is not None else {}
    if unmeasured(data):
        return advice.text("plan.off_alg.unmeasured", port=port)
    facts = LifetimeFacts.of(data)
    keepalive = facts.advised_keepalive_s
    if lifetime is None or lifetime.status is not Status.FAIL or keepalive is None:
        return ""
    draft.phone["keepalive_s"] = keepalive
    draft.covered.add(CheckId.NAT_LIFETIME)
    expired = facts.expired_s
    return advice.text("plan.off_alg.lifetime", keepalive=keepalive, port=port,
                       expired=advice.seconds_or_unknown(expired))


def _lifetime(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """The NAT keep-alive a phone's measured mapping lifetime needs (the registration interval
    stays as it is: the router change comes first in the plan, from the check's advice)."""
    lifetime = results.get(CheckId.NAT_LIFETIME)
    if lifetime is None:
        return
    facts = LifetimeFacts.of(lifetime.data)
    needed = lifetime.status is Status.FAIL or facts.verdict is Verdict.KEPT_PAST_HORIZON
    if needed and facts.advised_keepalive_s is not None:
        draft.phone["keepalive_s"] = facts.advised_keepalive_s


def _call_missed(results: Mapping[str, CheckResult], draft: _Draft) -> None:
    """A test call lost on its way to the idle phone: the phones' NAT keep-alive, one step
    with the lifetime's finding where that failed too (its measured keep-alive wins: it
    knows the lifetime, the call only an idle time that was too long)."""
    call = results.get(CheckId.CALL_INCOMING)
    if call is None or call.status is not Status.FAIL:
        return
    facts = IncomingFacts.of(call.data)
    lifetime = results.get(CheckId.NAT_LIFETIME)
    measured = LifetimeFacts.of(lifetime.data).advised_keepalive_s if lifetime else None
    keepalive = measured or facts.advised_keepalive_s
    if keepalive is None or facts.idle_s is None:
        return
    draft.phone["keepalive_s"] = min(keepalive, draft.phone.get("keepalive_s", keepalive))
    checks: list[str] = [CheckId.CALL_INCOMING]
    if _actionable(lifetime) and CheckId.NAT_LIFETIME not in draft.covered:
        checks.append(CheckId.NAT_LIFETIME)
    draft.add(advice.text("plan.call_missed", idle=facts.idle_s,
                          keepalive=draft.phone["keepalive_s"]),
              [Faq.SIP, Faq.PORT_TRANSLATION], checks)


def _call_silent(results: Mapping[str, CheckResult], draft: _Draft,
                 settings: Settings) -> None:
    """Audio lost towards the phone in the test call where the router translates ports: FAQ
    item 4's remedy (port preservation, or STUN on the phones), one step with the STUN
    finding."""
    audio = results.get(CheckId.CALL_AUDIO)
    stun = results.get(CheckId.STUN_BINDING)
    if audio is None or audio.status not in _ACTIONABLE or stun is None:
        return
    if StunFacts.of(stun.data).port_translation is not True:
        return
    if AudioFacts.of(audio.data).to_phone is not False and audio.status is Status.FAIL:
        return
    checks: list[str] = [CheckId.CALL_AUDIO]
    if _actionable(stun) and CheckId.STUN_BINDING not in draft.covered:
        # With the findings that give the same router setting (NAT behaviour, merged).
        checks += [r.id for r in results.values() if _actionable(r) and r.advice == stun.advice
                   and r.id not in draft.covered]
    draft.add(advice.text("plan.call_silent",
                          stun=format_addr(settings.stun_server.addr, STUN_PORT)),
              [Faq.STUN_SERVER, Faq.AUDIO], checks)


# Steps that change a router setting: with two NATs, they concern both boxes.
_ROUTER_CHECKS = frozenset({CheckId.STUN_BINDING, CheckId.NAT_MAPPING, CheckId.NAT_FILTERING,
                            CheckId.NAT_LIFETIME, CheckId.NAT_CAPACITY, CheckId.SIP_ALG,
                            CheckId.SIP_LARGE, CheckId.MEDIA_PORTS, CheckId.CALL_INCOMING,
                            CheckId.CALL_AUDIO})


# The settings flexdiag can name a maker's menu for, and the checks whose steps ask for them.
_MENU_SETTINGS = {"sip_alg": {CheckId.SIP_ALG},
                  "port_forward": {CheckId.NAT_MAPPING, CheckId.NAT_FILTERING}}


def _router_menus(results: Mapping[str, CheckResult],
                  steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The gateway's maker known (host.network), a step about a setting its maker documents
    names the menu path (advice.ROUTER_MENUS)."""
    host = results.get(CheckId.HOST_NETWORK)
    vendor = HostFacts.of(host.data).gateway_vendor if host else None
    menus = {key: advice.router_menu(vendor, key) for key in _MENU_SETTINGS}

    def named(step: Step) -> Step:
        extra = "".join(menu for key, menu in menus.items()
                        if menu and _MENU_SETTINGS[key] & set(step.checks))
        return replace(step, text=step.text + extra) if extra else step

    return tuple(named(step) for step in steps)


def _which_box(results: Mapping[str, CheckResult], steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """Double NAT or carrier-grade NAT: every router step says which box it concerns."""
    upstream = results.get(CheckId.NAT_UPSTREAM)
    if upstream is None or upstream.status is not Status.WARN:
        return steps
    facts = UpstreamFacts.of(upstream.data)
    kind = ("cgnat" if facts.upstream == "cgnat" else "double" if facts.other_box
            else "double.unknown")
    suffix = advice.text(f"plan.box.{kind}", box=facts.other_box)
    return tuple(replace(step, text=step.text + suffix)
                 if _ROUTER_CHECKS & set(step.checks) else step for step in steps)


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
    stun = StunFacts.of(_data(results, CheckId.STUN_BINDING))
    return {
        "sip_server": settings.sip_server,
        "sip_port": draft.phone.get("sip_port", settings.sip_ports[0]),
        "local_sip_port": draft.phone.get("local_sip_port", settings.local_sip_port),
        "stun_server": (format_addr(settings.stun_server.addr, STUN_PORT)
                        if stun.port_translation is True else None),
        "ntp_server": format_addr(settings.ntp_server.addr, NTP_PORT),
        "keepalive_s": draft.phone.get("keepalive_s"),
        # The phones' own interval: flexdiag's remedy is the keep-alive, never a shorter one.
        "registration_time_s": settings.registration_time_s,
    }


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
    _elsewhere(by_id, draft)
    _full_table(by_id, draft)
    _dns_cause(by_id, draft)
    _sip_path(by_id, settings, draft)
    _lifetime(by_id, draft)
    _call_missed(by_id, draft)
    _call_silent(by_id, draft, settings)
    _remaining(results, draft)
    return Plan(steps=_router_menus(by_id, _which_box(by_id, tuple(draft.steps))),
                phone_settings=_phone_settings(by_id, draft, settings))
