"""Issue #23: the audio path in the lab. A router that forwards UDP to the platform's media
ports passes media.ports, a firewall that drops them (both ways) fails it with the firewall
rule in the plan; the RTP-paced probe's loss matches the loss configured on the router, and
the MOS falls as the loss rises."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.commands import ROOT
from tests.lab.topology import (
    FAR_MEDIA_RANGE,
    ISP,
    ISP_IP,
    MEDIA_RANGE,
    RELAY_IP,
    STUN_IPS,
    Lab,
    checks,
)

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


def default_run(lab: Lab, *args: str) -> tuple[int, dict[str, Any]]:
    """The default run (media checks on), with a short lifetime horizon to keep it quick."""
    return lab.flexdiag("--horizon", "10", "--media-ranges", MEDIA_RANGE, *args,
                        quick=False, timeout=120)


@pytest.mark.parametrize("mode_lab", ["masquerade"], indirect=True)
def test_a_router_that_forwards_the_media_ports_passes(mode_lab: Lab,
                                                       validate_report: Any) -> None:
    code, report = default_run(mode_lab, "--media-seconds", "3")
    validate_report(report)
    c = checks(report)
    ports, quality = c["media.ports"], c["media.quality"]
    assert ports["status"] == "pass" and ports["data"]["verdict"] == "forwarded", ports
    assert ports["data"]["gateway"] == "203.0.113.1"
    assert quality["status"] == "pass" and quality["data"]["loss_pct"] == 0.0, quality
    assert quality["data"]["mos"] >= 4.3
    assert report["summary"]["media"]["ports"] == "forwarded"


@pytest.mark.parametrize("mode_lab", ["masquerade"], indirect=True)
def test_media_ports_beyond_the_provider_edge_answer_with_time_exceeded(mode_lab: Lab) -> None:
    """The datagram's TTL expires one hop beyond the customer's router: the provider host's
    ICMP time-exceeded (not the destination's port-unreachable) proves it left the site."""
    _, report = mode_lab.flexdiag("--horizon", "10", "--media-ranges", FAR_MEDIA_RANGE,
                                  "--media-seconds", "1", quick=False, timeout=120)
    ports = checks(report)["media.ports"]
    assert ports["data"]["verdict"] == "forwarded", ports
    assert any(a.startswith(f"{ISP_IP} ICMP 11/0") for a in ports["data"]["answers"]), ports


@pytest.mark.parametrize("mode_lab", ["drop-media"], indirect=True)
def test_a_firewall_that_drops_the_media_ports_fails_with_the_rule_in_the_plan(
        mode_lab: Lab, validate_report: Any) -> None:
    code, report = default_run(mode_lab, "--media-seconds", "2")
    validate_report(report)
    c = checks(report)
    ports = c["media.ports"]
    assert ports["status"] == "fail" and ports["data"]["verdict"] == "dropped", ports
    assert c["sip.udp.5060"]["status"] == "pass"  # SIP works: only audio is cut off
    step = next(s for s in report["plan"] if "media.ports" in s["checks"])
    assert "allow outbound UDP to 198.51.100.40/30 on ports 10000-20000" in step["text"]
    assert code == 2 and mode_lab.dropped_packets() > 0


@pytest.mark.parametrize("mode_lab", ["loss-5"], indirect=True)
def test_the_measured_loss_matches_the_routers(mode_lab: Lab) -> None:
    # 1000 packets: the binomial spread of 5 % is 0.7 points, so +-2 points is ~3 sigma.
    _, report = default_run(mode_lab, "--media-seconds", "20")
    quality = checks(report)["media.quality"]
    print(f"\nloss-5: measured {quality['data']}")
    assert abs(quality["data"]["loss_pct"] - 5.0) <= 2.0, quality["data"]
    assert quality["status"] == "warn" and quality["data"]["mos"] < 4.3


@pytest.mark.parametrize("mode_lab", ["loss-15"], indirect=True)
def test_the_mos_falls_as_loss_rises(mode_lab: Lab) -> None:
    _, report = default_run(mode_lab, "--media-seconds", "5")
    high = checks(report)["media.quality"]["data"]
    mode_lab.set_mode("loss-5")
    _, report = default_run(mode_lab, "--media-seconds", "5")
    low = checks(report)["media.quality"]["data"]
    print(f"\nloss-5: {low}\nloss-15: {high}")
    assert high["loss_pct"] > low["loss_pct"] and high["mos"] < low["mos"]


DELAY_MS, JITTER_MS = 40.0, 10.0


@pytest.fixture
def relay(lab: Lab) -> Iterator[str]:
    """The impairing relay in front of coturn, in the provider namespace, stopped by PID."""
    lab.set_mode("masquerade")
    process = subprocess.Popen(
        ["ip", "netns", "exec", ISP, sys.executable, "-m", "tests.lab.relay", RELAY_IP,
         "3478", STUN_IPS[0], "3478", str(DELAY_MS), str(JITTER_MS)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("relay ready")
        yield RELAY_IP
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def test_delay_and_jitter_match_the_relays(relay: str, lab: Lab) -> None:
    _, report = default_run(lab, "--stun-server", relay, "--media-seconds", "5")
    data = checks(report)["media.quality"]["data"]
    print(f"\nrelay {DELAY_MS} +- {JITTER_MS} ms: measured {data}")
    # The relay delays the way there by 40 ms +- 10 ms (uniform): the median round trip is
    # about 40 ms, and RFC 3550's jitter of such a path about 2/3 of 10 ms.
    assert DELAY_MS - JITTER_MS <= data["rtt_ms"] <= DELAY_MS + JITTER_MS, data
    assert 0.3 * JITTER_MS <= data["jitter_ms"] <= 1.5 * JITTER_MS, data
    assert data["loss_pct"] <= 1.0 and data["mos"] >= 4.0
