"""``flexdiag explain CODE``: what a SIP response code means (platform FAQ section 7), its
typical cause and what to check on the Flex platform. Table-driven: every code of the FAQ has
its phrase (:data:`flexdiag.codec.sip.RESPONSE_CODES`); codes with a known story on the platform
have their own cause and check, the others their class's."""

from __future__ import annotations

from dataclasses import dataclass

from flexdiag.codec.sip import CLASS_NAMES, RESPONSE_CODES
from flexdiag.i18n import _

# Meaning by class (RFC 3261 §21), then per code: (cause, what to check) where it helps.
CLASS_TEXT: dict[int, tuple[str, str, str]] = {
    1: ("A provisional answer: the request was received and is being processed.",
        "Normal during call set-up (100 Trying, 180 Ringing, 183 Session Progress).",
        "Nothing, unless no final answer follows: then the final answer is lost on the way "
        "back (firewall, SIP ALG)."),
    2: ("Success: the request was accepted.",
        "Normal.",
        "Nothing."),
    3: ("Redirection: the request should be sent elsewhere.",
        "The platform or a forwarding rule points the call to another address.",
        "The phone's SIP server setting: it should be voip.gntel.nl (FAQ item 1)."),
    4: ("Client failure: the request was wrong, or cannot be served as sent.",
        "Usually the phone's configuration: account, number or codecs.",
        "The account settings in the phone, and the number dialled."),
    5: ("Server failure: the server (or a proxy) failed on a valid request.",
        "A platform or path problem, usually temporary.",
        "Try again later; if it persists, report it to the platform with the time of the "
        "call."),
    6: ("Global failure: the request cannot succeed anywhere.",
        "The called party refuses or does not exist.",
        "The number dialled."),
}

CODE_TEXT: dict[int, tuple[str, str]] = {
    202: ("The request was understood but cannot be processed yet (FAQ 7.2).",
          "Usually harmless for a SUBSCRIBE/REFER; check the feature used."),
    401: ("The registrar wants the phone to authenticate (used by registrars and user agents; "
          "proxies use 407, FAQ 7.4). Normal as the first answer to a REGISTER; repeated, the "
          "credentials are wrong.",
          "The SIP username, authentication name and password in the phone."),
    403: ("The platform refuses: wrong credentials, an account that is blocked, or a request "
          "from an address the account may not use.",
          "The account's credentials and status; whether the SIP server is voip.gntel.nl."),
    404: ("The user or number does not exist here (FAQ 7.4). To flexdiag's OPTIONS probe this "
          "is a normal answer: the path works.",
          "The number dialled, or the account's user name."),
    407: ("A proxy wants the phone to authenticate.",
          "The SIP credentials in the phone."),
    408: ("The request timed out: the user could not be found in time (FAQ 7.4). Often the "
          "called phone's NAT mapping expired, so the platform cannot reach it.",
          "Run flexdiag run --lifetime at the called site; the registration interval must be "
          "shorter than the router's NAT timeout (FAQ item 6)."),
    410: ("The user existed once but is not available here any more (FAQ 7.4).",
          "The number dialled."),
    420: ("A SIP protocol extension the phone asked for is not understood by the server "
          "(FAQ 7.4).",
          "The phone's 'Require'/'Proxy-Require' settings and firmware."),
    423: ("The requested registration interval is too short for the server.",
          "The phone's registration interval: raise it (but keep it below the router's NAT "
          "timeout, FAQ item 6)."),
    480: ("The called user is temporarily unavailable: not registered, or its phone cannot be "
          "reached.",
          "Whether the called phone is registered; at its site run flexdiag (NAT lifetime, "
          "SIP ALG)."),
    481: ("The server does not know the call or transaction the request refers to.",
          "Often a SIP ALG rewriting messages, or a NAT mapping that changed mid-call: run "
          "flexdiag (sip.alg, nat.lifetime)."),
    486: ("The called user is busy.", "Nothing: try again later."),
    487: ("The request was cancelled before it was answered.", "Nothing: normal after a "
          "hang-up while ringing."),
    488: ("The session description (codecs, media) is not acceptable.",
          "The phone's codec list; a SIP ALG rewriting the SDP (run flexdiag: sip.alg)."),
    493: ("The server could not decrypt an S/MIME body part (FAQ 7.4).",
          "The phone's S/MIME settings: turn S/MIME off."),
    500: ("The server hit an internal error.", "Try again; report it if it persists."),
    501: ("The SIP request method is not implemented by the server (FAQ 7.5).",
          "The feature the phone used; its firmware."),
    502: ("A gateway or proxy got an invalid answer further on.",
          "Report it to the platform with the time of the call."),
    503: ("The service is unavailable: overloaded or in maintenance.",
          "Try again later; phones should fail over to the other port (5060 or 38388)."),
    504: ("A server further on did not answer in time.",
          "Report it to the platform with the time of the call."),
    505: ("The server does not support this SIP version (FAQ 7.5).",
          "The phone's firmware: it must speak SIP/2.0."),
    513: ("The message is too large for the server, or for the path.",
          "Run flexdiag: sip.large (IP fragments dropped); use SIP over TCP if the phone can."),
    603: ("The called party declined the call.", "Nothing."),
    606: ("The called phone was reached, but the session offered to it (codecs, media, "
          "bandwidth or addressing) is acceptable nowhere: not a missing or refusing user.",
          "The codecs on both phones (G.711 A-law and µ-law in common); a SIP ALG rewriting "
          "the SDP (run flexdiag: sip.alg)."),
}


