"""SMTP: submission (465 implicit TLS, 587 STARTTLS) and inbound relay (25), on aiosmtpd.

Public face: `start_smtp(services) -> SmtpServers`; `SmtpServers.close(grace)`.
"""

from mailserver.smtp.server import SmtpListener, SmtpServers, start_smtp
from mailserver.smtp.state import ListenerKind

__all__ = ["ListenerKind", "SmtpListener", "SmtpServers", "start_smtp"]
