"""nat.capacity across the real Linux NAT: a roomy router passes ``--phones 8``; a router whose
table holds 20 UDP flows (in all, or per LAN host, with nftables ``ct count``) is named as full
at about 20, and the checks that merely suffered from it point at it instead of blaming DNS or
STUN."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.topology import Lab, checks

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]  # one lab: one worker



@pytest.mark.parametrize("mode_lab", ["masquerade"], indirect=True)
def test_a_roomy_router_fits_eight_phones(mode_lab: Lab, validate_report: Any) -> None:
    code, report = mode_lab.flexdiag("--phones", "8")
    validate_report(report)
    capacity = checks(report)["nat.capacity"]
    assert capacity["status"] == "pass", capacity["summary"]
    data = capacity["data"]
    assert (data["phones"], data["flows_needed"], data["flows_answered"], data["evicted"],
            data["behavior"], data["method"]) == (8, 26, 26, 0, "fits", "rfc5780")


@pytest.mark.parametrize("mode_lab", ["table-20", "table-20-per-host"], indirect=True)
def test_a_20_flow_table_is_named_full_at_about_20(mode_lab: Lab,
                                                    validate_report: Any) -> None:
    code, report = mode_lab.flexdiag("--phones", "8")
    validate_report(report)
    c = checks(report)
    capacity = c["nat.capacity"]
    assert capacity["status"] == "fail" and capacity["data"]["behavior"] == "refuses-new"
    assert abs(capacity["data"]["capacity_estimate"] - 20) <= 3, capacity["data"]
    # The run's own flows came first and fit: nothing blames DNS or STUN.
    assert all(c[i]["status"] == "pass" for i in ("dns.voip", "dns.stun", "dns.ntp",
                                                  "stun.binding")), [
        (i, c[i]["summary"]) for i in c if c[i]["status"] == "fail"]
    assert report["plan"][0]["checks"][0] == "nat.capacity"
    assert code == 2


@pytest.mark.parametrize("mode_lab", ["flow-limit"], indirect=True)
def test_a_full_table_is_the_cause_the_other_failures_point_at(mode_lab: Lab,
                                                               validate_report: Any) -> None:
    code, report = mode_lab.flexdiag("--timeout", "2")
    validate_report(report)
    c = checks(report)
    assert c["nat.capacity"]["status"] == "fail"
    first = report["plan"][0]
    assert first["checks"][0] == "nat.capacity"
    failing = {i for i, check in c.items() if check["status"] == "fail"} - {"nat.capacity"}
    assert failing and failing <= set(first["checks"]), (failing, first["checks"])
    # Those checks carry the plan's step, not their own DNS/STUN/SIP advice.
    assert all(c[i]["advice"] == first["text"] for i in failing)
