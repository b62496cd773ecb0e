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

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crypto import keyed_digest, seal, seal_with_secret
from mailserver.headers import MessageHeaders, parse_headers
from mailserver.policy import PatientRules
from mailserver.store import AccountInfo, ChangeEvent, MessageAdded, Store, copy_aad
from mailserver.store.models import Folder, Message, MessageRef, QueueEntry, Thread, new_id

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


@dataclass
class _Job:
    copies: list[_Copy]
    headers: MessageHeaders
    mail_from: str
    size: int
    queue: QueueEntry | None
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop()
                                       .create_future())


def return_path(mail_from: str) -> bytes:
    """RFC 5321 §4.4: final delivery records the envelope sender (``<>`` for a bounce).
    Callers pass an address that went through an address grammar (no CR or LF)."""
    return f"Return-Path: <{mail_from}>\r\n".encode()


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
                      params: dict[str, Any] | None = None,
                      headers: MessageHeaders | None = None,
                      final_trace: bytes = b"") -> None:
        """Store `raw` for each local recipient (and the sender's Sent), queue the rest.

        `headers` may be passed when the caller already parsed them (SMTP policy did).
        `final_trace` goes in front of the recipients' copies only: the lines of final
        delivery (RFC 5321 §4.4 Return-Path), never relayed nor filed in Sent."""
        headers = headers or parse_headers(raw)
        delivered = final_trace + raw
        copies = [await self._seal(acc, "INBOX", delivered) for acc in recipients]
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
        # One transaction for the whole batch, in one hop to a worker thread on SQLite.
        return await self.store.run_write(lambda s: self._apply_batch(s, batch))

    def _apply_batch(self, s: Session, batch: list[_Job]) -> list[ChangeEvent]:
        """Store a whole batch in a handful of statements, whatever its size: one lookup of
        folders, one of known Message-IDs, one UID reservation per folder, and one bulk
        insert per table. Per-copy round trips are what made the store slow."""
        now = datetime.now(UTC)
        accounts = {c.account.id for job in batch for c in job.copies}
        names = {c.folder for job in batch for c in job.copies} | {"INBOX"}
        folders = {(r[1], r[2]): r[0] for r in s.execute(
            select(Folder.id, Folder.account_id, Folder.name)
            .where(Folder.account_id.in_(accounts), Folder.name.in_(names)))}
        own = {id(job): self.digest(job.headers.message_id) if job.headers.message_id else None
               for job in batch}
        parents = {id(job): [self.digest(m) for m in job.headers.referenced_ids]
                   for job in batch}
        wanted = {d for job in batch for d in parents[id(job)]} | {
            d for d in own.values() if d}
        refs: dict[tuple[str, str], str] = {}
        if wanted:
            refs = {(r[0], r[1]): r[2] for r in s.execute(
                select(MessageRef.account_id, MessageRef.msgid_digest, MessageRef.thread_id)
                .where(MessageRef.account_id.in_(accounts),
                       MessageRef.msgid_digest.in_(wanted)))}
        new_threads: list[dict[str, Any]] = []
        touched: set[str] = set()
        new_refs: list[dict[str, Any]] = []
        plan: list[tuple[_Job, _Copy, int, str]] = []
        for job in batch:
            for c in job.copies:
                acc = c.account.id
                folder_id = folders.get((acc, c.folder)) or folders[(acc, "INBOX")]
                thread_id = next((refs[(acc, d)] for d in parents[id(job)]
                                  if (acc, d) in refs), None)
                if thread_id is None:
                    thread_id = new_id()
                    new_threads.append({"id": thread_id, "account_id": acc,
                                        "created_at": now, "last_message_at": now})
                else:
                    touched.add(thread_id)
                dig = own[id(job)]
                if dig and (acc, dig) not in refs:
                    refs[(acc, dig)] = thread_id
                    new_refs.append({"account_id": acc, "msgid_digest": dig,
                                     "thread_id": thread_id})
                plan.append((job, c, folder_id, thread_id))
        uids = self._reserve_uids(s, [p[2] for p in plan])
        rows: list[dict[str, Any]] = []
        events: list[ChangeEvent] = []
        for job, c, folder_id, thread_id in plan:
            uid, modseq = uids[folder_id].pop(0)
            rows.append({"id": c.copy_id, "account_id": c.account.id, "folder_id": folder_id,
                         "uid": uid, "modseq": modseq, "flags": " ".join(sorted(c.flags)),
                         "recent": True, "internal_date": now, "size": job.size,
                         "thread_id": thread_id, "sealed": c.sealed})
            events.append(MessageAdded(c.account.id, folder_id, uid, modseq))
        if new_threads:
            s.execute(insert(Thread), new_threads)
        if touched:
            s.execute(update(Thread).where(Thread.id.in_(touched))
                            .values(last_message_at=now))
        if new_refs:
            s.execute(insert(MessageRef), new_refs)
        if rows:  # an empty parameter list would run one INSERT of NULLs
            s.execute(insert(Message), rows)
        for job in batch:
            for c in job.copies:
                if c.account.is_patient and c.folder == "INBOX":
                    self.patient_rules.record_delivery(s, c.account, job.headers,
                                                       job.mail_from)
            if job.queue is not None:
                s.add(job.queue)
        return events

    def _reserve_uids(self, s: Session,
                      folder_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
        """Take n consecutive UIDs and mod-sequences per folder in one UPDATE each."""
        counts: dict[int, int] = {}
        for f in folder_ids:
            counts[f] = counts.get(f, 0) + 1
        out: dict[int, list[tuple[int, int]]] = {}
        for folder_id, n in counts.items():
            row = (s.execute(
                update(Folder).where(Folder.id == folder_id)
                .values(uidnext=Folder.uidnext + n, highestmodseq=Folder.highestmodseq + n)
                .returning(Folder.uidnext, Folder.highestmodseq)
                .execution_options(synchronize_session=False))).one()
            first_uid, first_mod = int(row[0]) - n, int(row[1]) - n + 1
            out[folder_id] = [(first_uid + i, first_mod + i) for i in range(n)]
        return out
