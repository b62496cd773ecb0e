"""Messaging rules for patients, as in Mon Espace Santé (design brief §6, domain.md §5).

What a patient may answer is recorded at delivery as keyed digests (never addresses or
Message-IDs in clear): for each message a professional sent them, who may receive the
answer (its Reply-To, else its From), who sent it, its Message-ID, and whether it is closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from crypto import keyed_digest
from mailserver.headers import MessageHeaders
from mailserver.store import AccountInfo, Store
from mailserver.store.models import Dispensation, PatientCorrespondence

NO_START = ("a patient cannot start a conversation: you may only answer a professional "
            "who wrote to you")
CLOSED = "the professional closed this conversation: it does not accept answers"
TO_PATIENT = "patients cannot write to other patients"
WRONG_ADDRESS = ("answers to this message go to the address in its Reply-To, "
                 "not to this recipient")


class PatientRules:
    def __init__(self, store: Store, secret: bytes, patient_domain: str) -> None:
        self.store = store
        self.secret = secret
        self.patient_domain = patient_domain.lower()

    def digest(self, label: str, value: str) -> str:
        return keyed_digest(self.secret, label, value.strip().lower())

    def is_patient_address(self, address: str) -> bool:
        return bool(self.patient_domain) and address.lower().endswith("@" + self.patient_domain)

    async def check(self, patient: AccountInfo, recipient: str,
                    headers: MessageHeaders | None) -> str | None:
        """Why this patient may not write to this recipient, or None if allowed.

        Called at RCPT without headers (is there any open conversation?) and again after
        DATA with headers (is this answer to an open message, sent to its Reply-To?).
        """
        if self.is_patient_address(recipient):
            return TO_PATIENT
        rdig = self.digest("addr", recipient)
        async with self.store.read() as s:
            rows = list(await s.scalars(select(PatientCorrespondence).where(
                PatientCorrespondence.patient_id == patient.id)))
            pharmacy = await self._dispensation(s, patient.id, rdig)
        if headers is not None:
            for mid in headers.referenced_ids:
                mdig = self.digest("msgid", mid)
                hit = [r for r in rows if r.msgid_digest == mdig]
                if hit:
                    row = hit[0]
                    if row.closed:
                        return CLOSED
                    if row.reply_digest != rdig:
                        return WRONG_ADDRESS
                    return None
        mine = [r for r in rows if r.reply_digest == rdig]
        if any(not r.closed for r in mine) or pharmacy:
            return None
        return CLOSED if mine else NO_START

    async def delivered_correspondents(self, patient: AccountInfo,
                                       candidates: set[str]) -> set[str]:
        """The candidates that a professional's delivery to this patient recorded (as its
        sender or its Reply-To). Candidates read from the patient's own folders are only
        hints: a message the patient APPENDed with a forged From never recorded anything."""
        async with self.store.read() as s:
            rows = (await s.execute(select(
                PatientCorrespondence.sender_digest, PatientCorrespondence.reply_digest)
                .where(PatientCorrespondence.patient_id == patient.id))).all()
        recorded = {d for row in rows for d in row}
        return {a for a in candidates if self.digest("addr", a) in recorded}

    async def _dispensation(self, s: AsyncSession, patient_id: str, rdig: str) -> bool:
        since = date.today() - timedelta(days=366)
        found = await s.scalar(select(Dispensation.id).where(
            Dispensation.patient_id == patient_id, Dispensation.pharmacy_digest == rdig,
            Dispensation.dispensed_on >= since).limit(1))
        return found is not None

    def record_delivery(self, s: Session, patient: AccountInfo, headers: MessageHeaders,
                        envelope_sender: str) -> None:
        """Inside the delivery transaction (a sync session: the delivery writer runs the
        whole batch in one go): remember what this patient may now answer."""
        sender = headers.from_addresses[0] if headers.from_addresses else envelope_sender
        if not sender or self.is_patient_address(sender):
            return
        sdig = self.digest("addr", sender)
        if headers.closes_conversation:
            s.execute(update(PatientCorrespondence).where(
                PatientCorrespondence.patient_id == patient.id,
                PatientCorrespondence.sender_digest == sdig).values(closed=True))
        reply_to = headers.reply_to[0] if headers.reply_to else sender
        s.add(PatientCorrespondence(
            patient_id=patient.id, reply_digest=self.digest("addr", reply_to),
            sender_digest=sdig,
            msgid_digest=self.digest("msgid", headers.message_id or ""),
            closed=headers.no_reply or headers.closes_conversation,
            received_at=datetime.now(UTC)))

    async def add_dispensation(self, patient: AccountInfo, pharmacy: str,
                               dispensed_on: date) -> None:
        async with self.store.write() as s:
            s.add(Dispensation(patient_id=patient.id,
                               pharmacy_digest=self.digest("addr", pharmacy),
                               dispensed_on=dispensed_on))
