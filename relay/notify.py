"""Deliver a DSN to the sender of a queued message (see mailserver.inbound.deliver_dsn)."""

from mailserver.inbound import deliver_dsn as send_dsn

__all__ = ["send_dsn"]
