"""The provider-side caller of the lab's real phone: run in the LAN namespace (``python -m
tests.lab.caller USER SECONDS``), it calls USER through the lab's platform as an account of the
platform (digest), sends G.711 for SECONDS, hangs up, and prints what it saw as JSON. The
phone's own log (baresip) then says whether audio reached it."""

from __future__ import annotations

import asyncio
import json
import sys

from flexdiag.codec import sdp
from flexdiag.net.call import Account, Party, RtpEnd, Timeline, rtp_endpoint
from flexdiag.net.udp import UdpEndpoint, local_address_for
from flexdiag.records import RtpStream
from tests.lab.topology import CALL_ACCOUNTS, SIP_IP

CALLER = list(CALL_ACCOUNTS)[1]


async def call(user: str, seconds: float) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    local = local_address_for(SIP_IP)
    sip = await UdpEndpoint.open(local)
    media = await rtp_endpoint(local)
    caller = Party("B", sip, Account(CALLER, CALL_ACCOUNTS[CALLER]), "voip.gntel.nl",
                   (SIP_IP, 5060), Timeline(loop.time()))
    heard = RtpStream()
    end = RtpEnd(media, heard)
    try:
        answer = await caller.call(user, sdp.build(local, media.local[1]), loop.time() + 8)
        final = answer.final.status_code if answer.final else None
        if final != 200 or answer.final is None:
            return {"final": final}
        offer = sdp.parse(answer.final.body)
        sent = RtpStream()
        await end.send(sent, (offer.address, offer.port), offer.codec or 8, loop.time(),
                       seconds)
        await asyncio.sleep(0.5)
        return {"final": final, "sent": len(sent.sent_at), "heard": len(heard.arrivals),
                "bye": await caller.bye()}
    finally:
        sip.close()
        media.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(call(sys.argv[1], float(sys.argv[2])))))
