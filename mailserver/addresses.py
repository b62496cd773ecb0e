"""Address helpers shared by every package (SMTP, policy, relay): no protocol, no storage."""

from __future__ import annotations

from mailserver.trust import normalize_domain


def domain_of(address: str) -> str:
    """The normalised (lower-case, IDNA) domain of `local@domain`; "" when there is none."""
    return normalize_domain(address.rpartition("@")[2])


__all__ = ["domain_of"]
