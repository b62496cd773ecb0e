"""Named SMTP replies (RFC 5321 codes with RFC 3463 enhanced status codes).

Every reply we send carries an enhanced status code (RFC 2034), except the greeting, the
EHLO/HELO answers, the 334 AUTH challenges and the 354 "go ahead", as RFC 2034 allows.
Replies produced inside aiosmtpd without one get a default from `DEFAULT_ENHANCED`.
"""

from __future__ import annotations

import re

from mailserver.policy.routing import Refusal

# -- success ---------------------------------------------------------------------------
OK = "250 2.0.0 OK"
RCPT_OK = "250 2.1.5 Recipient OK"
SENDER_OK = "250 2.1.0 Sender OK"
RESET_OK = "250 2.0.0 Reset"
BYE = "221 2.0.0 Bye"
AUTH_OK = "235 2.7.0 Authentication successful"
READY_TLS = "220 2.0.0 Ready to start TLS"
START_DATA = "354 End data with <CR><LF>.<CR><LF>"

# -- temporary failures ----------------------------------------------------------------
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections, try again later"
TOO_MANY_CONNECTIONS_CLIENT = "421 4.7.0 Too many connections from your address, try again later"
TOO_MANY_AUTH_FAILURES = "421 4.7.0 Too many failed authentications, closing connection"
TIMEOUT = "421 4.4.2 Timeout: closing connection"
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, message not accepted: try again later"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
AUTH_THROTTLED = "454 4.7.0 Login temporarily refused, try again later"
TLS_UNAVAILABLE = "454 4.7.0 TLS not available"

# -- permanent failures ----------------------------------------------------------------
LINE_TOO_LONG = "500 5.5.2 Line too long (RFC 5321 4.5.3.1.6)"
SYNTAX_EHLO = "501 5.5.4 Syntax: EHLO hostname"
SYNTAX_HELO = "501 5.5.4 Syntax: HELO hostname"
SYNTAX_MAIL = "501 5.5.4 Syntax: MAIL FROM:<address> [parameters]"
SYNTAX_RCPT = "501 5.5.4 Syntax: RCPT TO:<address> [parameters]"
SYNTAX_DATA = "501 5.5.4 Syntax: DATA"
SYNTAX_STARTTLS = "501 5.5.4 Syntax: STARTTLS"
BAD_SIZE = "501 5.5.4 SIZE needs a number"
BAD_BODY = "501 5.5.4 BODY must be 7BIT or 8BITMIME"
SMTPUTF8_NO_VALUE = "501 5.5.4 SMTPUTF8 takes no value"
AUTH_UNAVAILABLE = "502 5.5.1 AUTH is not available on this port"
NEED_HELO = "503 5.5.1 Send EHLO first"
NEED_EHLO_FOR_AUTH = "503 5.5.1 AUTH needs EHLO"
NESTED_MAIL = "503 5.5.1 Nested MAIL command"
NEED_MAIL = "503 5.5.1 Need MAIL command"
NEED_RCPT = "503 5.5.1 Need RCPT command"
ALREADY_AUTHENTICATED = "503 5.5.1 Already authenticated"
AUTH_IN_TRANSACTION = "503 5.5.1 AUTH is not allowed during a mail transaction"
TLS_ALREADY_ACTIVE = "503 5.5.1 TLS already active"
NO_VALID_RECIPIENTS = "554 5.5.1 No valid recipients"
UNKNOWN_MECHANISM = "504 5.5.4 Unrecognized authentication type"
AUTH_REQUIRED = "530 5.7.0 Authentication required"
STARTTLS_REQUIRED = "530 5.7.0 Must issue a STARTTLS command first"
AUTH_FAILED = "535 5.7.8 Authentication credentials invalid"
ENCRYPTION_REQUIRED = "538 5.7.11 Encryption required for requested authentication mechanism"
UNKNOWN_USER = "550 5.1.1 No such mailbox here: {address}"
UNKNOWN_PROFESSIONAL = ("550 5.1.1 {address} is not a known mailbox in the national "
                        "directory of health professionals")
