"""The only asyncio and socket code: UDP endpoints, DNS, and the STUN/SIP/NTP exchanges.

Every coroutine here takes a deadline on the event loop's clock and returns an observation
(what was sent, what came back, or why nothing did); network outcomes are never raised.
"""
