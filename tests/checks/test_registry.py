"""The registry of checks (flexdiag.checks): which run where, and what they need observed."""

from __future__ import annotations


def test_the_watchs_slow_run_measures_only_what_quick_runs_leave_unmeasured() -> None:
    # Issue #26: it held the quick run's fixed local ports for up to an hour, and its quick
    # checks (an hour old when it ended) replaced newer results.
    from flexdiag.checks import DEFERRED, checks_for, deferred_checks, observations_needed
    from flexdiag.records import Obs
    from flexdiag.settings import Settings
    from flexdiag.vocab import LifetimeMode

    settings = Settings()
    slow = deferred_checks(settings)
    assert [c.id for c in slow] == ["media.ports", "media.quality", "nat.lifetime"]
    # Every observation once, in first-needed order (a check's requirements before its needs).
    assert observations_needed(slow) == [Obs.DNS_STUN, Obs.MEDIA_PORTS, Obs.MEDIA, Obs.LIFETIME]
    assert observations_needed([]) == []
    quick = {c.id: c for c in checks_for(settings, LifetimeMode.QUICK)}
    assert all(quick[cid].needs == () for cid in DEFERRED)  # unmeasured rows in quick runs
