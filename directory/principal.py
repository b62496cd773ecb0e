"""Who is asking: the HTTP layer's authenticated user, as the directory sees it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

PROFESSIONAL_KINDS = frozenset({"PER", "ORG", "CAB", "APP", "ADMIN"})
PATIENT = "PATIENT"


@runtime_checkable
class Principal(Protocol):
    """An authenticated user; ``kind`` is one of PER ORG CAB APP PATIENT ADMIN."""

    address: str
    kind: str

    async def correspondents(self) -> set[str]:
        """For patients: the professionals' addresses found in their own conversations."""
        ...


async def visible_addresses(principal: Principal) -> frozenset[str] | None:
    """None when the principal may see the whole directory, else the addresses it may see."""
    if principal.kind.upper() == PATIENT:
        return frozenset(a.strip().lower() for a in await principal.correspondents())
    if principal.kind.upper() in PROFESSIONAL_KINDS:
        return None
    return frozenset()
