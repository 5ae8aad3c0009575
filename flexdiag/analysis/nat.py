"""NAT behaviour from observations, in RFC 4787 vocabulary (RFC 5780 §4.3-4.4 tests and the
STUN/SIP cross-check), and the SIP ALG decision. Pure functions, tested by truth tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flexdiag.addr import Addr, format_addr, same_addr, same_ip
from flexdiag.codec.sip import sent_by_host
from flexdiag.vocab import Behavior, Impact

# Evidence as a message key of the advice catalogue and its fields (this module words nothing:
# the checks put it into the report's language).
Note = tuple[str, dict[str, Any]]

EIM = Behavior.EIM
ADDRESS = Behavior.ADDRESS
ADDRESS_PORT = Behavior.ADDRESS_PORT
UNKNOWN = Behavior.UNKNOWN


def classify_mapping_rfc5780(local: Addr, test1: Addr, test2: Addr | None,
                             test3: Addr | None) -> Behavior:
    """RFC 5780 §4.3. ``test1``: mapped address from the primary address and port; ``test2``:
    from the alternate address, primary port; ``test3``: alternate address and port."""
    if same_addr(test1, local):
        return EIM  # no translation at all
    if test2 is None:
        return UNKNOWN
    if same_addr(test2, test1):
        return EIM
    if test3 is None:
        return UNKNOWN
    return ADDRESS if same_addr(test3, test2) else ADDRESS_PORT


def classify_filtering(change_ip_and_port: bool | None,
                       change_port: bool | None) -> Behavior:
    """RFC 5780 §4.4: did a response sent from the alternate address and port (test II), or
    from the primary address and alternate port (test III), get through? ``None``: not run."""
    if change_ip_and_port:
        return EIM
    if change_ip_and_port is None or change_port is None:
        return UNKNOWN
    return ADDRESS if change_port else ADDRESS_PORT


@dataclass(frozen=True)
class View:
    """One server's view of the same local socket: where it is, and the public address it
    saw the socket as (STUN XOR-MAPPED-ADDRESS, or SIP Via received/rport)."""

    label: str
    server: Addr
    mapped: Addr


def classify_mapping_crosscheck(local: Addr,
                                views: Sequence[View]) -> tuple[Behavior, list[Note]]:
    """Mapping behaviour from several servers' views of one socket (RFC 4787 §4.1 terms).

    Two servers at different addresses seeing the same mapping prove endpoint independence;
    one server address seeing different mappings on two ports proves port dependence; a
    different mapping per server address with one mapping per port proves address dependence.
    Anything less decides nothing.
    """
    evidence: list[Note] = [("ev.view", {"label": v.label, "server": format_addr(v.server),
                                         "mapped": format_addr(v.mapped)}) for v in views]
    if len(views) < 2:
        return UNKNOWN, evidence + [("ev.view.few", {})]
    if all(same_addr(v.mapped, local) for v in views):
        return EIM, evidence + [("ev.view.untranslated", {})]
    kept_across_addresses = changed_across_addresses = False
    kept_across_ports = changed_across_ports = False
    for i, a in enumerate(views):
        for b in views[i + 1:]:
            same_mapping = same_addr(a.mapped, b.mapped)
            if not same_ip(a.server[0], b.server[0]):
                kept_across_addresses |= same_mapping
                changed_across_addresses |= not same_mapping
            elif a.server[1] != b.server[1]:
                kept_across_ports |= same_mapping
                changed_across_ports |= not same_mapping
    if changed_across_ports:
        return ADDRESS_PORT, evidence
    if kept_across_addresses and not changed_across_addresses:
        return EIM, evidence
    if changed_across_addresses and kept_across_ports:
        return ADDRESS, evidence
    return UNKNOWN, evidence + [("ev.view.inseparable", {})]


@dataclass(frozen=True)
class SipView:
    """What one SIP exchange from the primary socket showed about the path."""

    port: int
    answered: bool
    received: str | None = None  # Via received= (RFC 3261 §18.2.1), or None
    rport: int | None = None  # Via rport= (RFC 3581 §4)
    sent_by_echoed: str | None = None  # the Via sent-by the server echoed
    changed_headers: tuple[str, ...] = ()  # headers echoed differently from what we sent


def classify_alg(local: Addr, public: Addr | None, view: SipView) -> tuple[bool | None, Note]:
    """Did something on the path rewrite SIP on this port? ``public``: STUN's mapped address
    of the same socket (``None`` if STUN gave none). Returns the decision and its evidence.

    A server copies From, To, Call-ID, CSeq and Via into its response (RFC 3261 §8.2.6.2) and
    adds where it saw the request come from (``received``/``rport``). A kernel-style ALG
    rewrites the request's addresses on the way out and maps them back in the response, so the
    server's ``received`` then names the private address although STUN sees a public one.
    """
    port = view.port
    if not view.answered:
        return None, ("ev.alg.silent", {"port": port})
    if view.changed_headers:
        return True, ("ev.alg.echo", {"port": port, "headers": ", ".join(view.changed_headers)})
    seen_ip = view.received or sent_by_host(view.sent_by_echoed or "")
    seen = f"{seen_ip}:{view.rport}" if view.rport is not None else seen_ip
    fields: dict[str, Any] = {"port": port, "seen": seen}
    if public is None:
        return None, ("ev.alg.no_stun", fields)
    fields["public"] = format_addr(public)
    if same_ip(public[0], local[0]):  # no NAT
        if same_ip(seen_ip, local[0]):
            return False, ("ev.alg.no_nat", fields)
        return None, ("ev.alg.paths_differ", fields)
    if same_ip(seen_ip, local[0]):
        return True, ("ev.alg.private", fields)
    if same_ip(seen_ip, public[0]):
        return False, ("ev.alg.clean", fields)
    return None, ("ev.alg.other_public", fields)


def combine_alg(decisions: Sequence[bool | None]) -> bool | None:
    """One verdict over all ports: any rewriting is an ALG; no ALG only when every port was
    decided clean (a port that could not be tested is not passed: ALGs often watch one port,
    usually the very one that went unanswered); else ``None``."""
    if any(d is True for d in decisions):
        return True
    if decisions and all(d is False for d in decisions):
        return False
    return None


def impact(mapping: Behavior, filtering: Behavior, port_translation: bool | None) -> Impact:
    """What the NAT behaviour means for calls on the platform (FAQ items 4-6), as a key of
    the advice catalogue: ``clean``, ``translated``, ``per-destination`` or ``phone-first``."""
    if mapping in (ADDRESS, ADDRESS_PORT):
        return Impact.PER_DESTINATION  # media sees other public ports than signalling
    if port_translation:
        return Impact.TRANSLATED  # the platform must latch; the start of calls can be lost
    if filtering in (ADDRESS, ADDRESS_PORT):
        return Impact.PHONE_FIRST  # audio gets in once the phone has sent to that address/port
    return Impact.CLEAN
