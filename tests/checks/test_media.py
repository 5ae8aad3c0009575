"""``media.quality``'s verdicts on hand-made probes (issue #23, part 2)."""

from __future__ import annotations

from flexdiag.checks import media
from flexdiag.model import Status
from flexdiag.records import MediaProbe
from tests.checks.builders import observations

STEP = 0.020


def probe(delay_s: float = 0.02, lost: set[int] | None = None, n: int = 250) -> MediaProbe:
    sends = [i * STEP for i in range(n)]
    arrivals: list[float | None] = [None if lost and i in lost else t + delay_s
                                    for i, t in enumerate(sends)]
    return MediaProbe(("192.0.2.20", 12000), sends, arrivals)


def test_a_good_path_passes_with_its_figures() -> None:
    finding = media.judge(observations(media=probe()))
    assert finding.status is Status.PASS and finding.faq == (4,)
    assert finding.data["rtt_ms"] == 20.0 and finding.data["loss_pct"] == 0.0
    assert finding.data["mos"] >= 4.3 and "MOS" in finding.summary


def test_loss_warns_with_the_figures_and_honest_words() -> None:
    finding = media.judge(observations(media=probe(lost=set(range(0, 250, 20)))))
    assert finding.status is Status.WARN and finding.data["loss_pct"] == 5.2
    assert finding.advice is not None and "cannot say which direction" in finding.advice


def test_a_long_round_trip_warns() -> None:
    finding = media.judge(observations(media=probe(delay_s=0.4)))
    assert finding.status is Status.WARN and finding.data["rtt_ms"] == 400.0


def test_nothing_back_fails() -> None:
    finding = media.judge(observations(media=probe(lost=set(range(250)))))
    assert finding.status is Status.FAIL and finding.data["answered"] == 0


def test_no_socket_is_untested() -> None:
    finding = media.judge(observations(media=MediaProbe(("", 0), error="cannot send")))
    assert finding.status is Status.SKIP


def test_the_quick_run_row_names_the_command() -> None:
    finding = media.UNMEASURED.judge(observations())
    assert finding.status is Status.SKIP and finding.data == {
        "reason": "not-measured", "measure_with": "flexdiag run"}
    assert "without --quick" in finding.summary


# --- media.ports ---------------------------------------------------------------------------------

def _walk(**fields: object) -> object:
    from flexdiag.records import Firewalk, IcmpReport

    control = [IcmpReport(("198.51.100.10", 3478), o, t, c)
               for o, t, c in fields.pop("control", [])]  # type: ignore[attr-defined]
    media_ = [IcmpReport(("198.51.100.41", 12000), o, t, c)
              for o, t, c in fields.pop("media", [])]  # type: ignore[attr-defined]
    return Firewalk(gateway="203.0.113.1", control=control, media=media_,
                    probes=["198.51.100.41:12000 ttl 2", "198.51.100.42:15000 ttl 2"],
                    **fields)  # type: ignore[arg-type]


def test_ports_forwarded_pass_with_the_evidence() -> None:
    from dataclasses import replace

    from tests.checks.builders import SETTINGS

    settings = replace(SETTINGS, media_ranges=None)
    walk = _walk(control_answered=True, media=[("198.51.100.41", 3, 3)])
    finding = media.judge_ports(observations(settings=settings, media_ports=walk))
    assert finding.status is Status.PASS and finding.faq == (4,)
    assert finding.data == {
        "method": "ttl-limited", "ttl": 2, "gateway": "203.0.113.1", "control_answered": True,
        "control": [], "probes": ["198.51.100.41:12000 ttl 2", "198.51.100.42:15000 ttl 2"],
        "answers": ["198.51.100.41 ICMP 3/3 for 198.51.100.41:12000"],
        "ranges": "198.51.100.0/24", "ports": "10000-20000", "verdict": "forwarded"}
    assert finding.summary == (
        "UDP to the platform's media ports (10000-20000 on 198.51.100.0/24) leaves the site: an "
        "ICMP answer from beyond the router came back")


def test_ports_dropped_fail_with_the_firewall_rule() -> None:
    walk = _walk(control=[("198.51.100.1", 11, 0)])
    finding = media.judge_ports(observations(media_ports=walk))
    assert finding.status is Status.FAIL and finding.data["verdict"] == "dropped"
    assert finding.data["control"] == ["198.51.100.1 ICMP 11/0 for 198.51.100.10:3478"]
    assert "2 probes drew no answer" in finding.summary
    assert finding.advice == (
        "No audio would reach the platform, so calls would be silent. On the "
        "router or firewall, allow outbound UDP to 198.51.100.0/24 on ports 10000-20000, and "
        "the replies (UDP from those addresses and ports back to the phones).")


def test_ports_undecided_and_untested_are_skips() -> None:
    undecided = media.judge_ports(observations(media_ports=_walk()))
    assert undecided.status is Status.SKIP and undecided.data["verdict"] == "undecided"
    assert "nothing beyond the router answers ICMP" in undecided.summary
    untested = media.judge_ports(observations(media_ports=_walk(error="IPv6: not tested")))
    assert untested.status is Status.SKIP and untested.data["error"] == "IPv6: not tested"
    assert untested.data["verdict"] == "undecided" and untested.summary == (
        "not tested: IPv6: not tested")
    assert media.judge_ports(observations(media_ports=_walk(
        media=[(None, 3, 3)]))).data["answers"] == ["? ICMP 3/3 for 198.51.100.41:12000"]
    assert "reason" not in untested.data  # IPv6 here: untested, not left out by the OS


def test_an_os_that_cannot_measure_the_ports_says_so_to_the_headline() -> None:
    """Windows, macOS (no ICMP error queue): not measured, measurable with flexdiag on Linux;
    the headline then says "Ready so far", never plain "Ready"."""
    from flexdiag.facts import measure_with, unmeasured

    walk = _walk(error="this OS does not tell programs which router sent an ICMP error",
                 os_cannot=True)
    finding = media.judge_ports(observations(media_ports=walk))
    assert finding.status is Status.SKIP and unmeasured(finding.data)
    assert measure_with(finding.data) == "flexdiag run (Linux)"
    assert finding.data["verdict"] == "undecided"


def test_the_checks_budgets_and_declarations() -> None:
    from dataclasses import replace

    from flexdiag.records import Obs
    from tests.checks.builders import SETTINGS

    quality = media.check(replace(SETTINGS, media_seconds=7.0))
    assert (quality.id, quality.needs, quality.requires, quality.budget_s) == (
        "media.quality", (Obs.MEDIA,), (Obs.DNS_STUN,), 7.0 + 1.0 + 3.0)
    ports = media.ports_check()
    assert (ports.id, ports.needs, ports.requires, ports.budget_s) == (
        "media.ports", (Obs.MEDIA_PORTS,), (Obs.DNS_STUN,), 6.0)
    assert media.PORTS_UNMEASURED.judge(observations()).data == {
        "reason": "not-measured", "measure_with": "flexdiag run"}
