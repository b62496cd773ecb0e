"""Decrypted, parsed messages in memory, shared by one account's sessions (bounded LRU).

Nothing decrypted is ever written to disk.  One ``MessageCache`` per logged-in account in
this process, keyed by the account id: a session only ever gets the cache of the account
its login unlocked (``AccountCaches.acquire``; the IMAP listeners own one ``AccountCaches``
and hand it to each session), and the cache is dropped when the last
session of that account logs out.  Entries are keyed by copy id; a copy's content never
changes (its seal binds the copy id), so only flags (kept in the session's view, never
here) can change, and destroyed copies are evicted when a session of the account receives
the ``MessagesExpunged`` event naming them (``Session.evict``).
"""

from __future__ import annotations

from collections import OrderedDict

from .proto.mime import Part, parse_mime

MAX_BYTES = 8 * 1024 * 1024  # per account
PARSED_OVERHEAD = 2  # a parsed message costs about twice its raw size (the MIME tree)


class CachedMessage:
    """Raw bytes of one message and its MIME tree, parsed on first use."""

    __slots__ = ("_part", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._part: Part | None = None

    @property
    def part(self) -> Part:
        if self._part is None:
            self._part = parse_mime(self.raw)
        return self._part

    @property
    def cost(self) -> int:
        return len(self.raw) * PARSED_OVERHEAD + 200


class MessageCache:
    """LRU by copy id, bounded in bytes (raw and parsed)."""

    __slots__ = ("_bytes", "_items", "max_bytes")

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._items: OrderedDict[str, CachedMessage] = OrderedDict()
        self._bytes = 0
        self.max_bytes = max_bytes

    def get(self, key: str) -> CachedMessage | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: str, raw: bytes) -> CachedMessage:
        item = CachedMessage(raw)
        if item.cost > self.max_bytes // 4:
            return item  # too big to keep: it would flush everything else
        self.discard(key)
        self._items[key] = item
        self._bytes += item.cost
        while self._bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= dropped.cost
        return item

    def discard(self, key: str) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old.cost

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    @property
    def size(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items


class AccountCaches:
    """One ``MessageCache`` per account with logged-in sessions (reference counted)."""

    __slots__ = ("_caches", "_users", "max_bytes")

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._caches: dict[str, MessageCache] = {}
        self._users: dict[str, int] = {}
        self.max_bytes = max_bytes

    def acquire(self, account_id: str) -> MessageCache:
        """The account's cache; call ``release`` once for each ``acquire``."""
        self._users[account_id] = self._users.get(account_id, 0) + 1
        cache = self._caches.get(account_id)
        if cache is None:
            cache = self._caches[account_id] = MessageCache(self.max_bytes)
        return cache

    def release(self, account_id: str) -> None:
        left = self._users.get(account_id, 0) - 1
        if left > 0:
            self._users[account_id] = left
            return
        self._users.pop(account_id, None)
        cache = self._caches.pop(account_id, None)
        if cache is not None:
            cache.clear()

    def peek(self, account_id: str) -> MessageCache | None:
        """The account's cache if some session holds it (tests, eviction)."""
        return self._caches.get(account_id)

    def __len__(self) -> int:
        return len(self._caches)

