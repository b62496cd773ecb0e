"""Which SMTP verb may run when: one table instead of a preamble in every command.

`VERBS` names every command aiosmtpd dispatches (`smtp_*` methods); the protocol refuses to
build a session if a verb is missing here, so a new aiosmtpd command cannot slip in
unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mailserver.smtp import codes


class Phase(Enum):
    CONNECTED = "connected"    # no HELO/EHLO yet
    GREETED = "greeted"        # HELO/EHLO done, no mail transaction
    MAIL = "mail"              # MAIL accepted: a transaction is open


@dataclass(frozen=True)
class VerbRule:
    before_tls: bool = False     # allowed before STARTTLS where TLS is required (RFC 3207 §4)
    phase: Phase | None = None   # the one phase it runs in (None: any)


VERBS: dict[str, VerbRule] = {
    "EHLO": VerbRule(before_tls=True),
    "HELO": VerbRule(before_tls=True),
    "NOOP": VerbRule(before_tls=True),
    "QUIT": VerbRule(before_tls=True),
    "STARTTLS": VerbRule(before_tls=True),
    "RSET": VerbRule(before_tls=True),
    "AUTH": VerbRule(before_tls=True),    # it answers 538 itself before TLS
    "HELP": VerbRule(before_tls=True),
    "VRFY": VerbRule(),
    "EXPN": VerbRule(),
    "MAIL": VerbRule(phase=Phase.GREETED),
    "RCPT": VerbRule(phase=Phase.MAIL),
    "DATA": VerbRule(phase=Phase.MAIL),
}


def phase_refusal(verb: str, phase: Phase) -> str | None:
    """The reply refusing `verb` in `phase`, or None when it may run."""
    need = VERBS[verb].phase
    if need is None or need is phase:
        return None
    if phase is Phase.CONNECTED:
        return codes.NEED_HELO
    return codes.NEED_MAIL if need is Phase.MAIL else codes.NESTED_MAIL
