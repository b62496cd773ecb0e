"""Connection accounting for every SMTP listener of one node (shared with IMAP: see
``mailserver.limits``)."""

from __future__ import annotations

from mailserver.limits import Closable, ConnectionRegistry

__all__ = ["Closable", "ConnectionRegistry"]