MAILBOX_DISABLED = "550 5.2.1 Mailbox disabled: {address}"
RELAY_DENIED = "550 5.7.1 Relaying denied: {domain} is not a domain of this server"
UNTRUSTED_SENDER = "550 5.7.1 Sender domain {domain} is not in the MSSanté trust space"
UNTRUSTED_RECIPIENT = "550 5.7.1 Recipient domain {domain} is not in the MSSanté trust space"
NOT_YOUR_SENDER = ("550 5.7.1 Envelope sender must be your authenticated address "
                   "<{address}>")
NOT_YOUR_FROM = "550 5.7.1 From: header must be your authenticated address <{address}>"
NOT_YOUR_SENDER_HEADER = ("550 5.7.1 Sender: header must be your authenticated address "
                          "<{address}> (or be left out)")
PATIENT_REFUSED = "550 5.7.1 {reason}"
TOO_BIG = "552 5.3.4 Message too big: this server accepts at most {limit} bytes"
TOO_BIG_FOR_PATIENT = ("552 5.3.4 Message too big for a patient's mailbox: at most {limit} "
                       "bytes")
BAD_ADDRESS = "553 5.1.3 Malformed address"
BARE_NEWLINE = ("554 5.6.11 Message refused: bare CR or LF found; every line must end with "
                "CRLF (SMTP smuggling protection)")
NUL_IN_DATA = "554 5.6.0 Message refused: it contains a NUL byte, which SMTP text may not carry"
UNKNOWN_PARAMETER = "555 5.5.4 Unsupported parameter: {name}"

# Default enhanced code per basic code, for replies made by aiosmtpd itself.
DEFAULT_ENHANCED: dict[int, str] = {
    220: "2.0.0", 221: "2.0.0", 235: "2.7.0", 250: "2.0.0", 252: "2.5.0",
    421: "4.3.0", 451: "4.3.0", 452: "4.5.3", 454: "4.7.0",
    500: "5.5.2", 501: "5.5.4", 502: "5.5.1", 503: "5.5.1", 504: "5.5.4", 530: "5.7.0",
    535: "5.7.8", 538: "5.7.11", 550: "5.0.0", 552: "5.3.4", 553: "5.1.3", 554: "5.0.0",
    555: "5.5.4",
}
_HAS_ENHANCED = re.compile(rb"^\d{3}[ -][245]\.\d{1,3}\.\d{1,3}(?: |$)")
_BASIC = re.compile(rb"^(\d{3})([ -])(.*)$", re.S)
_EXEMPT = (334, 354)


def with_enhanced(reply: bytes) -> bytes:
    """Insert a default enhanced status code into a reply that lacks one."""
    if _HAS_ENHANCED.match(reply):
        return reply
    m = _BASIC.match(reply)
    if m is None:
        return reply
    code = int(m.group(1))
    if code in _EXEMPT:
        return reply
    enhanced = DEFAULT_ENHANCED.get(code, f"{code // 100}.0.0")
    return m.group(1) + m.group(2) + enhanced.encode() + b" " + m.group(3)


def code_of(reply: str) -> int:
    return int(reply[:3])


# The policy's refusal reasons on the wire (same bytes as before the policy said them).
REFUSALS: dict[Refusal, str] = {
    Refusal.UNKNOWN_USER: UNKNOWN_USER,
    Refusal.MAILBOX_DISABLED: MAILBOX_DISABLED,
    Refusal.UNTRUSTED_RECIPIENT: UNTRUSTED_RECIPIENT,
    Refusal.UNKNOWN_PROFESSIONAL: UNKNOWN_PROFESSIONAL,
    Refusal.RELAY_DENIED: RELAY_DENIED,
}


def refusal_reply(refusal: Refusal, address: str, domain: str) -> str:
    return REFUSALS[refusal].format(address=address, domain=domain)
