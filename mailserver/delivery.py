"""Local delivery and queueing: thread, seal for each owner, store, commit, then notify.

"250 OK" may only be said once `deliver` returns: by then every copy and queue entry is
committed durably. Concurrent deliveries are committed together (group commit): one
writer task takes every delivery waiting at that moment and commits them in one
transaction, which is what lets an encrypted, fsynced store keep up with plain SMTP.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import keyed_digest, seal, seal_with_secret
from mailserver.headers import MessageHeaders, parse_headers
from mailserver.policy import PatientRules
from mailserver.store import AccountInfo, ChangeEvent, MessageAdded, Store, copy_aad
from mailserver.store.models import Folder, MessageRef, QueueEntry, Thread, new_id
from mailserver.store.store import add_message

log = logging.getLogger(__name__)
BATCH_MAX = 64
# Above this size, sealing goes to a thread so the event loop keeps serving others.
SEAL_IN_THREAD = 256 * 1024


def queue_aad(entry_id: str) -> bytes:
    return f"mssante/queue/v1|{entry_id}".encode()


@dataclass(frozen=True)
class RemoteRecipient:
    address: str
    notify: tuple[str, ...] = ()
    orcpt: str | None = None


@dataclass
class _Copy:
    account: AccountInfo
    folder: str
    copy_id: str
    sealed: bytes
    flags: tuple[str, ...] = ()
    patient: bool = False


@dataclass
class _Job:
    copies: list[_Copy]
    headers: MessageHeaders
    mail_from: str
    size: int
    queue: QueueEntry | None
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop()
                                       .create_future())


class DeliveryService:
    def __init__(self, store: Store, *, secret: bytes, patient_rules: PatientRules) -> None:
        self.store = store
        self.secret = secret
        self.patient_rules = patient_rules
        self._pending: asyncio.Queue[_Job] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def digest(self, message_id: str) -> str:
        return keyed_digest(self.secret, "msgid", message_id)

    async def deliver(self, raw: bytes, *, mail_from: str, recipients: list[AccountInfo],
                      remote: list[RemoteRecipient] | None = None,
                      sender: AccountInfo | None = None,
                      params: dict[str, Any] | None = None) -> None:
        """Store `raw` for each local recipient (and the sender's Sent), queue the rest."""
        headers = parse_headers(raw)
        copies = [await self._seal(acc, "INBOX", raw) for acc in recipients]
        for c in copies:
            c.patient = c.account.is_patient
        if sender is not None:
            copies.append(await self._seal(sender, "Sent", raw, flags=("\\Seen",)))
        queue = None
        if remote:
            entry_id = new_id()
            blob = seal_with_secret(self.secret, raw, queue_aad(entry_id))
            queue = QueueEntry(
                id=entry_id, sender=mail_from, sealed=blob, size=len(raw),
                params=dict(params or {}),
                recipients=[{"address": r.address, "status": "queued", "notify": list(r.notify),
                             "orcpt": r.orcpt, "remote": None} for r in remote])
        job = _Job(copies, headers, mail_from, len(raw), queue)
        self._ensure_writer()
        await self._pending.put(job)
        await asyncio.shield(job.done)

    async def _seal(self, account: AccountInfo, folder: str, raw: bytes,
                    flags: tuple[str, ...] = ()) -> _Copy:
        copy_id = new_id()
        aad = copy_aad(account.id, copy_id)
        if len(raw) > SEAL_IN_THREAD:
            blob = await asyncio.to_thread(seal, account.public_key, raw, aad)
        else:
            blob = seal(account.public_key, raw, aad)
        return _Copy(account, folder, copy_id, blob, flags)

    def _ensure_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(),
                                                                  name="delivery-writer")

    async def close(self) -> None:
        """Finish what is waiting, then stop the writer."""
        if self._writer is not None and not self._writer.done():
            await self._pending.join()
        if self._writer is not None:
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._pending.get()]
            while len(batch) < BATCH_MAX and not self._pending.empty():
                batch.append(self._pending.get_nowait())
            try:
                events = await self._commit(batch)
            except Exception:
                log.exception("group commit of %d deliveries failed; retrying one by one",
                              len(batch))
                events = []
                for job in batch:
                    try:
                        events.extend(await self._commit([job]))
                    except Exception as exc:
                        if not job.done.done():
                            job.done.set_exception(exc)
            for job in batch:
                if not job.done.done():
                    job.done.set_result(None)
                self._pending.task_done()
            await self.store.publish(events)

    async def _commit(self, batch: list[_Job]) -> list[ChangeEvent]:
        events: list[ChangeEvent] = []
        async with self.store.write() as s:
            for job in batch:
                events.extend(await self._apply(s, job))
        return events

    async def _apply(self, s: AsyncSession, job: _Job) -> list[ChangeEvent]:
        events: list[ChangeEvent] = []
        now = datetime.now(UTC)
        for c in job.copies:
            folder_id = await s.scalar(select(Folder.id).where(
                Folder.account_id == c.account.id, Folder.name == c.folder))
            if folder_id is None:  # a user deleted Sent: recreate nothing, use INBOX
                folder_id = await s.scalar(select(Folder.id).where(
                    Folder.account_id == c.account.id, Folder.name == "INBOX"))
            thread_id = await self._thread(s, c.account.id, job.headers, now)
            meta = await add_message(s, c.account.id, folder_id, message_id=c.copy_id,
                                     sealed=c.sealed, size=job.size, internal_date=now,
                                     flags=c.flags, thread_id=thread_id)
            events.append(MessageAdded(c.account.id, folder_id, meta.uid, meta.modseq))
            if c.patient and c.folder == "INBOX":
                await self.patient_rules.record_delivery(s, c.account, job.headers,
                                                         job.mail_from)
        if job.queue is not None:
            s.add(job.queue)
        return events

    async def _thread(self, s: AsyncSession, account_id: str, h: MessageHeaders,
                      now: datetime) -> str:
        """The conversation this message belongs to, for this account."""
        thread_id = None
        for mid in h.referenced_ids:
            thread_id = await s.scalar(select(MessageRef.thread_id).where(
                MessageRef.account_id == account_id,
                MessageRef.msgid_digest == self.digest(mid)))
            if thread_id:
                break
        if thread_id is None:
            thread_id = new_id()
            s.add(Thread(id=thread_id, account_id=account_id, created_at=now,
                         last_message_at=now))
            await s.flush()
        else:
            await s.execute(update(Thread).where(Thread.id == thread_id)
                            .values(last_message_at=now))
        if h.message_id:
            dig = self.digest(h.message_id)
            known = await s.scalar(select(MessageRef.thread_id).where(
                MessageRef.account_id == account_id, MessageRef.msgid_digest == dig))
            if known is None:
                s.add(MessageRef(account_id=account_id, msgid_digest=dig, thread_id=thread_id))
                await s.flush()
        return thread_id
