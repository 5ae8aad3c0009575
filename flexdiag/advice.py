"""All user-facing wording of findings: check titles, summaries and advice, in one catalogue.

Checks refer to messages by key and fill in named fields; nothing else in the package writes
prose for findings. The English texts are the gettext message ids; :mod:`flexdiag.i18n`
translates them (Dutch: ``locale/nl/LC_MESSAGES/flexdiag.po``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flexdiag.i18n import _, fmt
from flexdiag.vocab import SIP_UDP, CheckId, sip_udp_port


def _noop(message: str) -> str:
    return message  # marks a message id; translated where it is shown

TITLES: dict[str, str] = {
    CheckId.HOST_NETWORK: "This computer: on the phones' network?",
    CheckId.DNS_VOIP: "DNS: SIP server",
    CheckId.DNS_STUN: "DNS: STUN server",
    CheckId.DNS_NTP: "DNS: NTP server",
    CheckId.STUN_BINDING: "STUN: public address and port translation",
    CheckId.NAT_MAPPING: "NAT mapping behaviour",
    CheckId.NAT_FILTERING: "NAT filtering behaviour",
    CheckId.NAT_UPSTREAM: "Which box faces the internet (double NAT, carrier-grade NAT)",
    CheckId.SIP_ALG: "SIP ALG (rewriting of SIP by the router)",
    CheckId.SIP_LARGE: "Large SIP messages (IP fragments)",
    CheckId.NAT_LIFETIME: "NAT mapping lifetime vs registration interval",
    CheckId.SIP_PHONE: "SIP from the phones' own local port",
    CheckId.NAT_CAPACITY: "NAT table size vs the phones' flows",
    SIP_UDP: "SIP OPTIONS over UDP port {port}",
    CheckId.NTP_OFFSET: "NTP: time server and clock offset",
    CheckId.MEDIA_QUALITY: "Audio path: call quality (RTP-paced probe)",
    CheckId.MEDIA_PORTS: "Audio path: UDP to the platform's media ports",
    CheckId.CALL_REGISTER: "Test call: both accounts register",
    CheckId.CALL_INCOMING: "Test call: an incoming call reaches the idle phone",
    CheckId.CALL_AUDIO: "Test call: audio both ways",
}

MESSAGES: dict[str, str] = {
    # --- DNS -------------------------------------------------------------------------------
    "and": "and",
    "dns.pass": "{name} resolves to {addresses} ({rtt_ms:.0f} ms), inside the platform ranges",
    "dns.literal": "{name} is an address; nothing to resolve",
    "dns.outside": "{name} resolves to {outside}, outside the platform ranges {ranges}",
    "dns.outside.advice": (
        "The platform's servers live in {ranges}. An address outside them means a stale DNS "
        "cache, a typo in the host name, or a router or ISP that rewrites DNS answers. Check "
        "the router's DNS settings, or point the router at your ISP's resolvers, then run "
        "flexdiag again."
    ),
    "dns.fail": "{name} did not resolve via {resolver}: {error}",
    "dns.error.nxdomain": "the name does not exist (NXDOMAIN)",
    "dns.error.no-answer": "the name exists but has no address records",
    "dns.error.timeout": "no answer from the DNS server in time",
    "dns.error.no-nameservers": "every DNS server failed to answer",
    "dns.error.chain-loop": "the answer's CNAME chain loops back on itself",
    "dns.error.chain-long": "the answer's CNAME chain is longer than 16 links",
    "dns.ignored": " ({count} replies ignored: malformed, or answering another query)",
    "dns.error.config": "no resolver is configured (/etc/resolv.conf has no nameserver)",
    "dns.error.no-network": (
        "this computer has no network connection (no route to the DNS server)"
    ),
    "dns.fail.advice": (
        "Phones find the platform by name ({name}). Check that this network has working DNS "
        "(the router's DNS server, or the one given with --dns-server) and that the name is "
        "spelled correctly."
    ),
    "dns.no_network.advice": (
        "Connect this computer to the customer's network where the phones will be (cable or "
        "Wi-Fi), check that it got an address from the router (DHCP), then run flexdiag again."
    ),
    "dns.timeout.hint": (
        " If flexdiag or another program made many connections just before, a full NAT table on "
        "the router looks exactly like this: wait a minute and run again."
    ),
    # --- dependent checks that cannot run -----------------------------------------------------
    "skip.unresolved": "not run: {name} did not resolve (see {dns_id})",
    # --- STUN ------------------------------------------------------------------------------
    "stun.no_nat": (
        "no NAT: the STUN server sees this host's own address {mapped} ({rtt_ms:.0f} ms)"
    ),
    "stun.nat": (
        "NAT to public address {public_ip}, port kept ({local} -> {mapped}, {rtt_ms:.0f} ms)"
    ),
    "stun.translation": (
        "port translation: local {local} appears as {mapped} on the internet ({rtt_ms:.0f} ms)"
    ),
    "stun.partial": (
        "NAT to public address {public_ip}; only {kept} of {sockets} sockets kept their port"
    ),
    "stun.translation.advice": (
        "The router changes the source port of UDP traffic. The platform copes by sending to "
        "the translated port, but only once the phone starts sending audio, so the first "
        "seconds of a call can be lost. On the router, turn on port preservation ('static port' "
        "/ 'consistent NAT') for the phones, or give each phone a fixed port mapping. Keep NAT "
        "entries longer than the phones' registration interval ({registration_time_s} s)."
    ),
    "stun.error": "the STUN server {server} answered with error {code} {reason}",
    "stun.error.nocode": (
        "the STUN server {server} answered with an error response that carries no error code"
    ),
    "stun.error.advice": (
        "The path to the STUN server works, but the server refused the request. Check the STUN "
        "server setting ({server_name})."
    ),
    "stun.timeout": "no STUN response from {server} in {waited_s:.1f} s ({sent} requests sent)",
    "stun.unreachable": "no STUN response from {server}: {error}",
    "stun.fail.advice": (
        "Phones use {server_name} to learn their public address. Allow outbound UDP to port "
        "{port} on the router or firewall."
    ),
    # --- NAT behaviour (RFC 4787 vocabulary, RFC 5780 tests) ---------------------------------
    "mapping.no_stun": "not decided: the STUN server gave no public address (see stun.binding)",
    "mapping.eim": (
        "endpoint-independent mapping: one public address and port for every destination "
        "({method})"
    ),
    "mapping.dependent": (
        "{behavior} mapping: the router uses another public port per destination ({method})"
    ),
    "mapping.dependent.advice": (
        "The platform sends audio from other addresses and ports than SIP, and this router "
        "gives each destination its own public port, so the platform cannot know in advance "
        "where to send audio: the first seconds of audio in a call can be lost. (Calls "
        "themselves still reach the phones, over the mapping they registered on.) RFC 4787 "
        "(REQ-1) requires endpoint-independent mapping: look for 'full cone', "
        "'endpoint-independent' or 'consistent NAT' in the router, or turn off 'symmetric NAT' "
        "/ randomised source ports for the phones."
    ),
    "mapping.unknown": "not decided ({method}): the servers' views do not separate the cases",
    "mapping.unknown.hint": (
        ". For a conclusive answer use a STUN server with RFC 5780 support (two addresses, "
        "e.g. coturn) via --stun-server"
    ),
    "filtering.no_stun": "not tested: the STUN server gave no answer (see stun.binding)",
    "filtering.unsupported": (
        "not tested: the STUN server {server} does not support RFC 5780 (no OTHER-ADDRESS), "
        "so it cannot answer from another address; use one that does (e.g. coturn with two "
        "addresses) via --stun-server"
    ),
    "filtering.server_ignored": (
        "not decided: the STUN server did not answer from the address CHANGE-REQUEST asked for"
    ),
    "filtering.open": (
        "endpoint-independent filtering: traffic from any platform address and port reaches "
        "the phone, even before the phone has sent to it"
    ),
    "filtering.closed": (
        "{behavior} filtering: audio from a platform address or port reaches the phone only "
        "after the phone has sent to it"
    ),
    "filtering.closed.translated": (
        "{behavior} filtering with port translation: audio from the platform gets in only "
        "once the phone has sent audio, so the start of calls can be lost"
    ),
    "filtering.phone_first.note": (
        "Normal for most routers and harmless here: phones send audio as soon as a call starts "
        "and the router keeps the port, so the platform's audio follows straight away."
    ),
    "filtering.translated.advice": (
        "Combined with port translation this clips calls: the platform sends audio to the port "
        "the phone announced, which the router drops until the phone's own audio has shown the "
        "platform the translated port. Turn on port preservation or endpoint-independent "
        "filtering ('full cone') for the phones, or give them fixed port forwards for their SIP "
        "and RTP ports."
    ),
    # --- SIP ALG ---------------------------------------------------------------------------
    "alg.detected": "a SIP ALG rewrites SIP on port(s) {ports}",
    "alg.detected.advice": (
        "The router (or a firewall) changes SIP messages: it puts addresses into them that do "
        "not match what the platform sees, which breaks registration, incoming calls or audio. "
        "Turn off the router's 'SIP ALG' ('SIP helper', 'SIP passthrough', 'SIP inspection'); "
        "RFC 4787 REQ-10 says NAT ALGs for UDP should be off. Until then, register the phones "
        "on a port the ALG leaves alone (here: {clean}); the platform listens on {listening}."
    ),
    "alg.clean": "no SIP rewriting seen on any port",
    "alg.partial": (
        "no SIP rewriting seen on port(s) {clean}; not decided for port(s) {untested} (see the "
        "evidence), where ALGs usually act"
    ),
    "alg.undecided": "not decided: nothing to compare on any port (see the evidence)",
    "alg.silent_port": (
        "no answer on port(s) {ports} while others answer: ALGs often intercept port {sip_port}"
    ),
    # --- large SIP messages ----------------------------------------------------------------
    "large.untested": "not tested: no SIP port answered a small request",
    "large.ok": "OPTIONS of {sizes} bytes answered on port(s) {ports}: fragments get through",
    "large.lost": "no answer to large SIP messages ({lost}) while small ones are answered",
    "large.lost.item": "{size} bytes on {port}",
    "large.lost.advice": (
        "Messages larger than one packet travel as IP fragments, and something on the path "
        "drops them: calls whose INVITE carries a large SDP will fail to set up. Let the "
        "router pass IP fragments (some firewalls drop them as an 'attack')."
    ),
    "large.alg": (
        " Its SIP ALG, seen on port(s) {ports}, may be what drops them: turn it off."
    ),
    # --- SIP -------------------------------------------------------------------------------
    "sip.pass": (
        "answered {code} in {rtt_ms:.0f} ms: the SIP path to {target} works"
    ),
    "sip.wrong_port": (
        "answered {code}, but from {reply_from} instead of {target}"
    ),
    "sip.wrong_port.advice": (
        "The platform answers from the port the phone sent to. A reply from another port is "
        "dropped by most routers, which only let replies in from the address and port the phone "
        "contacted. Check for a SIP proxy or ALG on the path, or a wrong SIP server setting."
    ),
    "sip.timeout": "no SIP reply from {target} in {waited_s:.1f} s ({sent} requests sent)",
    "sip.unreachable": "no SIP reply from {target}: {error}",
    "sip.provisional": (
        "only a provisional reply from {target}; no final answer in {waited_s:.1f} s"
    ),
    "sip.use_other_port.advice": (
        "SIP on port {port} gets no answer, while port {working} does. The platform listens on "
        "{listening}: configure the phones to register on {server_name}:{working}, or allow "
        "outbound UDP to port {port} on the router or firewall."
    ),
    "sip.none.advice": (
        "No SIP server answered on any port. Allow outbound UDP to {server_name} on ports "
        "{ports} and check that the router has no SIP ALG or firewall rule blocking SIP."
    ),
    # --- SIP from the phones' own port -----------------------------------------------------
    "phone_port.same": "from local port {local}, SIP gets the same answers (port(s) {ports})",
    "phone_port.none": "not compared: no SIP port answered from any local port",
    "phone_port.untested": "not tested: {error}",
    "phone_port.untested.advice": (
        "Another program on this computer uses UDP port {local} (a softphone?). Close it and "
        "run flexdiag again, so that SIP is also tried from the port the phones use."
    ),
    "phone_port.untested.denied": (
        "Port {local} is below 1024: on this computer only an administrator may send from it. "
        "Run flexdiag as administrator (sudo) so that SIP is also tried from the port the "
        "phones use. This is this computer's rule, not the router's."
    ),
    "phone_port.untested.no-fds": (
        "This computer let flexdiag open no more sockets (its open-file limit is too low). "
        "Raise it (for example 'ulimit -n 1024') and run flexdiag again. This is this "
        "computer's limit, not the router's."
    ),
    "phone_port.untested.other": (
        "flexdiag could not send from port {local} on this computer. Run it again; if that "
        "fails too, give the error above to support. This is this computer, not the router."
    ),
    "phone_port.blocked": (
        "from local port {local}, port(s) {ports} get no answer, though they answer other "
        "local ports: something blocks UDP port {local}"
    ),
    "phone_port.blocked.advice": (
        "Phones send SIP from their own local port, and the platform answers to it; here the "
        "answers to port {local} never arrive (the router or the provider filters it). Set the "
        "phones' local SIP port to {alt}: from there port(s) {ports} answer (tested). Or lift "
        "the filter on UDP port {local}."
    ),
    "phone_port.blocked.none": (
        "Phones send SIP from their own local port, and the platform answers to it; here the "
        "answers to port {local} never arrive (the router or the provider filters it). Lift the "
        "filter on UDP port {local}, or give the phones another local SIP port."
    ),
    # --- the plan (advice decided over all findings) --------------------------------------
    "plan.sip_port": (
        "Register the phones on {server}:{port} (the platform listens on {listening}): {why}."
    ),
    "plan.why.silent": (
        "from the phones' local port {local}, port {port} gets no answer (or allow UDP port "
        "{port} both ways on the router or firewall, and the phones can stay on it)"
    ),
    "plan.why.alg": (
        "a SIP ALG on the router rewrites SIP on port {port}; better still, switch it off "
        "('SIP ALG', 'SIP helper', 'SIP passthrough'; RFC 4787 REQ-10)"
    ),
    "plan.local_port": (
        "Set the phones' local SIP port to {alt} and register them on {server}:{port}: from "
        "local port {local} no SIP answer gets through (the router or the provider blocks "
        "it), from {alt} it does (tested). Or allow UDP port {local} both ways on the router "
        "or firewall, and the phones can stay as they are."
    ),
    "plan.off_alg.lifetime": (
        " At the same time turn on the phones' NAT keep-alive every {keepalive} s or less: "
        "off port {port} the SIP ALG no longer holds the phones' mappings open, and the "
        "router's own UDP timeout applies (a phone's mapping expires after {expired} idle)."
    ),
    "plan.off_alg.unmeasured": (
        " Off port {port} the SIP ALG no longer holds the phones' mappings open and the "
        "router's own UDP timeout applies: check it with flexdiag run (without --quick) "
        "first."
    ),
    "plan.dns_cause": "{advice} The failures of {checks} follow from this: fix DNS first.",
    "plan.menu": " On this router ({router}): {path}.",
    "plan.elsewhere": (
        " Until then the steps below may be about the container's, WSL's or the VPN's network, "
        "not the customer's."
    ),
    "plan.call_missed": (
        "The test call was lost on its way to the phone after {idle:g} s idle: the router "
        "forgets an idle phone's UDP mapping, and phones would miss incoming calls. Turn on the "
        "phones' NAT keep-alive every {keepalive} s or less (see 'Set on the phones'), or raise "
        "the router's UDP timeout above the phones' registration interval; then run the test "
        "call again."
    ),
    "plan.call_silent": (
        "In the test call no audio reached the phone in time: the router translates the phones' "
        "ports, and the platform sends audio to the port a phone announces (FAQ item 4). Turn "
        "on port preservation ('static port') on the router, or set the phones' STUN server to "
        "{stun} (see 'Set on the phones') so that they announce their public port; then run "
        "the test call again."
    ),
    "plan.nat_behaviour": (
        "On the router, make UDP NAT for the phones endpoint-independent and port-preserving: "
        "one setting, which routers call 'port preservation', 'static port', 'consistent NAT', "
        "'full cone' or 'endpoint-independent' (RFC 4787 REQ-1), or give each phone fixed port "
        "forwards for its SIP and RTP ports. Until then the platform learns a phone's public "
        "port only once the phone sends audio, so the first seconds of calls can be lost."
    ),
    # --- NTP -------------------------------------------------------------------------------
    "ntp.pass": "offset {offset_s:+.3f} s, delay {delay_ms:.0f} ms, stratum {stratum}",
    "ntp.offset": (
        "the time server answers (stratum {stratum}), so the phones get correct time from it; "
        "note: this computer's own clock is off by {offset_s:+.3f} s (more than {limit_s:g} s), "
        "which is this computer's matter, not the site's"
    ),
    "ntp.unsync": "the NTP server {server} is not synchronised (stratum {stratum}, leap {leap})",
    "ntp.kiss": "the NTP server {server} refuses to serve this host (kiss-o'-death {code})",
    "ntp.kiss.advice": (
        "The time server sent a kiss-o'-death (RFC 5905 §7.4): it rate-limits or denies this "
        "address. Phones behind the same public address may be refused too: check that nothing "
        "on this network queries {server_name} in a tight loop, and report it to the platform "
        "if it persists."
    ),
    "ntp.unsync.advice": (
        "Phones would take their time from an unsynchronised server. Check the NTP server "
        "setting; report to the platform if {server_name} itself says this."
    ),
    "ntp.timeout": "no NTP reply from {server} in {waited_s:.1f} s ({sent} requests sent)",
    "ntp.unreachable": "no NTP reply from {server}: {error}",
    "ntp.fail.advice": (
        "Phones set their clocks from {server_name}. Allow outbound UDP to port {port} on the "
        "router or firewall."
    ),
    # --- the audio path (FAQ item 4) ---------------------------------------------------------
    "media.good": (
        "{sent} RTP-paced packets there and back: round trip {rtt} ms (95 % within {p95} ms), "
        "jitter {jitter} ms, loss {loss} % (worst 200 ms: {burst} %): estimated MOS {mos} "
        "for G.711"
    ),
    "media.poor": (
        "{sent} RTP-paced packets there and back: round trip {rtt} ms (95 % within {p95} ms), "
        "jitter {jitter} ms, loss {loss} % (worst 200 ms: {burst} %): estimated MOS {mos} "
        "for G.711, below what calls need"
    ),
    "media.poor.advice": (
        "Calls on this connection will sound poor: broken-up or delayed audio. Good calls need "
        "a round trip under {max_rtt:g} ms, jitter under {max_jitter:g} ms and loss under "
        "{max_loss:g} %. Look for what else uses the line (downloads, backups, video), give "
        "the phones priority on the router (QoS for their SIP and RTP), or check the line with "
        "the provider. These figures are for the path there and back: they cannot say which "
        "direction suffers."
    ),
    "ports.forwarded": (
        "UDP to the platform's media ports ({media_ports} on {ranges}) leaves the site: an "
        "ICMP answer from beyond the router came back"
    ),
    "ports.dropped": (
        "UDP to the platform's media ports ({media_ports} on {ranges}) does not leave the site: "
        "{sent} probes drew no answer from beyond the router, while other traffic did"
    ),
    "ports.dropped.advice": (
        "No audio would reach the platform, so calls would be silent. On the router or "
        "firewall, allow outbound UDP to {ranges} on ports {media_ports}, and the replies (UDP "
        "from those addresses and ports back to the phones)."
    ),
    "ports.undecided": (
        "not decided: nothing beyond the router answers ICMP, so the path of {sent} probes "
        "cannot be followed"
    ),
    "ports.untested": "not tested: {error}",
    "ports.unmeasured": (
        "not measured (--quick): run flexdiag run without --quick to check that UDP to the "
        "platform's media ports leaves the site"
    ),
    "media.none": "none of {sent} RTP-paced packets came back from the STUN server",
    "media.none.advice": (
        "Packets sent at a call's rate got no answer, although single requests may: a router "
        "or firewall that limits UDP packet rates would cut off audio too. Check its flood or "
        "DoS protection settings for UDP."
    ),
    "media.untested": "not tested: {error}",
    "media.unmeasured": (
        "not measured (--quick): run flexdiag run without --quick for round trip, jitter, "
        "loss and an estimated MOS"
    ),
    # --- NAT mapping lifetime ---------------------------------------------------------------
    "lifetime.progress": (
        "at most {left} s more (sooner once decided; Ctrl-C keeps what was found); a phone's "
        "mapping (register, then quiet) seen alive after {alive} idle, expired after "
        "{expired}"
    ),
    # --- nat.upstream ---------------------------------------------------------------------
    "upstream.undetermined": (
        "not determined: the router does not tell its own internet address (NAT-PMP, UPnP) "
        "and the path does not show another NAT"
    ),
    "upstream.basis.natpmp": "as the router itself reports it (NAT-PMP)",
    "upstream.basis.upnp": "as the router itself reports it (UPnP)",
    "upstream.basis.second": "as the box in front answers as a router itself (NAT-PMP, UPnP)",
    "upstream.basis.path": "from the path towards the platform",
    "upstream.none": (
        "no router between this computer and the platform's server (it answered at the first "
        "hop)"
    ),
    "upstream.single": (
        "one NAT: the router ({gateway}) faces the internet itself, {how}; the platform "
        "sees {public}"
    ),
    "upstream.double": (
        "double NAT: another router ({box}) sits between this router ({gateway}) and the "
        "internet, {how}"
    ),
    "upstream.double.wan": (
        "double NAT: this router's own internet address ({wan}) is private, {how}: another "
        "router sits between it ({gateway}) and the internet"
    ),
    "upstream.double.advice.wan": (
        "Two routers translate here: the customer's router ({gateway}) and the box in front of "
        "it, often the ISP's modem in router mode. Best: put that modem in bridge mode (or the "
        "router in its DMZ / 'exposed host'), so that one box does NAT. Otherwise every router "
        "setting in this report has to be made on both boxes, the one facing the internet "
        "first."
    ),
    "upstream.double.advice": (
        "Two routers translate here: the customer's router ({gateway}) and the box in front of "
        "it ({box}), often the ISP's modem in router mode. Best: put that modem in bridge mode "
        "(or the router in its DMZ / 'exposed host'), so that one box does NAT. Otherwise every "
        "router setting in this report has to be made on both boxes, the one facing the "
        "internet first."
    ),
    "upstream.cgnat": (
        "carrier-grade NAT: the ISP translates again beyond this router ({gateway}), "
        "{how} ({box} is in the ISP's shared address space 100.64.0.0/10)"
    ),
    "upstream.cgnat.advice": (
        "The ISP's own NAT sits between the site and the platform: its port translation and "
        "UDP timeouts cannot be changed from here, whatever the router is set to. Ask the ISP "
        "for a public IPv4 address for this connection; until then keep the phones' NAT "
        "keep-alive on."
    ),
    "upstream.beyond": (
        "another NAT beyond this router: its own internet address ({wan}) is not the address "
        "the platform sees ({public})"
    ),
    "upstream.beyond.advice": (
        "Something beyond the router translates again (a second router, or the ISP). Find "
        "that box: put it in bridge mode, or make every router setting in this report on it "
        "too."
    ),
    "plan.box.double": (
        " With double NAT, make this setting on both routers, the one facing the internet "
        "({box}) first, or put that one in bridge mode."
    ),
    "plan.box.double.unknown": (
        " With double NAT, make this setting on both routers, the one facing the internet "
        "first, or put that one in bridge mode."
    ),
    "plan.box.cgnat": (
        " Behind the ISP's carrier-grade NAT the router's setting is not enough on its own: "
        "the ISP's NAT also applies."
    ),
    # --- host.network ---------------------------------------------------------------------
    "host.unknown": "not determined: this computer's routing table could not be read",
    "host.lan": "on a network of its own: interface {interface}, gateway {gateway}",
    "host.container": (
        "inside a container's NAT ({kind}: interface {interface}, gateway {gateway}): the "
        "other checks measure that NAT, not the customer's router"
    ),
    "host.container.advice": (
        "Run flexdiag where the phones are, not behind a container's own NAT: on Linux start "
        "the container with --network host; on Windows or macOS (Docker Desktop always adds a "
        "NAT of its own) install flexdiag on the laptop itself (pipx). Then run it again."
    ),
    "host.wsl": (
        "inside WSL2's NAT (interface {interface}, gateway {gateway}): the other checks "
        "measure Windows' NAT for WSL, not the customer's router"
    ),
    "host.wsl.advice": (
        "Run flexdiag on Windows itself (pipx), or switch WSL to mirrored networking "
        "(networkingMode=mirrored in .wslconfig), then run it again."
    ),
    "host.vpn": (
        "the default route goes through a VPN tunnel ({kind}): the other checks measure the "
        "tunnel and the VPN's exit, not the customer's router"
    ),
    "host.vpn.advice": (
        "Disconnect the VPN (or exclude the platform's addresses from it), or run flexdiag on "
        "a computer on the phones' network without one; then run it again."
    ),
    # --- the test call (call.*) -------------------------------------------------------------
    "call.not-made": "no test call was made",
    "call.untested": "no test call: {error}",
    "call.no-answer": "no answer to {sent} REGISTER requests",
    "call.refused-credentials": "{code} again after the password was given: wrong password?",
    "call.register.one": "{party} ({user}): {why}",
    "call.register.fail": "registration failed: {reasons}",
    "call.register.fail.advice": (
        "Check the two accounts and their passwords (FLEXDIAG_CALL_PASSWORDS, in the order of "
        "--call-accounts) with the platform's account details. Where no answer came at all, "
        "the SIP checks above say why SIP does not get through."
    ),
    "call.register.pass": (
        "{a} and {b} registered (granted {granted} s), {auth}; both unregistered afterwards"
    ),
    "call.auth": "digest {algorithm}",
    "call.no-auth": "without a password challenge",
    "call.after-register": "not tested: the accounts did not register (see call.register)",
    "call.interrupted": "not tested: stopped before the call was placed",
    "call.not-placed": "not tested: the call was not placed",
    "call.no-final": "no final answer",
    "call.idle.given": "as given with --call-idle",
    "call.idle.registration": "the phones' registration interval",
    "call.idle.horizon": "the phones' registration interval, at most --horizon",
    "call.incoming.pass": (
        "after {idle:g} s idle ({basis}) the call reached the phone's account {ms:.0f} ms "
        "after it was placed; the caller got {final}"
    ),
    "call.incoming.fail": (
        "after {idle:g} s idle ({basis}) the call never reached the phone's account; the "
        "caller got {final}"
    ),
    "call.incoming.other": (
        "after {idle:g} s idle ({basis}) the call never reached the phone's account, yet the "
        "caller got {final}: something else now holds the phone's public port"
    ),
    "call.incoming.fail.advice": (
        "The router forgot the phone's UDP mapping while it was idle for {idle:g} s, so the "
        "platform's call was lost on its way in: phones would miss incoming calls. Turn on the "
        "phones' NAT keep-alive every {keepalive} s or less (see 'Set on the phones'), or raise "
        "the router's UDP timeout above the phones' registration interval; then call again."
    ),
    "call.timeline.line": "+{t:.3f} s  {party}  {event}",
    "call.ev.registered": "registered ({detail})",
    "call.ev.register-failed": "registration failed ({detail})",
    "call.ev.re-registered": "registered again ({detail})",
    "call.ev.idle": "idle for {detail}, as a phone between calls",
    "call.ev.invite-sent": "INVITE sent",
    "call.ev.invite-sent-auth": "INVITE sent again with credentials",
    "call.ev.invite-received": "INVITE received from {detail}",
    "call.ev.request-received": "{detail} received from the platform while idle",
    "call.ev.final-response": "answer {detail}",
    "call.ev.no-final-response": "no final answer (provisional: {detail})",
    "call.ev.cancel": "CANCEL sent",
    "call.ev.ack-received": "ACK received",
    "call.ev.audio-start": "audio sent to {detail}",
    "call.ev.first-audio": "first audio received",
    "call.ev.no-sdp-answer": "the answer carried no usable SDP",
    "call.ev.no-sdp-offer": "the INVITE carried no usable SDP",
    "call.ev.bye": "BYE answered {detail}",
    "call.ev.bye-received": "BYE received",
    "call.ev.unregistered": "unregistered ({detail})",
    "call.ev.unregister-failed": "unregistering failed ({detail})",
    "call.audio.not-set-up": "not tested: the call was not set up (see call.incoming)",
    "call.audio.none": "nothing of {sent} packets",
    "call.audio.start-lost": " (the first {lost} lost)",
    "call.audio.dir": (
        "{received} of {sent} packets, loss {loss:g} %, jitter {jitter:g} ms, MOS {mos:g}"
    ),
    "call.audio.pass": "to the phone: {to}, {when}; from the phone: {frm}",
    "call.audio.from-start": "from the start, before the phone had sent",
    "call.audio.learnt": (
        "from {after:.0f} ms after the phone's first packet (the platform learnt its port)"
    ),
    "call.audio.silent.to": "no audio reached the phone ({to}); from the phone: {frm}",
    "call.audio.silent.from": "no audio from the phone arrived ({frm}); to the phone: {to}",
    "call.audio.silent.to.advice": (
        "Calls would connect with silence on the phone. The platform's audio comes from its "
        "media ports ({media_ports}) to the port the phone announced: a firewall that drops "
        "that UDP, or a router that translates the phone's port while the platform keeps "
        "sending to the announced one, leaves the phone silent. Allow UDP from the platform's "
        "ranges on ports {media_ports}, and turn on port preservation (or STUN on the phones)."
    ),
    "call.audio.silent.from.advice": (
        "Calls would connect, but nobody would hear the phone. A firewall drops UDP towards the "
        "platform's media ports ({media_ports}): allow UDP from the phones to the platform's "
        "ranges on those ports."
    ),
    "call.audio.late": (
        "audio reached the phone only {after:.0f} ms after the phone's first packet ({lost} "
        "packets lost at the start); to the phone: {to}; from the phone: {frm}"
    ),
    "call.audio.late.advice": (
        "The first words of every call would be lost towards the phone. Turn on port "
        "preservation on the router, or STUN on the phones, so that the platform can send to "
        "the phone's port from the start."
    ),
    "call.audio.poor": "audio both ways, but poor: to the phone: {to}; from the phone: {frm}",
    "call.audio.poor.advice": (
        "Calls would sound broken up. Good calls need loss under {max_loss:g} %, jitter under "
        "{max_jitter:g} ms and a MOS of {min_mos:g} or more: look for a saturated uplink "
        "(uploads, backups) or a congested Wi-Fi between the phones and the router."
    ),
    "lifetime.unknown": "–",
    "lifetime.no_mapping": "no mapping could be made: the STUN server did not answer",
    "lifetime.unmeasured": (
        "not measured (--quick): run flexdiag run without --quick to see whether the router "
        "keeps a phone's mapping while it is quiet between two registrations ({horizon} s of "
        "watching at most, less on most routers)"
    ),
    "lifetime.pass": (
        "a phone's mapping (register, then quiet) survives {alive} idle, at least the "
        "registration interval ({registration} s); with traffic in between: alive after "
        "{est_alive}, expired after {est_expired}"
    ),
    "lifetime.horizon": (
        "a phone's mapping (register, then quiet) is kept at least {alive} idle: set the "
        "phones' NAT keep-alive to {keepalive} s or less and they stay reachable; the "
        "registration interval ({registration} s) itself was not watched (flexdiag run "
        "--lifetime proves it)"
    ),
    "lifetime.fail": (
        "a phone's mapping (register, then quiet) expires after {expired} idle (alive after "
        "{alive}), before the phone registers again ({registration} s); with traffic in "
        "between: alive after {est_alive}, expired after {est_expired}"
    ),
    "lifetime.fail.advice": (
        "The router forgets a phone's UDP mapping once the phone has sent nothing for "
        "{expired}: the phone registers, goes quiet, and calls from the platform are dropped "
        "until it registers again. Best: raise the router's UDP timeout (often called 'UDP "
        "session timeout' or 'NAT UDP timeout') above {registration} s. Or turn on the phones' "
        "NAT keep-alive every {keepalive} s or less (see 'Set on the phones'), keeping their "
        "registration interval as it is."
    ),
    "lifetime.interval": (
        " A registration interval of {interval} s would do as well, where the phones and the "
        "platform accept it."
    ),
    "lifetime.rfc4787": (
        " This router also breaks RFC 4787 REQ-5: a UDP mapping must last at least 2 minutes "
        "(5 minutes or more recommended)."
    ),
    "lifetime.inconclusive": (
        "not decided within {elapsed} s: a phone's mapping seen alive after {alive} idle, "
        "expired after {expired}; registration interval {registration} s"
    ),
    "lifetime.interrupted": (
        "interrupted after {elapsed} s: a phone's mapping seen alive after {alive} idle, "
        "expired after {expired}; registration interval {registration} s"
    ),
    "lifetime.inconclusive.advice": (
        "Run again with a longer --max-wait (at least the registration interval plus a "
        "minute) to see whether the router keeps mappings for the whole interval."
    ),
    "lifetime.interrupted.advice": (
        "Run flexdiag run again and let it finish: most routers are judged within a few "
        "minutes; flexdiag run --lifetime proves the whole registration interval (up to "
        "{budget} s)."
    ),
    "lifetime.interrupted.horizon": (
        "Run flexdiag run again and let it finish (up to {budget} s; most routers are judged "
        "sooner)."
    ),
    "lifetime.rebind.hint": (
        " This STUN server does not support RESPONSE-PORT (RFC 5780), so flexdiag can only "
        "see a mapping expire when the router then picks a new port, never prove it alive: "
        "for a conclusive answer use an RFC 5780 server (e.g. coturn with two addresses) via "
        "--stun-server."
    ),
    # --- NAT table capacity ---------------------------------------------------------------
    "capacity.unmeasured": (
        "not measured: run with --phones N to check that the router's NAT table has room for "
        "the phones (this run opened {flows} flows of its own)"
    ),
    "capacity.refused_own": (
        "the router's NAT table looks full: {refused} of this run's later flows got no answer "
        "while earlier ones to the same servers did ({answered} flows were admitted)"
    ),
    "capacity.advice": (
        "The router's NAT table holds about {k} flows; a phone in a call needs three (SIP, RTP, "
        "RTCP), so it carries about {phones} phones in calls, fewer beside other devices. Raise "
        "the router's connection-table size ('NAT sessions', 'max connections'), stop what else "
        "holds flows, or use a router made for this many phones."
    ),
    "plan.capacity_sufferers": " What {checks} found in this run follows from the full table.",
    "capacity.local": (
        "not measured: this computer refused {failed} of the {needed} sockets the check "
        "needs ({error}); that is this computer's limit, not the router's"
    ),
    "capacity.local.advice": (
        "Raise this computer's open-file limit (for example 'ulimit -n 1024'; macOS allows "
        "256 by default) and run flexdiag --phones {phones} again."
    ),
    "capacity.refused": (
        "new flows are refused: the table is full at about {k} flows; {answered} of the "
        "{needed} flows {phones} phones need got an answer"
    ),
    "capacity.evicted": (
        "old flows are evicted to make room: {evicted} of the {tested} earliest flows stopped "
        "working once the {needed} flows {phones} phones need were made"
    ),
    "capacity.evicted.advice": (
        "The router drops its oldest NAT entries when new ones come: a phone that registered a "
        "while ago loses its mapping and misses calls. Raise the router's connection-table "
        "size, or shorten the phones' registration interval so that their mappings are renewed "
        "more often."
    ),
    "capacity.lossy": (
        "{answered} of {needed} flows answered, the unanswered ones scattered: packet loss "
        "rather than a full table"
    ),
    "capacity.lossy.advice": "Run again; if losses persist, check the line's quality.",
    "capacity.undecided": (
        "not decided: none of the {needed} flows got a STUN answer (see stun.binding)"
    ),
    "capacity.fits": (
        "the {needed} flows {phones} phones need fit: all answered, and the earliest still "
        "work after the last was made"
    ),
    "capacity.fits_unproven": (
        "the {needed} flows {phones} phones need were all admitted; whether the earliest "
        "survive could not be proven (the STUN server lacks RESPONSE-PORT)"
    ),
    # --- evidence lines (flexdiag.analysis notes) ----------------------------------------
    "ev.rfc5780": "test I {test1}, test II {test2}, test III {test3}",
    "ev.view": "{label} ({server}) saw {mapped}",
    "ev.view.few": "fewer than two servers' views of the same socket",
    "ev.view.untranslated": "no server saw a translated address",
    "ev.view.inseparable": "the views do not separate address from port dependence",
    "ev.alg.silent": "port {port}: no SIP answer, nothing to compare",
    "ev.alg.echo": (
        "port {port}: the server echoed {headers} differently from what flexdiag sent: "
        "something rewrote the SIP message"
    ),
    "ev.alg.no_stun": "port {port}: no STUN address to compare the SIP server's view ({seen}) with",
    "ev.alg.no_nat": "port {port}: no NAT, and the SIP server saw this host's own address {seen}",
    "ev.alg.paths_differ": (
        "port {port}: STUN sees no NAT but the SIP server saw {seen}: the paths differ"
    ),
    "ev.alg.private": (
        "port {port}: the SIP server reported the private address {seen} although STUN sees "
        "{public}: a SIP ALG rewrote the addresses"
    ),
    "ev.alg.clean": (
        "port {port}: the SIP server saw {seen}, the same public address as STUN: no rewriting"
    ),
    "ev.alg.other_public": (
        "port {port}: the SIP server saw {seen} but STUN saw {public}: different public "
        "addresses per destination"
    ),
    "ev.silence": "given up after {waited:g} s: {rtts:g} x the {basis_ms:.0f} ms round trip to "
                  "{where} (at least {floor:g} s)",
    "ev.silence.same": "this host",
    "ev.silence.other": "another server",
    # --- runner ----------------------------------------------------------------------------
    "runner.timeout": "flexdiag's check did not finish within {budget_s:g} s",
    "runner.crash": "flexdiag failed inside this check: {error}",
}


# RFC 4787 behaviour names, as a sentence shows them (the evidence keeps the RFC's spelling).
BEHAVIOR_NAMES: dict[str, str] = {
    "endpoint-independent": _noop("endpoint-independent"),
    "address-dependent": _noop("address-dependent"),
    "address-and-port-dependent": _noop("address-and-port-dependent"),
    "unknown": _noop("unknown"),
}


# Where a router's own menus put a setting, from the maker's documentation (docs/routers.md
# cites each): (maker as the IEEE's OUI list names it, setting) -> the short maker name and the
# menu path as the router shows it (not translated: the router's own words).
ROUTER_MENUS: dict[tuple[str, str], tuple[str, str]] = {
    ("DrayTek", "sip_alg"): ("DrayTek Vigor", "[NAT] > [ALG]: untick SIP"),
    ("Zyxel", "sip_alg"): ("Zyxel VMG", "Network Setting > NAT > ALG: SIP ALG off"),
    ("DrayTek", "port_forward"): ("DrayTek Vigor", "[NAT] > [Port Redirection]: a rule per "
                                  "phone for its SIP and RTP ports"),
    ("Zyxel", "port_forward"): ("Zyxel VMG", "Network Setting > NAT > Port Forwarding: a rule "
                                "per phone for its SIP and RTP ports"),
    ("AVM", "port_forward"): ("AVM FRITZ!Box", "Internet > Permit Access > Port Sharing: a "
                              "port sharing per phone for its SIP and RTP ports"),
}


def router_menu(vendor: str | None, setting: str) -> str | None:
    """" On this router (DrayTek Vigor): [NAT] > [ALG] ..." for a maker and a setting flexdiag
    has a documented menu path for, else ``None`` (the advice's generic names stand)."""
    if not vendor:
        return None
    for (maker, key), (name, path) in ROUTER_MENUS.items():
        if key == setting and vendor.lower().startswith(maker.lower()):
            return text("plan.menu", router=name, path=path)
    return None


def behavior_name(behavior: str) -> str:
    """A NAT behaviour in the active language, for a sentence."""
    return _(BEHAVIOR_NAMES.get(str(behavior), str(behavior)))


def note(key_and_fields: tuple[str, dict[str, Any]]) -> str:
    """An evidence note of :mod:`flexdiag.analysis` in the active language."""
    key, fields = key_and_fields
    return text(key, **fields)


def text(key: str, **fields: Any) -> str:
    """The message ``key`` in the active language, with its fields filled in."""
    return fmt(_(MESSAGES[key]), **fields)


def title(check_id: str) -> str:
    """The human title of a check id (``sip.udp.5060`` -> "SIP OPTIONS over UDP port 5060")."""
    port = sip_udp_port(check_id)
    if port is not None:
        return _(TITLES[SIP_UDP]).format(port=port)
    return _(TITLES[check_id]) if check_id in TITLES else check_id


def seconds_or_unknown(value: float | None) -> str:
    """A measured time in seconds, or the catalogue's "unknown" mark."""
    return text("lifetime.unknown") if value is None else fmt("{value:.1f} s", value=value)


def lifetime_progress(left_s: float, alive_s: float | None, expired_s: float | None) -> str:
    """The live progress line of a lifetime measurement under way: a countdown to its budget
    (it usually ends sooner, once decided) and the phone flow's bracket so far."""
    return text("lifetime.progress", left=f"{max(0.0, left_s):.0f}",
                alive=seconds_or_unknown(alive_s), expired=seconds_or_unknown(expired_s))


def numbers(values: Iterable[int]) -> str:
    """Ports (or sizes, FAQ items) as a report lists them: ``5060, 38388``."""
    return ", ".join(str(v) for v in values)


def port_list(ports: Sequence[int]) -> str:
    """Ports as a sentence names them ("5060 and 38388"; "5070, 5080 and 5090"), from the
    run's settings: never the platform's defaults written into a text."""
    names = [str(p) for p in ports]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " " + text("and") + " " + names[-1]
