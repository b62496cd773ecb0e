"""The mail store: accounts, folders and sealed message copies, on SQLAlchemy async.

Every write runs in one short transaction and publishes its change events only after the
commit. On SQLite, writes are serialised in-process and begin IMMEDIATE so a transaction
never has to upgrade a read lock (which SQLite cannot wait for).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, case, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, defer

from mailserver.store.engine import sqlite_sync_engine
from mailserver.store.events import (
    ChangeBus,
    ChangeEvent,
    FlagsChanged,
    FolderChanged,
    MessageAdded,
    MessagesExpunged,
)
from mailserver.store.models import (
    Account,
    AuditEvent,
    Domain,
    Folder,
    KeyWrap,
    Message,
    QueueEntry,
)
from mailserver.store.records import (
    SPECIAL_FOLDERS,
    AccountInfo,
    AlreadyExists,
    FolderCounts,
    FolderInfo,
    MessageMeta,
    NotFound,
    QueueInfo,
    StoreError,
    flags_from_text,
    flags_to_text,
)

ACCOUNT_CACHE_SECONDS = 5.0
T = TypeVar("T")


def account_info(a: Account) -> AccountInfo:
    return AccountInfo(id=a.id, address=a.address, kind=a.kind, display_name=a.display_name,
                       national_id_type=a.national_id_type, national_id=a.national_id,
                       state=a.state, liste_rouge=a.liste_rouge, public_key=a.public_key,
                       settings=dict(a.settings or {}), created_at=a.created_at)


def folder_info(f: Folder) -> FolderInfo:
    return FolderInfo(id=f.id, account_id=f.account_id, name=f.name, special_use=f.special_use,
                      uidvalidity=f.uidvalidity, uidnext=f.uidnext,
                      highestmodseq=f.highestmodseq, subscribed=f.subscribed)


def message_meta(m: Message) -> MessageMeta:
    return MessageMeta(id=m.id, folder_id=m.folder_id, uid=m.uid, modseq=m.modseq,
                       flags=flags_from_text(m.flags), internal_date=_aware(m.internal_date),
                       size=m.size, thread_id=m.thread_id, recent=m.recent)


def _aware(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Store:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], bus: ChangeBus | None = None,
                 ) -> None:
        self.sessions = sessions
        self.bus = bus or ChangeBus()
        self._sqlite = sessions.kw["bind"].dialect.name == "sqlite"
        self._write_lock = asyncio.Lock()
        self._account_cache: dict[str, tuple[float, AccountInfo | None]] = {}
        # SQLite: a synchronous engine on the same file, so that a whole write transaction
        # runs in one hop to a worker thread. Through the async driver, every statement
        # would wait for a busy event loop in between, while holding the write lock.
        self._sync_engine: Engine | None = None
        if self._sqlite:
            bind = sessions.kw["bind"]
            self._sync_engine = sqlite_sync_engine(bind.url.render_as_string(
                hide_password=False))

    def close(self) -> None:
        if self._sync_engine is not None:
            self._sync_engine.dispose()

    # -- transactions -------------------------------------------------------------------

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction, committed on exit (durably: see engine pragmas)."""
        if self._sqlite:
            async with self._write_lock, self.sessions() as session:
                await session.execute(text("BEGIN IMMEDIATE"))
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
        else:
            async with self.sessions() as session, session.begin():
                yield session

    async def run_write(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` as one write transaction, committed durably on return.

        `fn` is plain synchronous code. On SQLite it runs whole in a worker thread (one
        hop); on PostgreSQL through `AsyncSession.run_sync` on the async driver."""
        if self._sync_engine is not None:
            async with self._write_lock:
                return await asyncio.to_thread(self._run_in_thread, fn)
        async with self.sessions() as session, session.begin():
            return await session.run_sync(fn)

    def _run_in_thread(self, fn: Callable[[Session], T]) -> T:
        assert self._sync_engine is not None
        with Session(self._sync_engine) as s:
            s.execute(text("BEGIN IMMEDIATE"))
            try:
                result = fn(s)
                s.commit()
            except BaseException:
                s.rollback()
                raise
        return result

    async def publish(self, events: list[ChangeEvent]) -> None:
        await self.bus.publish(events)

    # -- domains ------------------------------------------------------------------------

    async def add_domain(self, name: str, kind: str = "professional") -> None:
        if kind not in ("professional", "patient"):
            raise StoreError(f"unknown domain kind {kind!r}")
        try:
            async with self.write() as s:
                s.add(Domain(name=name.lower(), kind=kind))
        except IntegrityError:
            raise AlreadyExists(f"domain {name} already exists") from None

    async def list_domains(self) -> list[tuple[str, str]]:
        async with self.read() as s:
            rows = await s.execute(select(Domain.name, Domain.kind).order_by(Domain.name))
            return [(r[0], r[1]) for r in rows]

    async def domain_kind(self, name: str) -> str | None:
        async with self.read() as s:
            kind: str | None = await s.scalar(
                select(Domain.kind).where(Domain.name == name.lower()))
            return kind

    # -- accounts -----------------------------------------------------------------------

    async def create_account(self, address: str, kind: str, *, public_key: bytes,
                             wraps: dict[str, bytes], display_name: str = "",
                             national_id_type: str | None = None,
                             national_id: str | None = None, liste_rouge: bool = False,
                             settings: dict[str, Any] | None = None,
                             account_id: str | None = None) -> AccountInfo:
        """Create the account, its key wraps and its INBOX and special-use folders."""
        address = address.lower()
        self.forget_account(address)
        domain_name = address.rpartition("@")[2]
        try:
            async with self.write() as s:
                dom = await s.scalar(select(Domain).where(Domain.name == domain_name))
                if dom is None:
                    raise NotFound(f"domain {domain_name} is not hosted here")
                acc = Account(address=address, domain_id=dom.id, kind=kind,
                              display_name=display_name, national_id_type=national_id_type,
                              national_id=national_id, liste_rouge=liste_rouge,
                              public_key=public_key, settings=settings or {})
                if account_id:
                    acc.id = account_id
                s.add(acc)
                await s.flush()
                for wkind, blob in wraps.items():
                    s.add(KeyWrap(account_id=acc.id, kind=wkind, blob=blob))
                base = int(time.time())
                for i, (name, use) in enumerate([("INBOX", None), *SPECIAL_FOLDERS]):
                    s.add(Folder(account_id=acc.id, name=name, special_use=use,
                                 uidvalidity=base + i, uidnext=1, highestmodseq=1,
                                 subscribed=True))
                s.add(AuditEvent(account_id=acc.id, action="account.create",
                                 detail={"kind": kind}))
                info = account_info(acc)
        except IntegrityError:
            raise AlreadyExists(f"account {address} already exists") from None
        return info

    async def get_account(self, address: str) -> AccountInfo | None:
        async with self.read() as s:
            acc = await s.scalar(select(Account).where(Account.address == address.lower()))
            return account_info(acc) if acc else None

    async def lookup_account(self, address: str) -> AccountInfo | None:
        """`get_account` for the hot paths of the protocols (every RCPT), cached for
        ACCOUNT_CACHE_SECONDS. State changes made in this process apply at once; made by
        another process (the CLI), within that delay."""
        key = address.lower()
        now = time.monotonic()
        hit = self._account_cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        info = await self.get_account(key)
        if len(self._account_cache) > 10000:
            self._account_cache.clear()
        self._account_cache[key] = (now + ACCOUNT_CACHE_SECONDS, info)
        return info

    def forget_account(self, address: str) -> None:
        self._account_cache.pop(address.lower(), None)

    async def get_account_by_id(self, account_id: str) -> AccountInfo | None:
        async with self.read() as s:
            acc = await s.get(Account, account_id)
            return account_info(acc) if acc else None

    async def list_accounts(self) -> list[AccountInfo]:
        async with self.read() as s:
            rows = await s.scalars(select(Account).order_by(Account.address))
            return [account_info(a) for a in rows]

    async def set_account_state(self, address: str, state: str) -> AccountInfo:
        async with self.write() as s:
            acc = await s.scalar(select(Account).where(Account.address == address.lower()))
            if acc is None:
                raise NotFound(f"no account {address}")
            if acc.state == "closed" and state != "closed":
                raise StoreError("a closed account cannot be reopened")
            old = acc.state
            self.forget_account(address)
            acc.state = state
            acc.state_changed_at = datetime.now(UTC)
            s.add(AuditEvent(account_id=acc.id, action="account.state",
                             detail={"from": old, "to": state}))
            return account_info(acc)

    async def update_account_settings(self, account_id: str, **changes: Any) -> None:
        async with self.write() as s:
            acc = await s.get(Account, account_id)
            if acc is None:
                raise NotFound("no such account")
            acc.settings = {**(acc.settings or {}), **changes}

    async def get_wrap(self, account_id: str, kind: str, label: str = "") -> bytes | None:
        async with self.read() as s:
            blob: bytes | None = await s.scalar(select(KeyWrap.blob).where(
                KeyWrap.account_id == account_id, KeyWrap.kind == kind, KeyWrap.label == label))
            return blob

    async def set_wrap(self, account_id: str, kind: str, blob: bytes, label: str = "") -> None:
        async with self.write() as s:
            row = await s.scalar(select(KeyWrap).where(
                KeyWrap.account_id == account_id, KeyWrap.kind == kind, KeyWrap.label == label))
            if row is None:
                s.add(KeyWrap(account_id=account_id, kind=kind, label=label, blob=blob))
            else:
                row.blob = blob
                row.created_at = datetime.now(UTC)
            s.add(AuditEvent(account_id=account_id, action=f"key.wrap.{kind}", detail={}))

    async def audit(self, action: str, *, account_id: str | None = None, peer: str | None = None,
                    detail: dict[str, Any] | None = None) -> None:
        event = AuditEvent(account_id=account_id, action=action, peer=peer, detail=detail or {})
        await self.run_write(lambda s: s.add(event))

    # -- folders ------------------------------------------------------------------------

    async def list_folders(self, account_id: str) -> list[FolderInfo]:
        async with self.read() as s:
            rows = await s.scalars(select(Folder).where(Folder.account_id == account_id)
                                   .order_by(Folder.name))
            return [folder_info(f) for f in rows]

    async def get_folder(self, account_id: str, name: str) -> FolderInfo | None:
        async with self.read() as s:
            f = await s.scalar(select(Folder).where(Folder.account_id == account_id,
                                                    Folder.name == _norm(name)))
            return folder_info(f) if f else None

    async def get_folder_by_id(self, account_id: str, folder_id: int) -> FolderInfo | None:
        async with self.read() as s:
            f = await s.get(Folder, folder_id)
            return folder_info(f) if f and f.account_id == account_id else None

    async def create_folder(self, account_id: str, name: str,
                            special_use: str | None = None) -> FolderInfo:
        name = _norm(name)
        try:
            async with self.write() as s:
                f = Folder(account_id=account_id, name=name, special_use=special_use,
                           uidvalidity=await _next_uidvalidity(s, account_id), uidnext=1,
                           highestmodseq=1, subscribed=True)
                s.add(f)
                await s.flush()
                info = folder_info(f)
        except IntegrityError:
            raise AlreadyExists(f"folder {name} already exists") from None
        await self.publish([FolderChanged(account_id, "created", name)])
        return info

    async def delete_folder(self, account_id: str, name: str) -> None:
        name = _norm(name)
        if name == "INBOX":
            raise StoreError("INBOX cannot be deleted")
        async with self.write() as s:
            f = await s.scalar(select(Folder).where(Folder.account_id == account_id,
                                                    Folder.name == name))
            if f is None:
                raise NotFound(f"no folder {name}")
            folder_id = f.id
            doomed = (await s.execute(select(Message.uid, Message.id)
                                      .where(Message.folder_id == f.id)
                                      .order_by(Message.uid))).all()
            await s.execute(delete(Message).where(Message.folder_id == f.id))
            await s.delete(f)
        events: list[ChangeEvent] = []
        if doomed:  # the copies are destroyed: caches drop them
            events.append(MessagesExpunged(account_id, folder_id, tuple(r[0] for r in doomed),
                                           0, tuple(r[1] for r in doomed)))
        events.append(FolderChanged(account_id, "deleted", name))
        await self.publish(events)

    async def rename_folder(self, account_id: str, old: str, new: str) -> None:
        """Rename a folder and its children; renaming INBOX moves its messages (RFC 3501)."""
        old, new = _norm(old), _norm(new)
        events: list[ChangeEvent] = []
        try:
            async with self.write() as s:
                rows = list(await s.scalars(select(Folder).where(Folder.account_id == account_id)))
                by_name = {f.name: f for f in rows}
                if old not in by_name:
                    raise NotFound(f"no folder {old}")
                if new in by_name:
                    raise AlreadyExists(f"folder {new} already exists")
                if old == "INBOX":
                    await self._move_inbox(s, account_id, by_name["INBOX"], new, events)
                else:
                    for f in rows:
                        if f.name == old or f.name.startswith(old + "/"):
                            f.name = new + f.name[len(old):]  # UIDVALIDITY survives
        except IntegrityError:
            raise AlreadyExists(f"folder {new} already exists") from None
        events.append(FolderChanged(account_id, "renamed", old, new))
        await self.publish(events)

    async def _move_inbox(self, s: AsyncSession, account_id: str, inbox: Folder, new: str,
                          events: list[ChangeEvent]) -> None:
        dest = Folder(account_id=account_id, name=new,
                      uidvalidity=await _next_uidvalidity(s, account_id), uidnext=1,
                      highestmodseq=1, subscribed=True)
        s.add(dest)
        await s.flush()
        msgs = list(await s.scalars(select(Message).where(Message.folder_id == inbox.id)
                                    .order_by(Message.uid)))
        for m in msgs:
            uid, modseq = await s.run_sync(lambda ss: _allocate(ss, dest.id))
            m.folder_id, m.uid, m.modseq = dest.id, uid, modseq
        if msgs:
            events.append(MessagesExpunged(account_id, inbox.id, tuple(m.uid for m in msgs)))

    async def set_subscribed(self, account_id: str, name: str, subscribed: bool) -> None:
        async with self.write() as s:
            res = await s.execute(update(Folder).where(Folder.account_id == account_id,
                                                       Folder.name == _norm(name))
                                  .values(subscribed=subscribed))
            if res.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"no folder {name}")

    async def folder_counts(self, folder_id: int) -> FolderCounts:
        async with self.read() as s:
            f = await s.get(Folder, folder_id)
            if f is None:
                raise NotFound("folder vanished")
            total, recent, seen = (await s.execute(select(
                func.count(Message.id),
                func.coalesce(func.sum(case((Message.recent.is_(True), 1), else_=0)), 0),
                func.coalesce(func.sum(case((Message.flags.contains("\\Seen"), 1),
                                            else_=0)), 0),
            ).where(Message.folder_id == folder_id))).one()
            return FolderCounts(messages=int(total), recent=int(recent),
                                unseen=int(total) - int(seen), uidnext=f.uidnext,
                                uidvalidity=f.uidvalidity, highestmodseq=f.highestmodseq)

    async def message_counts(self, account_id: str) -> dict[int, FolderCounts]:
        """``folder_counts`` of every folder of an account, in one query (LIST-STATUS)."""
        async with self.read() as s:
            rows = await s.execute(select(
                Folder.id, Folder.uidnext, Folder.uidvalidity, Folder.highestmodseq,
                func.count(Message.id),
                func.coalesce(func.sum(case((Message.recent.is_(True), 1), else_=0)), 0),
                func.coalesce(func.sum(case((Message.flags.contains("\\Seen"), 1),
                                            else_=0)), 0),
            ).select_from(Folder).outerjoin(Message, Message.folder_id == Folder.id)
                .where(Folder.account_id == account_id)
                .group_by(Folder.id, Folder.uidnext, Folder.uidvalidity, Folder.highestmodseq))
            return {r[0]: FolderCounts(messages=int(r[4]), recent=int(r[5]),
                                       unseen=int(r[4]) - int(r[6]), uidnext=r[1],
                                       uidvalidity=r[2], highestmodseq=r[3]) for r in rows}

    # -- messages -----------------------------------------------------------------------

    async def list_messages(self, folder_id: int, since_uid: int = 0) -> list[MessageMeta]:
        """Metadata of a folder's copies in UID order (only UIDs above `since_uid`)."""
        async with self.read() as s:
            rows = await s.execute(select(
                Message.id, Message.folder_id, Message.uid, Message.modseq, Message.flags,
                Message.internal_date, Message.size, Message.thread_id, Message.recent)
                .where(Message.folder_id == folder_id, Message.uid > since_uid)
                .order_by(Message.uid))
            return [MessageMeta(id=r[0], folder_id=r[1], uid=r[2], modseq=r[3],
                                flags=flags_from_text(r[4]), internal_date=_aware(r[5]),
                                size=r[6], thread_id=r[7], recent=r[8]) for r in rows]

    async def find_message(self, account_id: str, message_id: str) -> MessageMeta | None:
        """One copy's metadata, only if it is this account's."""
        async with self.read() as s:
            row = await s.scalar(select(Message).options(defer(Message.sealed)).where(
                Message.id == message_id, Message.account_id == account_id))
            return message_meta(row) if row is not None else None

    async def list_thread(self, account_id: str, thread_id: str) -> list[MessageMeta]:
        """This account's copies in one thread, every folder, in arrival order."""
        async with self.read() as s:
            rows = await s.scalars(select(Message).options(defer(Message.sealed)).where(
                Message.account_id == account_id, Message.thread_id == thread_id)
                .order_by(Message.internal_date, Message.uid))
            return [message_meta(m) for m in rows]

    async def get_sealed(self, account_id: str, message_id: str) -> bytes:
        """The sealed blob of one copy; only ever one of this account's."""
        async with self.read() as s:
            blob: bytes | None = await s.scalar(select(Message.sealed).where(
                Message.id == message_id, Message.account_id == account_id))
        if blob is None:
            raise NotFound("no such message")
        return blob

    async def get_sealed_many(self, account_id: str,
                              message_ids: list[str]) -> dict[str, bytes]:
        """Sealed blobs of many copies in one query (only this account's rows)."""
        out: dict[str, bytes] = {}
        for i in range(0, len(message_ids), 500):
            chunk = message_ids[i:i + 500]
            async with self.read() as s:
                rows = await s.execute(select(Message.id, Message.sealed).where(
                    Message.account_id == account_id, Message.id.in_(chunk)))
                out.update({r[0]: r[1] for r in rows})
        return out

    async def append(self, account_id: str, folder_id: int, *, message_id: str, sealed: bytes,
                     size: int, internal_date: datetime | None = None,
                     flags: Iterable[str] = (), thread_id: str | None = None,
                     recent: bool = True) -> MessageMeta:
        meta = await self.run_write(lambda s: add_message_sync(
            s, account_id, folder_id, message_id=message_id, sealed=sealed, size=size,
            internal_date=internal_date, flags=flags, thread_id=thread_id, recent=recent))
        await self.publish([MessageAdded(account_id, folder_id, meta.uid, meta.modseq)])
        return meta

    async def store_flags(self, account_id: str, folder_id: int, uids: Iterable[int],
                          mode: str, flags: Iterable[str],
                          unchangedsince: int | None = None,
                          ) -> tuple[list[MessageMeta], list[int]]:
        """Change flags; mode is add, remove or replace. Returns (changed, refused uids)."""
        wanted = frozenset(flags)
        uid_list = sorted(set(uids))

        def work(s: Session) -> tuple[list[MessageMeta], list[int]]:
            changed: list[MessageMeta] = []
            refused: list[int] = []
            f = _own_folder(s, account_id, folder_id)
            msgs = [] if not uid_list else list(s.scalars(
                select(Message).where(Message.folder_id == f.id, Message.uid.in_(uid_list))
                .order_by(Message.uid)))
            for m in msgs:
                old = flags_from_text(m.flags)
                new = old | wanted if mode == "add" else (
                    old - wanted if mode == "remove" else wanted)
                if unchangedsince is not None and m.modseq > unchangedsince:
                    refused.append(m.uid)
                    continue
                if new == old:
                    continue
                f.highestmodseq += 1
                m.flags, m.modseq = flags_to_text(new), f.highestmodseq
                changed.append(message_meta(m))
            return changed, refused

        changed, refused = await self.run_write(work)
        await self.publish([FlagsChanged(account_id, folder_id, m.uid, m.modseq,
                                         tuple(sorted(m.flags))) for m in changed])
        return changed, refused

    async def expunge(self, account_id: str, folder_id: int,
                      uids: Iterable[int] | None = None) -> list[int]:
        """Remove the \\Deleted messages (only those in `uids` when given)."""
        only = None if uids is None else set(uids)

        def work(s: Session) -> tuple[list[tuple[int, str]], int]:
            f = _own_folder(s, account_id, folder_id)
            rows = s.execute(select(Message.uid, Message.id, Message.flags).where(
                Message.folder_id == f.id, Message.flags.contains("\\Deleted"))).all()
            # contains() is a substring test: confirm the exact flag.
            gone = sorted((u, i) for u, i, fl in rows if "\\Deleted" in flags_from_text(fl)
                          and (only is None or u in only))
            if not gone:
                return gone, 0
            s.execute(delete(Message).where(Message.folder_id == f.id,
                                            Message.uid.in_([u for u, _ in gone])))
            f.highestmodseq += 1
            return gone, f.highestmodseq

        gone, modseq = await self.run_write(work)
        if gone:
            await self.publish([MessagesExpunged(account_id, folder_id,
                                                 tuple(u for u, _ in gone), modseq,
                                                 tuple(i for _, i in gone))])
        return [u for u, _ in gone]

    async def move(self, account_id: str, src_folder_id: int, uids: Iterable[int],
                   dst_folder_id: int) -> list[tuple[int, int]]:
        """Move copies between two folders of one account (the seal stays valid)."""
        wanted = sorted(set(uids))

        def work(s: Session) -> list[tuple[int, int]]:
            pairs: list[tuple[int, int]] = []
            src = _own_folder(s, account_id, src_folder_id)
            dst = _own_folder(s, account_id, dst_folder_id)
            msgs = list(s.scalars(select(Message).where(
                Message.folder_id == src.id, Message.uid.in_(wanted)).order_by(Message.uid)))
            for m in msgs:
                uid, modseq = _allocate(s, dst.id)
                pairs.append((m.uid, uid))
                m.folder_id, m.uid, m.modseq, m.recent = dst.id, uid, modseq, True
            if msgs:
                s.execute(update(Folder).where(Folder.id == src.id)
                          .values(highestmodseq=Folder.highestmodseq + 1)
                          .execution_options(synchronize_session=False))
            return pairs

        pairs = await self.run_write(work)
        events: list[ChangeEvent] = []
        if pairs:
            events.append(MessagesExpunged(account_id, src_folder_id,
                                           tuple(p[0] for p in pairs)))
            events.extend(MessageAdded(account_id, dst_folder_id, p[1], 0) for p in pairs)
        await self.publish(events)
        return pairs

    async def copy(self, account_id: str, dest_folder_id: int,
                   items: Iterable[tuple[MessageMeta, str, bytes]]) -> list[tuple[int, int]]:
        """Add copies of messages to a folder in one transaction: each item is the source's
        metadata, the new copy's id and its blob (sealed by the caller for that id).
        Returns (source uid, new uid) pairs."""
        todo = list(items)

        def work(s: Session) -> list[MessageMeta]:
            return [add_message_sync(s, account_id, dest_folder_id, message_id=copy_id,
                                     sealed=blob, size=meta.size,
                                     internal_date=meta.internal_date, flags=meta.flags,
                                     thread_id=meta.thread_id)
                    for meta, copy_id, blob in todo]

        news = await self.run_write(work)
        await self.publish([MessageAdded(account_id, dest_folder_id, n.uid, n.modseq)
                            for n in news])
        return [(meta.uid, n.uid) for (meta, _, _), n in zip(todo, news, strict=True)]

    async def clear_recent(self, folder_id: int) -> None:
        await self.run_write(lambda s: s.execute(
            update(Message).where(Message.folder_id == folder_id, Message.recent.is_(True))
            .values(recent=False)))


# Account setting: the highest UIDVALIDITY ever given in this account, deleted folders
# included, so a name deleted and created again never gets its old value back (RFC 3501
# §2.3.1.1) even within the same second.
UIDVALIDITY_FLOOR = "uidvalidity_floor"


async def _next_uidvalidity(s: AsyncSession, account_id: str) -> int:
    acc = await s.get(Account, account_id, with_for_update=True)
    last = await s.scalar(select(func.max(Folder.uidvalidity))
                          .where(Folder.account_id == account_id)) or 0
    floor = int((acc.settings or {}).get(UIDVALIDITY_FLOOR, 0)) if acc is not None else 0
    value = max(int(time.time()), last + 1, floor + 1)
    if acc is not None:
        acc.settings = {**(acc.settings or {}), UIDVALIDITY_FLOOR: value}
    return value


def _norm(name: str) -> str:
    return "INBOX" if name.upper() == "INBOX" else name


def _own_folder(s: Session, account_id: str, folder_id: int) -> Folder:
    f = s.get(Folder, folder_id)
    if f is None or f.account_id != account_id:
        raise NotFound("no such folder")
    return f


def _allocate(s: Session, folder_id: int) -> tuple[int, int]:
    """Take the next UID and mod-sequence of a folder atomically (row-locking UPDATE)."""
    row = (s.execute(
        update(Folder).where(Folder.id == folder_id)
        .values(uidnext=Folder.uidnext + 1, highestmodseq=Folder.highestmodseq + 1)
        .returning(Folder.uidnext, Folder.highestmodseq)
        .execution_options(synchronize_session=False))).one()
    return int(row[0]) - 1, int(row[1])


def add_message_sync(s: Session, account_id: str, folder_id: int, *, message_id: str,
                     sealed: bytes, size: int, internal_date: datetime | None = None,
                     flags: Iterable[str] = (), thread_id: str | None = None,
                     recent: bool = True) -> MessageMeta:
    """Insert one sealed copy inside the caller's transaction."""
    f = _own_folder(s, account_id, folder_id)
    uid, modseq = _allocate(s, f.id)
    m = Message(id=message_id, account_id=account_id, folder_id=f.id, uid=uid, modseq=modseq,
                flags=flags_to_text(frozenset(flags)), recent=recent,
                internal_date=internal_date or datetime.now(UTC), size=size,
                thread_id=thread_id, sealed=sealed)
    s.add(m)
    s.flush()
    return message_meta(m)


async def list_queue(store: Store, status: str | None = None) -> list[QueueInfo]:
    """Outbound queue entries, oldest first (no message content)."""
    async with store.read() as s:
        q = select(QueueEntry).order_by(QueueEntry.created_at)
        if status:
            q = q.where(QueueEntry.status == status)
        return [QueueInfo(id=e.id, sender=e.sender, recipients=list(e.recipients),
                          size=e.size, status=e.status, attempts=e.attempts,
                          created_at=_aware(e.created_at),
                          next_attempt_at=_aware(e.next_attempt_at),
                          last_error=e.last_error, params=dict(e.params or {}))
                for e in await s.scalars(q)]
