"""The local ports flexdiag chooses: the phones' RTP stand-ins (flexdiag.net.ports)."""

from __future__ import annotations

from flexdiag.net.ports import RTP_PORT_TRIES, rtp_ports
from flexdiag.vocab import MEDIA_PORTS


def test_rtp_stand_ins_take_even_ports_of_the_phones_range_then_any() -> None:
    for _ in range(50):
        ports = rtp_ports()
        *ranged, last = ports
        assert last == 0 and len(ranged) == RTP_PORT_TRIES == 8
        assert len(set(ranged)) == len(ranged)  # never the same port twice
        assert all(MEDIA_PORTS[0] <= p < MEDIA_PORTS[1] and p % 2 == 0 for p in ranged)
    assert rtp_ports(2)[-1] == 0 and len(rtp_ports(2)) == 3
