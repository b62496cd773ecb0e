"""Every aiosmtpd 1.4.6 internal the SMTP package relies on, in one place.

aiosmtpd's public API is the handler hooks and the `SMTP` constructor; what we use beyond it
is listed here, with why. `tests/mailserver/smtp/test_smtp_upstream.py` checks that each
exists in the installed aiosmtpd and that the version is the pinned one, so an upgrade
fails there first, not in a session. Anything else of aiosmtpd used by `mailserver/smtp/`
must be added to this list.
"""

from __future__ import annotations

AIOSMTPD_VERSION = "1.4.6"

# "Owner.name": why we rely on it. Owner is aiosmtpd.smtp's SMTP, Session or Envelope.
RELIED_ON: dict[str, str] = {
    # construction and dispatch
    "SMTP.line_length_limit": "read by SMTP.__init__ for the StreamReader limit: set first",
    "SMTP.command_size_limits": "a class-wide dict EHLO grows; replaced per session",
    "SMTP._smtp_methods": "verb -> smtp_* method map; each wrapped by our dispatch guard",
    "SMTP._auth_methods": "mechanism -> auth_* map: unknown mechanisms answered 504 first",
    "SMTP._create_session": "factory overridden: MssSession",
    "SMTP._create_envelope": "factory overridden: MssEnvelope",
    "SMTP._handle_client": "the command loop; overridden to refuse over-limit connections",
    "SMTP._set_rset_state": "called by EHLO/HELO/RSET: fresh envelope",
    "SMTP._set_post_data_state": "called after DATA; overridden to log abandoned transactions",
    "SMTP._reset_timeout": "re-armed while DATA flows (the idle timer)",
    "SMTP._timeout_cb": "overridden: 421 4.4.2 before closing an idle session",
    "SMTP.handle_exception": "overridden: a failed STARTTLS is one log line, else the hook",
    "SMTP.push": "overridden: enhanced status codes added to aiosmtpd's own replies",
    "SMTP.challenge_auth": "the 334 exchange of AUTH PLAIN/LOGIN/EXTERNAL",
    "SMTP.AuthLoginUsernameChallenge": "AUTH LOGIN's first challenge text",
    "SMTP.AuthLoginPasswordChallenge": "AUTH LOGIN's second challenge text",
    "SMTP.smtp_AUTH": "super() after our checks: runs auth_* and sets session.authenticated",
    "SMTP.smtp_STARTTLS": "super(): 220, handshake; connection_made then clears the reader's "
                         "buffer so bytes pipelined in clear are dropped (RFC 3207 §4.2)",
    "SMTP.connection_made": "called again after STARTTLS with the TLS transport",
    # instance attributes set by SMTP.__init__ / connection_made
    "SMTP._reader": "the StreamReader DATA is read from (data.read_data)",
    "SMTP._writer": "written without awaiting when closing from outside the session task",
    "SMTP._original_transport": "the TCP transport under STARTTLS, aborted on shutdown",
    # session and envelope fields
    "Session._login_data": "behind login_data, whose aiosmtpd property warns on each AUTH",
    "Session.authenticated": "set by smtp_AUTH on success",
    "Session.auth_data": "what our auth_* returned (a Login)",
    "Session.extended_smtp": "EHLO (not HELO) was said",
    "Session.host_name": "the HELO/EHLO name",
    "Envelope.mail_from": "None outside a transaction",
    "Envelope.rcpt_tos": "accepted recipients",
    "Envelope.content": "the DATA bytes (decode_data=False)",
    "Envelope.original_content": "the DATA bytes as received",
    "Envelope.smtp_utf8": "MAIL ... SMTPUTF8 was given",
    # module level
    "module.MISSING": "what challenge_auth returns when the client aborted",
    "module.AuthResult": "the answer of an auth_* method",
    "module.TLSSetupException": "raised by smtp_STARTTLS when the handshake fails",
    "logger.mail.log": "aiosmtpd logs every command line at INFO: kept at WARNING",
}
