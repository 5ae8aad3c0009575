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