# Each FAQ §7 code's own meaning (the FAQ's own words where it gives them).
MEANING: dict[int, str] = {
    100: 'The request was received and is being worked on.',
    180: 'The called phone is ringing.',
    181: 'The call is being forwarded.',
    182: 'The call is queued until the called party is free.',
    183: 'Session progress: early media (a tone or announcement) before the call is answered.',
    200: 'OK: the request succeeded.',
    202: 'Accepted: the request has been understood but cannot be processed yet (FAQ 7.2).',
    300: 'Multiple choices: the address resolves to several destinations.',
    301: 'Moved permanently: the user is at another address for good.',
    302: 'Moved temporarily: the user is at another address for now.',
    305: 'Use proxy: the request must go through the named proxy.',
    380: 'Alternative service: the call failed, another service is offered.',
    400: 'Bad request: the message is malformed.',
    401: ("Unauthorized: authenticate first (used only by registrars and user agents; "
          "proxies use 407, FAQ 7.4)."),
    402: 'Payment required (reserved for future use, FAQ 7.4).',
    403: 'Forbidden: the server refuses the request.',
    404: 'Not found: the user does not exist here (FAQ 7.4).',
    405: 'Method not allowed for this address.',
    406: 'Not acceptable: no answer in a form the request accepts.',
    407: 'Proxy authentication required.',
    408: 'Request timeout: the user could not be found in time (FAQ 7.4).',
    409: 'Conflict with the current state of the resource.',
    410: 'Gone: the user existed once, but is not available here any more (FAQ 7.4).',
    412: 'Conditional request failed (the condition did not hold).',
    413: 'Request entity too large: the message body is too big.',
    414: 'Request-URI too long.',
    415: 'Unsupported media type in the message body.',
    416: 'Unsupported URI scheme.',
    417: 'Unknown Resource-Priority value.',
    420: ("Bad extension: a SIP protocol extension the request needs is not understood by "
          "the server (FAQ 7.4)."),
    421: 'Extension required: the server needs an extension the request did not offer.',
    422: 'Session interval too small (session timers).',
    423: 'Interval too brief: the requested registration or subscription time is too short.',
    424: 'Bad location information.',
    428: 'Use Identity header: the request must carry an Identity header.',
    429: 'Provide referrer identity.',
    433: 'Anonymity disallowed: anonymous calls are refused.',
    436: 'Bad Identity-Info header.',
    437: 'Unsupported certificate.',
    438: 'Invalid Identity header.',
    480: 'Temporarily unavailable: the user is known but cannot be reached now.',
    481: 'Call or transaction does not exist.',
    482: 'Loop detected: the request came back to the server.',
    483: 'Too many hops: Max-Forwards reached zero.',
    484: 'Address incomplete: the number dialled is too short.',
    485: 'Ambiguous: the address matches several users.',
    486: 'Busy here: the called phone is busy.',
    487: 'Request terminated: cancelled before it was answered.',
    488: 'Not acceptable here: the offered session (codecs, media) cannot be used.',
    489: 'Bad event: the event package is not supported.',
    491: 'Request pending: another request on the same dialog is under way.',
    493: 'Undecipherable: the server could not decrypt an S/MIME body part (FAQ 7.4).',
    494: 'Security agreement required.',
    500: 'Server internal error.',
    501: 'Not implemented: the SIP request method is not implemented here (FAQ 7.5).',
    502: 'Bad gateway: a server further on gave an invalid answer.',
    503: 'Service unavailable: overloaded or in maintenance.',
    504: 'Server time-out: a server further on did not answer in time.',
    505: 'Version not supported: the server does not support this SIP version (FAQ 7.5).',
    513: 'Message too large.',
    580: 'Precondition failure: a condition for the session (e.g. resources) could not be met.',
    600: 'Busy everywhere: every phone of the called party is busy.',
    603: 'Decline: the called party declines the call.',
    604: 'Does not exist anywhere.',
    606: ('Not acceptable: the called phone was reached, but no part of the offered '
          'session (codecs, media, bandwidth) suits it (RFC 3261 §21.6.4).'),
}

@dataclass(frozen=True)
class Explanation:
    """Everything ``explain`` says about one code, in the active language."""

    code: int
    phrase: str
    class_name: str
    in_faq: bool
    meaning: str
    cause: str
    check: str


def explain(code: int) -> Explanation:
    """The explanation of a SIP response code (100-699); raises ``ValueError`` otherwise."""
    if not 100 <= code <= 699:
        raise ValueError(f"{code} is not a SIP response code (100-699)")
    klass = code // 100
    class_meaning, class_cause, class_check = CLASS_TEXT[klass]
    specific = CODE_TEXT.get(code)
    known = code in RESPONSE_CODES
    # An unknown code gets no made-up reason phrase: it is said to be unknown.
    phrase = RESPONSE_CODES[code] if known else _("(not a code the platform FAQ lists)")
    return Explanation(
        code=code,
        phrase=phrase,
        class_name=f"{klass}xx {_(CLASS_NAMES[klass])}",
        in_faq=known,
        meaning=_(MEANING[code]) if known else _(class_meaning),
        cause=_(specific[0]) if specific else _(class_cause),
        check=_(specific[1]) if specific else _(class_check),
    )
