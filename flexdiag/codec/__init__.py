"""Pure codecs: bytes <-> messages for STUN, SIP and NTP. No sockets, no clocks, no asyncio.

Every ``parse_*`` raises :class:`ValueError` with a fixed message on malformed input: peer bytes
enter here, and nothing else may escape from this boundary.
"""
