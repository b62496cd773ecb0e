"""The seam between an SMTP connection and the policy of its port: typed hooks.

`MssSMTP` (protocol.py) parses and checks the grammar and the verb order, then calls these
hooks; a hook answers with one of the replies of `codes.py`. `handler.py` implements them
for the submission ports and for the MX. The connection shows a hook only what it needs
(`Connection`), not aiosmtpd's whole class.
"""

from __future__ import annotations

import ssl
from typing import Protocol

from mailserver.smtp.state import MssEnvelope, MssSession


class Connection(Protocol):
    """What a hook may read of the connection that calls it."""

    hostname: str   # our own name, for the Received header and generated Message-IDs

    def ssl_object(self) -> ssl.SSLObject | ssl.SSLSocket | None:
        """The TLS layer (for the peer certificate), None in clear."""
        ...


class SmtpHooks(Protocol):
    """The three decisions of a mail transaction, and what to say on an unexpected error."""

    async def handle_MAIL(self, server: Connection, session: MssSession,
                          envelope: MssEnvelope, address: str,
                          mail_options: list[str]) -> str:
        """Accept the reverse-path (set `envelope.mail_from`) or refuse it."""
        ...

    async def handle_RCPT(self, server: Connection, session: MssSession,
                          envelope: MssEnvelope, address: str,
                          rcpt_options: list[str]) -> str:
        """Route one recipient (NOTIFY/ORCPT already in `envelope.rcpt_dsn`)."""
        ...

    async def handle_DATA(self, server: Connection, session: MssSession,
                          envelope: MssEnvelope) -> str:
        """Check and deliver `envelope.original_content`; "250" only once committed."""
        ...

    async def handle_exception(self, error: Exception) -> str:
        """The reply for an error no other code handled (aiosmtpd calls it)."""
        ...
