"""nat.capacity verdicts: the probe's flows (``--phones N``) and a run's own flows."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from flexdiag.analysis.capacity import refused_tail
from flexdiag.checks import capacity
from flexdiag.model import Status
from flexdiag.records import CapacityProbe, Flow, Obs
from flexdiag.vocab import Method
from tests.checks.builders import observations, resolved

STUN = ("198.51.100.20", 3478)


def probe(answered: Sequence[bool], alive: Sequence[bool | None], before: int = 12,
          method: Method = Method.RFC5780) -> CapacityProbe:
    return CapacityProbe(8, 26, tuple(answered), tuple(alive), method, before, 0.02)


@pytest.mark.parametrize(("answered", "expected"), [
    ([True] * 26, None),
    ([True] * 8 + [False] * 18, 8),  # a clean tail: refused from the 9th
    ([True] * 8 + [False] * 15 + [True] * 3, 8),  # a tail with a few late answers still is
    ([True, False] * 13, None),  # scattered: loss, not a full table
    ([False] * 26, None),
])
def test_refused_tail(answered: list[bool], expected: int | None) -> None:
    assert refused_tail(tuple(answered)) == expected


def test_flows_fit() -> None:
    finding = capacity.judge(observations(capacity=probe([True] * 26, [True] * 8)))
    assert finding.status is Status.PASS and finding.data["behavior"] == "fits"
    assert finding.data["flows_needed"] == 26 and finding.data["evicted"] == 0


def test_refused_new_flows_estimate_the_table_with_the_runs_own() -> None:
    finding = capacity.judge(observations(capacity=probe([True] * 8 + [False] * 18,
                                                         [True] * 8, before=12)))
    assert finding.status is Status.FAIL and finding.data["behavior"] == "refuses-new"
    assert finding.data["capacity_estimate"] == 20  # 12 of the run's own + 8 of the probe's
    assert "about 20 flows" in finding.summary and "about 6 phones" in (finding.advice or "")


def test_old_flows_evicted() -> None:
    finding = capacity.judge(observations(capacity=probe([True] * 26,
                                                         [False] * 3 + [True] * 5)))
    assert finding.status is Status.FAIL and finding.data["behavior"] == "evicts-old"
    assert finding.data["evicted"] == 3


def test_without_response_port_fitting_is_said_unproven() -> None:
    finding = capacity.judge(observations(capacity=probe([True] * 26, [None] * 8,
                                                         method=Method.REBIND)))
    assert finding.status is Status.PASS and "could not be proven" in finding.summary


def test_scattered_losses_are_not_a_full_table() -> None:
    finding = capacity.judge(observations(capacity=probe([True, False] * 13, [True] * 8)))
    assert finding.status is Status.WARN and finding.data["behavior"] == "unknown"


def test_nothing_answered_is_undecided() -> None:
    finding = capacity.judge(observations(capacity=probe([False] * 26, [])))
    assert finding.status is Status.SKIP


def test_nothing_answered_while_the_server_answers_the_run_is_a_full_table() -> None:
    from tests.checks.builders import LOCAL, stun

    finding = capacity.judge(observations(capacity=probe([False] * 26, [], before=20),
                                          stun=stun(LOCAL)))
    assert finding.status is Status.FAIL and finding.data["capacity_estimate"] == 20


def flow(order: int, answered: bool, port: int = 40000, dest: tuple[str, int] = STUN) -> Flow:
    return Flow(("192.168.1.20", port + order), dest, order, answered)


def test_own_flows_later_unanswered_to_an_answering_server_is_a_full_table() -> None:
    flows = (flow(0, True), flow(1, True), flow(2, False), flow(3, False))
    finding = capacity.judge(observations(flows=flows))
    assert finding.status is Status.FAIL and finding.data["behavior"] == "refuses-new"
    assert finding.data["flows_opened"] == 4 and finding.data["flows_answered"] == 2


def test_own_flows_all_answered_is_not_measured() -> None:
    finding = capacity.judge(observations(flows=(flow(0, True), flow(1, True))))
    assert finding.status is Status.SKIP and finding.data["reason"] == "not-measured"
    assert "--phones" in finding.summary


def test_the_phones_own_port_filtered_is_not_a_full_table() -> None:
    # UDP 5060 dropped: the flow from local port 5060 goes unanswered, by port, not by order.
    flows = (flow(0, True, dest=("198.51.100.10", 38388)),
             Flow(("192.168.1.20", 5060), ("198.51.100.10", 38388), 1, False))
    assert capacity.judge(observations(flows=flows)).status is Status.SKIP


def test_the_phones_port_answered_first_and_later_flows_refused_is_a_full_table() -> None:
    # The lab's 4-flow router: DNS and the phones' port came first and were answered; the
    # run's later flows to the same SIP server were refused.
    sip_server = ("198.51.100.20", 5060)
    flows = (Flow(("192.168.1.20", 5060), sip_server, 0, True),
             flow(1, False, dest=sip_server))
    finding = capacity.judge(observations(flows=flows))
    assert finding.status is Status.FAIL and len(finding.data["refused"]) == 1


def test_a_resolver_answering_some_names_and_not_others_is_not_a_full_table() -> None:
    """Issue #21: every query of a run rides one flow, so one name timing out (a slow or
    filtering resolver) cannot be a table that admits some flows and refuses others. Before:
    'the router's NAT table looks full' and a plan to replace the router."""
    from flexdiag.records import Resolution

    timeout = Resolution("ntp.gntel.nl", "192.0.2.53:53", error="no answer",
                         error_kind="timeout")
    obs = observations(resolutions={Obs.DNS_VOIP: resolved("voip.gntel.nl", "198.51.100.10"),
                                    Obs.DNS_NTP: timeout})
    finding = capacity.judge(obs)
    assert finding.status is Status.SKIP and "dns_timeouts" not in finding.data


def test_sockets_this_computer_refused_are_its_limit_not_the_routers() -> None:
    """Issue #21: EMFILE read as 'the table is full at about 67 flows'."""
    from dataclasses import replace

    refused = replace(probe([True] * 10 + [False] * 16, [True] * 8), local_failures=16,
                      local_error="cannot send to 198.51.100.10: Too many open files",
                      local_kind="no-fds")
    finding = capacity.judge(observations(capacity=refused))
    assert finding.status is Status.SKIP and finding.data["reason"] == "local-sockets"
    assert (finding.data["local_failures"], finding.data["local_kind"]) == (16, "no-fds")
    assert finding.data["local_error"].endswith("Too many open files")
    assert finding.summary == (
        "not measured: this computer refused 16 of the 26 sockets the check needs (cannot "
        "send to 198.51.100.10: Too many open files); that is this computer's limit, not the "
        "router's")
    assert finding.advice == ("Raise this computer's open-file limit (for example 'ulimit -n "
                              "1024'; macOS allows 256 by default) and run flexdiag --phones 8 "
                              "again.")
