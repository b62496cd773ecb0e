"""Delivery status notifications (RFC 3464 multipart/report, RFC 3461 NOTIFY/RET/ENVID/ORCPT).

The builder lives in mailserver/inbound.py so that local delivery and the relay make the
same reports; this module is the relay's name for it.
"""

from mailserver.inbound import RecipientStatus, build_dsn, wants

__all__ = ["RecipientStatus", "build_dsn", "wants"]
