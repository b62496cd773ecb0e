"""The one mailbox seam: what every reader of mail (IMAP, the webmail) gets from the store.

A ``Mailbox`` is bound to ONE account when a login succeeds (``open_mailbox``): no method
takes an account id, so a front end cannot even name another account's folders or
messages.  Folder arguments are ``FolderInfo`` values obtained from this same mailbox; the
implementation re-checks that they belong to its account before touching the store, and a
copy id of another account is "not found", never "forbidden".

Only this module opens and seals message copies for a reader (the AAD rule of
``copy_aad`` and the off-loop threshold live here); front ends never decrypt, never write
rows, and learn about changes through ``subscribe()`` (the store's change events, in
process and across PostgreSQL nodes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from crypto import UnlockedKey, seal
from mailserver.store import (
    AccountInfo,
    FolderCounts,
    FolderInfo,
    MessageMeta,
    NotFound,
    Store,
    Subscription,
    copy_aad,
    new_id,
)

SEAL_IN_THREAD = 256 * 1024  # seal/open bigger messages off the event loop


class Mailbox(Protocol):
    """One account's mail, as a front end sees it."""

    @property
    def account_id(self) -> str: ...

    @property
    def account(self) -> AccountInfo: ...

    async def list_folders(self) -> list[FolderInfo]: ...

    async def get_folder(self, name: str) -> FolderInfo | None: ...

    async def create_folder(self, name: str, special_use: str | None = None) -> FolderInfo: ...

    async def delete_folder(self, name: str) -> None: ...

    async def rename_folder(self, old: str, new: str) -> None: ...

    async def set_subscribed(self, name: str, subscribed: bool) -> None: ...

    async def folder_counts(self, folder: FolderInfo) -> FolderCounts: ...

    async def message_counts(self) -> dict[int, FolderCounts]: ...

    async def list_messages(self, folder: FolderInfo, since_uid: int = 0
                            ) -> list[MessageMeta]: ...

    async def find(self, copy_id: str) -> MessageMeta | None: ...

    async def thread(self, thread_id: str) -> list[MessageMeta]: ...

    async def read_message(self, meta: MessageMeta) -> bytes: ...

    async def read_messages(self, ids: list[str]) -> dict[str, bytes]: ...

    async def append(self, folder: FolderInfo, raw: bytes, flags: Iterable[str],
                     internal_date: datetime | None) -> MessageMeta: ...

    async def store_flags(self, folder: FolderInfo, uids: Iterable[int], mode: str,
                          flags: Iterable[str], unchangedsince: int | None = None,
                          ) -> tuple[list[MessageMeta], list[int]]: ...

    async def expunge(self, folder: FolderInfo, uids: Iterable[int] | None = None
                      ) -> list[int]: ...

    async def copy(self, metas: list[MessageMeta], dest: FolderInfo
                   ) -> list[tuple[int, int]]: ...

    async def move(self, folder: FolderInfo, uids: Iterable[int], dest: FolderInfo
                   ) -> list[tuple[int, int]]: ...

    async def clear_recent(self, folder: FolderInfo) -> None: ...

    def subscribe(self) -> Subscription: ...


