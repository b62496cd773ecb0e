"""The operator's own mailboxes, published into the directory from the store's accounts."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import (
    ENTRY_COLUMNS,
    ENTRY_MAILBOX,
    MAILBOX_KINDS,
    SOURCE_LOCAL,
    DirEntry,
)
from directory.normalize import joined, norm, search_text
from directory.rows import row_hash

log = logging.getLogger("directory.local")


@dataclass(frozen=True)
class LocalMailbox:
    """A mailbox of this server, as the account service describes it."""

    address: str
    kind: str  # PER, ORG, CAB or APP (patients and admins are never published)
    display_name: str = ""
    national_id: str = ""  # idNatPS for PER/CAB, idNatStruct for ORG/APP
    liste_rouge: bool = False
    family: str = ""
    given: str = ""
    profession_code: str = ""
    profession_label: str = ""
    specialty_code: str = ""
    specialty_label: str = ""
    organisation: str = ""
    service: str = ""
    description: str = ""
    postcode: str = ""
    city: str = ""


class NotPublishable(ValueError):
    """Raised for mailboxes that must never appear in the directory (patients, admins)."""


async def publish_local_mailbox(session: AsyncSession, mailbox: LocalMailbox) -> None:
    """Create or refresh the directory entry of a local mailbox (caller commits).

    A ``liste_rouge`` mailbox is never published: publishing one removes any entry it had.
    Patient (or any non-professional) mailboxes raise :class:`NotPublishable`.
    """
    kind = mailbox.kind.upper()
    if kind not in MAILBOX_KINDS:
        raise NotPublishable(f"{mailbox.address}: {mailbox.kind} mailboxes are never published")
    address = mailbox.address.strip().lower()
    if mailbox.liste_rouge:
        log.info("%s is on liste rouge: not published", address)
        await unpublish_local_mailbox(session, address)
        return
    person = kind in ("PER", "CAB")
    from directory.normalize import department_of

    values: dict[str, object] = {c: "" for c in ENTRY_COLUMNS}
    values.update(
        entry_key=f"M:{address}", entry_type=ENTRY_MAILBOX, source=SOURCE_LOCAL,
        national_id=mailbox.national_id if person else "",
        id_type=mailbox.national_id[:1] if person and mailbox.national_id else "",
        pp_id=mailbox.national_id[1:] if person and mailbox.national_id else "",
        family=mailbox.family, given=mailbox.given, display_name=mailbox.display_name,
        profession_code=mailbox.profession_code, profession_label=mailbox.profession_label,
        specialty_code=mailbox.specialty_code, specialty_label=mailbox.specialty_label,
        org_id="" if person else mailbox.national_id, org_name=mailbox.organisation,
        postcode=mailbox.postcode, city=mailbox.city,
        department=department_of(mailbox.postcode), address=address, mailbox_kind=kind,
        service=mailbox.service, description=mailbox.description,
        dematerialisation=None, liste_rouge=False,
        family_norm=norm(mailbox.family), given_norm=norm(mailbox.given),
        org_norm=norm(mailbox.organisation),
    )
    if mailbox.family or mailbox.given:
        values["sort_key"] = f"{values['family_norm']} {values['given_norm']}".strip()
    else:
        values["sort_key"] = norm(mailbox.display_name or f"{mailbox.service} "
                                                          f"{mailbox.organisation}")
    values["search_text"] = search_text(
        mailbox.display_name, mailbox.given, mailbox.family, joined(mailbox.family),
        mailbox.organisation,
        mailbox.service, mailbox.profession_label, mailbox.specialty_label, mailbox.city,
        mailbox.postcode, address.split("@")[0])
    values["row_hash"] = row_hash([values[c] for c in ENTRY_COLUMNS])
    existing = (await session.execute(
        select(DirEntry).where(DirEntry.entry_key == values["entry_key"]))).scalar_one_or_none()
    if existing is None:
        session.add(DirEntry(**values))
    else:
        for name, value in values.items():
            setattr(existing, name, value)
    await session.flush()


async def unpublish_local_mailbox(session: AsyncSession, address: str) -> None:
    """Remove a local mailbox from the directory (no error when it was not there)."""
    await session.execute(delete(DirEntry).where(
        DirEntry.entry_key == f"M:{address.strip().lower()}"))
    await session.flush()
