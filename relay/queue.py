"""The outbound queue as the relay sees it: claim due entries, record progress.

An entry is claimed by setting ``status = "sending"`` with a lease in ``next_attempt_at``
and the node's id in ``params["claim"]``. On PostgreSQL the claim reads the due rows
``FOR UPDATE SKIP LOCKED``, so workers on several nodes never claim the same entry. On SQLite
the store serialises writes (one node per database file). A node that dies leaves its claims
behind: it takes them back when it starts again, and any node takes them once the lease is
over.

Recipient progress is committed right after the peer's reply, so a crash never makes the
relay send again what a peer already confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailserver.store import Store
from mailserver.store.models import QueueEntry, utcnow
from mailserver.store.store import _aware as aware

LEASE = timedelta(hours=1)
QUEUED, SENDING, DELIVERED, FAILED = "queued", "sending", "delivered", "failed"


@dataclass
class Claim:
    id: str
    sender: str
    recipients: list[dict[str, Any]]
    sealed: bytes
    size: int
    params: dict[str, Any]
    attempts: int
    created_at: datetime
    delay_notified: bool


def _due(now: datetime) -> tuple[Any, ...]:
    return (QueueEntry.status.in_((QUEUED, SENDING)), QueueEntry.next_attempt_at <= now)


async def claim_due(store: Store, node_id: str, limit: int,
                    now: datetime | None = None) -> list[Claim]:
    if limit <= 0:
        return []
    when = now or utcnow()
    # Polled every few seconds: most polls find nothing, and a read does not compete with
    # delivery for SQLite's write lock.
    async with store.read() as s:
        if (await s.scalar(select(QueueEntry.id).where(*_due(when)).limit(1))) is None:
            return []

    def claim(s: Session) -> list[Claim]:
        q = (select(QueueEntry).where(*_due(when))
             .order_by(QueueEntry.next_attempt_at).limit(limit))
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        claims = []
        for e in s.scalars(q):
            params = dict(e.params or {})
            params["claim"] = node_id
            e.params = params
            e.status = SENDING
            e.next_attempt_at = when + LEASE
            claims.append(Claim(id=e.id, sender=e.sender,
                                recipients=[dict(r) for r in e.recipients], sealed=e.sealed,
                                size=e.size, params=params, attempts=e.attempts,
                                created_at=aware(e.created_at),
                                delay_notified=e.delay_notified))
        return claims

    return await store.run_write(claim)


async def release_own_claims(store: Store, node_id: str, *, everyone: bool = False) -> int:
    """At start-up: entries this node was sending when it stopped become due again."""
    def release(s: Session) -> int:
        n = 0
        for e in s.scalars(select(QueueEntry).where(QueueEntry.status == SENDING)):
            if everyone or (e.params or {}).get("claim") == node_id:
                e.status = QUEUED
                e.next_attempt_at = utcnow()
                n += 1
        return n

    return await store.run_write(release)


def _own(s: Session, entry_id: str, node_id: str) -> QueueEntry | None:
    """The entry if this node still holds its claim (not deleted, not taken over)."""
    e = s.get(QueueEntry, entry_id)
    if e is None or e.status != SENDING or (e.params or {}).get("claim") != node_id:
        return None
    return e


async def save_recipients(store: Store, entry_id: str, node_id: str,
                          recipients: list[dict[str, Any]]) -> bool:
    """Commit per-recipient progress; False if the entry is no longer ours (deleted)."""
    copy = [dict(r) for r in recipients]

    def save(s: Session) -> bool:
        e = _own(s, entry_id, node_id)
        if e is None:
            return False
        e.recipients = copy
        return True

    return await store.run_write(save)


async def finish(store: Store, entry_id: str, node_id: str, *, recipients: list[dict[str, Any]],
                 status: str, attempts: int, next_attempt_at: datetime,
                 last_error: str | None, delay_notified: bool, drop_content: bool) -> bool:
    copy = [dict(r) for r in recipients]

    def done(s: Session) -> bool:
        e = _own(s, entry_id, node_id)
        if e is None:
            return False
        params = dict(e.params or {})
        params.pop("claim", None)
        e.params = params
        e.recipients = copy
        e.status = status
        e.attempts = attempts
        e.next_attempt_at = next_attempt_at
        e.last_error = last_error
        e.delay_notified = delay_notified
        if drop_content:
            e.sealed = b""
        return True

    return await store.run_write(done)


async def get_entry(store: Store, entry_id: str) -> QueueEntry | None:
    async with store.read() as s:
        q = select(QueueEntry).where(or_(QueueEntry.id == entry_id,
                                         QueueEntry.id.startswith(entry_id)))
        rows = list(await s.scalars(q.limit(2)))
        return rows[0] if len(rows) == 1 else None


async def retry_entry(store: Store, entry_id: str) -> str:
    """Make an entry due now; failed recipients are tried again. Returns the new status."""
    def retry(s: Session) -> str:
        e = s.get(QueueEntry, entry_id)
        if e is None:
            raise LookupError(entry_id)
        if e.status == SENDING:
            raise ValueError("entry is being sent right now")
        if not e.sealed:
            raise ValueError("entry was delivered; its content is gone")
        recips = []
        for r in e.recipients:
            r = dict(r)
            if r.get("status") == "failed":
                r["status"] = QUEUED
                r.pop("dsn", None)
            recips.append(r)
        if not any(r.get("status") == QUEUED for r in recips):
            raise ValueError("nothing left to send for this entry")
        e.recipients = recips
        e.status = QUEUED
        e.next_attempt_at = utcnow()
        return e.status

    return await store.run_write(retry)


async def delete_entry(store: Store, entry_id: str) -> None:
    """Remove an entry; refused (ValueError) while a worker is sending it."""
    def delete(s: Session) -> None:
        e = s.get(QueueEntry, entry_id)
        if e is None:
            raise LookupError(entry_id)
        if e.status == SENDING:
            raise ValueError("entry is being sent right now; try again in a moment")
        s.delete(e)

    await store.run_write(delete)


__all__ = ["Claim", "aware", "claim_due", "delete_entry", "finish", "get_entry",
           "release_own_claims", "retry_entry", "save_recipients", "utcnow"]