class StoreMailbox:
    """``Mailbox`` on the shared ``Store``, with the key the login unlocked."""

    __slots__ = ("_account", "_key", "_store")

    def __init__(self, store: Store, account: AccountInfo, key: UnlockedKey) -> None:
        self._store = store
        self._account = account
        self._key = key

    @property
    def account_id(self) -> str:
        return self._account.id

    @property
    def account(self) -> AccountInfo:
        return self._account

    def _own(self, folder: FolderInfo) -> int:
        if folder.account_id != self._account.id:
            raise NotFound("no such folder")
        return folder.id

    async def list_folders(self) -> list[FolderInfo]:
        return await self._store.list_folders(self._account.id)

    async def get_folder(self, name: str) -> FolderInfo | None:
        return await self._store.get_folder(self._account.id, name)

    async def create_folder(self, name: str, special_use: str | None = None) -> FolderInfo:
        return await self._store.create_folder(self._account.id, name, special_use)

    async def delete_folder(self, name: str) -> None:
        await self._store.delete_folder(self._account.id, name)

    async def rename_folder(self, old: str, new: str) -> None:
        await self._store.rename_folder(self._account.id, old, new)

    async def set_subscribed(self, name: str, subscribed: bool) -> None:
        await self._store.set_subscribed(self._account.id, name, subscribed)

    async def folder_counts(self, folder: FolderInfo) -> FolderCounts:
        return await self._store.folder_counts(self._own(folder))

    async def message_counts(self) -> dict[int, FolderCounts]:
        """``folder_counts`` of every folder, by folder id (one query)."""
        return await self._store.message_counts(self._account.id)

    async def list_messages(self, folder: FolderInfo, since_uid: int = 0
                            ) -> list[MessageMeta]:
        return await self._store.list_messages(self._own(folder), since_uid)

    async def find(self, copy_id: str) -> MessageMeta | None:
        """One of this account's copies by id (None for another account's id too)."""
        return await self._store.find_message(self._account.id, copy_id)

    async def thread(self, thread_id: str) -> list[MessageMeta]:
        """This account's copies of one conversation, every folder, oldest first."""
        return await self._store.list_thread(self._account.id, thread_id)

    async def read_message(self, meta: MessageMeta) -> bytes:
        """Decrypt one copy (never written anywhere; the caller may cache it in memory)."""
        blob = await self._store.get_sealed(self._account.id, meta.id)
        aad = copy_aad(self._account.id, meta.id)
        if len(blob) > SEAL_IN_THREAD:
            return await asyncio.to_thread(self._key.open, blob, aad)
        return self._key.open(blob, aad)

    async def read_messages(self, ids: list[str]) -> dict[str, bytes]:
        """Decrypt many copies, one query per 500 (only this account's; missing ones are
        left out: expunged meanwhile)."""
        blobs = await self._store.get_sealed_many(self._account.id, ids)
        out: dict[str, bytes] = {}
        big: list[tuple[str, bytes]] = []
        for copy_id, blob in blobs.items():
            if len(blob) > SEAL_IN_THREAD:
                big.append((copy_id, blob))
            else:
                out[copy_id] = self._key.open(blob, copy_aad(self._account.id, copy_id))
        for copy_id, blob in big:
            out[copy_id] = await asyncio.to_thread(self._key.open, blob,
                                                   copy_aad(self._account.id, copy_id))
        return out

    async def _seal(self, raw: bytes, copy_id: str) -> bytes:
        aad = copy_aad(self._account.id, copy_id)
        if len(raw) > SEAL_IN_THREAD:
            return await asyncio.to_thread(seal, self._account.public_key, raw, aad)
        return seal(self._account.public_key, raw, aad)

    async def append(self, folder: FolderInfo, raw: bytes, flags: Iterable[str],
                     internal_date: datetime | None) -> MessageMeta:
        copy_id = new_id()
        sealed = await self._seal(raw, copy_id)
        if internal_date is not None:  # stored as UTC (SQLite keeps no zone)
            internal_date = internal_date.astimezone(UTC)
        return await self._store.append(self._account.id, self._own(folder),
                                        message_id=copy_id, sealed=sealed, size=len(raw),
                                        internal_date=internal_date, flags=flags)

    async def store_flags(self, folder: FolderInfo, uids: Iterable[int], mode: str,
                          flags: Iterable[str], unchangedsince: int | None = None,
                          ) -> tuple[list[MessageMeta], list[int]]:
        return await self._store.store_flags(self._account.id, self._own(folder), uids, mode,
                                             flags, unchangedsince)

    async def expunge(self, folder: FolderInfo, uids: Iterable[int] | None = None
                      ) -> list[int]:
        return await self._store.expunge(self._account.id, self._own(folder), uids)

    async def copy(self, metas: list[MessageMeta], dest: FolderInfo
                   ) -> list[tuple[int, int]]:
        """COPY: each copy gets a new id, so it is opened and re-sealed; one transaction."""
        dest_id = self._own(dest)
        sealed: list[tuple[MessageMeta, str, bytes]] = []
        raws = await self.read_messages([m.id for m in metas])
        for meta in metas:
            raw = raws.get(meta.id)
            if raw is None:
                raise NotFound("no such message")
            copy_id = new_id()
            sealed.append((meta, copy_id, await self._seal(raw, copy_id)))
        return await self._store.copy(self._account.id, dest_id, sealed)

    async def move(self, folder: FolderInfo, uids: Iterable[int], dest: FolderInfo
                   ) -> list[tuple[int, int]]:
        return await self._store.move(self._account.id, self._own(folder), uids,
                                      self._own(dest))

    async def clear_recent(self, folder: FolderInfo) -> None:
        await self._store.clear_recent(self._own(folder))

    def subscribe(self) -> Subscription:
        return self._store.bus.subscribe(self._account.id)


def open_mailbox(store: Store, account: AccountInfo, key: UnlockedKey) -> Mailbox:
    """The mailbox of the account a login unlocked (``MailServices.open_mailbox``)."""
    return StoreMailbox(store, account, key)
