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
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from mailserver.store import Store
from mailserver.store.models import QueueEntry

LEASE = timedelta(hours=1)
QUEUED, SENDING, DELIVERED, FAILED = "queued", "sending", "delivered", "failed"


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


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


async def claim_due(store: Store, node_id: str, limit: int,
                    now: datetime | None = None) -> list[Claim]:
    if limit <= 0:
        return []
    now = now or utcnow()
    async with store.write() as s:
        q = (select(QueueEntry)
             .where(QueueEntry.status.in_((QUEUED, SENDING)),
                    QueueEntry.next_attempt_at <= now)
             .order_by(QueueEntry.next_attempt_at).limit(limit))
        if s.bind.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        rows = list(await s.scalars(q))
        claims = []
        for e in rows:
            params = dict(e.params or {})
            params["claim"] = node_id
            e.params = params
            e.status = SENDING
            e.next_attempt_at = now + LEASE
            claims.append(Claim(id=e.id, sender=e.sender,
                                recipients=[dict(r) for r in e.recipients], sealed=e.sealed,
                                size=e.size, params=params, attempts=e.attempts,
                                created_at=aware(e.created_at),
                                delay_notified=e.delay_notified))
        return claims


async def release_own_claims(store: Store, node_id: str, *, everyone: bool = False) -> int:
    """At start-up: entries this node was sending when it stopped become due again."""
    async with store.write() as s:
        rows = list(await s.scalars(select(QueueEntry).where(QueueEntry.status == SENDING)))
        n = 0
        for e in rows:
            if everyone or (e.params or {}).get("claim") == node_id:
                e.status = QUEUED
                e.next_attempt_at = utcnow()
                n += 1
        return n


async def save_recipients(store: Store, entry_id: str, node_id: str,
                          recipients: list[dict[str, Any]]) -> bool:
    """Commit per-recipient progress; False if the entry is no longer ours (deleted)."""
    async with store.write() as s:
        e = await s.get(QueueEntry, entry_id)
        if e is None or e.status != SENDING or (e.params or {}).get("claim") != node_id:
            return False
        e.recipients = [dict(r) for r in recipients]
        return True


async def finish(store: Store, entry_id: str, node_id: str, *, recipients: list[dict[str, Any]],
                 status: str, attempts: int, next_attempt_at: datetime,
                 last_error: str | None, delay_notified: bool, drop_content: bool) -> bool:
    async with store.write() as s:
        e = await s.get(QueueEntry, entry_id)
        if e is None or e.status != SENDING or (e.params or {}).get("claim") != node_id:
            return False
        params = dict(e.params or {})
        params.pop("claim", None)
        e.params = params
        e.recipients = [dict(r) for r in recipients]
        e.status = status
        e.attempts = attempts
        e.next_attempt_at = next_attempt_at
        e.last_error = last_error
        e.delay_notified = delay_notified
        if drop_content:
            e.sealed = b""
        return True


async def get_entry(store: Store, entry_id: str) -> QueueEntry | None:
    async with store.read() as s:
        q = select(QueueEntry).where(or_(QueueEntry.id == entry_id,
                                         QueueEntry.id.startswith(entry_id)))
        rows = list(await s.scalars(q.limit(2)))
        return rows[0] if len(rows) == 1 else None


async def retry_entry(store: Store, entry_id: str) -> str:
    """Make an entry due now; failed recipients are tried again. Returns the new status."""
    async with store.write() as s:
        e = await s.get(QueueEntry, entry_id)
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


async def delete_entry(store: Store, entry_id: str) -> None:
    async with store.write() as s:
        e = await s.get(QueueEntry, entry_id)
        if e is None:
            raise LookupError(entry_id)
        await s.delete(e)


async def counts(store: Store) -> dict[str, int]:
    from sqlalchemy import func

    async with store.read() as s:
        rows = await s.execute(select(QueueEntry.status, func.count()).group_by(
            QueueEntry.status))
        return {r[0]: int(r[1]) for r in rows}


__all__ = ["Claim", "claim_due", "counts", "delete_entry", "finish", "get_entry",
           "release_own_claims", "retry_entry", "save_recipients", "update"]
