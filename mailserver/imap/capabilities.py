"""The capabilities advertised in each state (RFC 3501 §6.1.1, §7.2.1).

Only what is complete and tested is listed (docs/rfc-index.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .states import State

if TYPE_CHECKING:
    from .session import Session

BASE = ("IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE")
AUTHENTICATED = (
    "UIDPLUS",  # RFC 4315
    "MOVE",  # RFC 6851
    "UNSELECT",  # RFC 3691
    "CHILDREN",  # RFC 3348
    "SPECIAL-USE",  # RFC 6154
    "CREATE-SPECIAL-USE",  # RFC 6154 §3
    "LIST-EXTENDED",  # RFC 5258
    "LIST-STATUS",  # RFC 5819
    "CONDSTORE",  # RFC 7162
)


def capabilities(session: Session) -> tuple[str, ...]:
    """The list for this session now (pre-login lists depend on TLS)."""
    if session.state is not State.NOT_AUTHENTICATED:
        limit = session.services.settings.limits.imap_max_literal
        return (*BASE, *AUTHENTICATED, f"APPENDLIMIT={limit}")
    if session.starttls_port and not session.io.tls:
        return (*BASE, "STARTTLS", "LOGINDISABLED")
    mechs = ["AUTH=PLAIN"]
    if session.io.peer_certificate() is not None:
        mechs.append("AUTH=EXTERNAL")
    return (*BASE, *mechs)
