"""Webmail sessions in the store: create, resume, touch, end.

Invariant: a session is live only while it is younger than the absolute lifetime, was used
within the idle timeout, its account is active, and the account's password wrap has not
changed since the login (a password change or a recovery ends every session). The row
holds only a digest of the cookie's session id and the key sealed under the cookie's
secret; nothing here can open the mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update

from mailserver.store.models import Account, KeyWrap, WebSession
from mailserver.store.records import AccountInfo
from mailserver.store.store import Store, account_info

# Writing last_seen on every request would put a durable write on every page view; a
# minute of slack on a 30-minute idle timeout is harmless.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class WebSessionRecord:
    id: str
    account_id: str
    sealed_key: bytes
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _record(row: WebSession) -> WebSessionRecord:
    return WebSessionRecord(id=row.id, account_id=row.account_id, sealed_key=row.sealed_key,
                            created_at=_aware(row.created_at),
                            last_seen_at=_aware(row.last_seen_at))


class WebSessionStore:
    """The `web_session` table, reached only through the Store's transactions."""

    def __init__(self, store: Store, lifetimes: Lifetimes) -> None:
        self.store = store
        self.lifetimes = lifetimes

    async def create(self, session_id: str, account_id: str, sealed_key: bytes) -> None:
        now = datetime.now(UTC)
        row = WebSession(id=session_id, account_id=account_id, sealed_key=sealed_key,
                         created_at=now, last_seen_at=now)
        async with self.store.write() as s:
            s.add(row)

    async def resume(self, session_id: str) -> tuple[WebSessionRecord, AccountInfo] | None:
        """The live session with this id and its account, touched; None (and the row
        deleted) otherwise."""
        async with self.store.read() as s:
            found = (await s.execute(
                select(WebSession, Account, KeyWrap.created_at)
                .join(Account, Account.id == WebSession.account_id)
                .outerjoin(KeyWrap, (KeyWrap.account_id == WebSession.account_id)
                           & (KeyWrap.kind == "password") & (KeyWrap.label == ""))
                .where(WebSession.id == session_id))).first()
        if found is None:
            return None
        row, account, wrapped_at = found
        record, info = _record(row), account_info(account)
        now = datetime.now(UTC)
        if info.state != "active" or not self._within_lifetimes(record, now) or (
                wrapped_at is not None and _aware(wrapped_at) > record.created_at):
            await self.delete(session_id)
            return None
        if now - record.last_seen_at >= TOUCH_EVERY:
            async with self.store.write() as s:
                await s.execute(update(WebSession).where(WebSession.id == session_id)
                                .values(last_seen_at=now))
        return record, info

    async def alive(self, session_id: str) -> bool:
        """Is this session still live? Unlike ``resume`` it does not count as activity:
        an open live-update stream does not keep an unattended session from idling out."""
        async with self.store.read() as s:
            row = await s.get(WebSession, session_id)
            return row is not None and self._within_lifetimes(_record(row), datetime.now(UTC))

    def _within_lifetimes(self, record: WebSessionRecord, now: datetime) -> bool:
        return (now - record.created_at < self.lifetimes.absolute
                and now - record.last_seen_at < self.lifetimes.idle)

    async def delete(self, session_id: str) -> None:
        async with self.store.write() as s:
            await s.execute(delete(WebSession).where(WebSession.id == session_id))

    async def delete_account(self, account_id: str) -> int:
        """End every session of an account (password change, suspension)."""
        async with self.store.write() as s:
            result = await s.execute(delete(WebSession)
                                     .where(WebSession.account_id == account_id))
            return int(getattr(result, "rowcount", 0) or 0)

    async def purge_expired(self) -> int:
        now = datetime.now(UTC)
        async with self.store.write() as s:
            result = await s.execute(delete(WebSession).where(or_(
                WebSession.created_at <= now - self.lifetimes.absolute,
                WebSession.last_seen_at <= now - self.lifetimes.idle)))
            return int(getattr(result, "rowcount", 0) or 0)

    async def count_for(self, account_id: str) -> int:
        async with self.store.read() as s:
            rows = await s.scalars(select(WebSession.id)
                                   .where(WebSession.account_id == account_id))
            return len(list(rows))
