"""A small per-session cache of decrypted, parsed messages (memory only, bounded).

Nothing decrypted is ever written to disk; the cache is dropped when the session ends or
enters IDLE.
"""

from __future__ import annotations

from collections import OrderedDict

from .proto.mime import Part, parse_mime

MAX_ENTRIES = 16
MAX_BYTES = 8 * 1024 * 1024


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


class MessageCache:
    """LRU by copy id, bounded in entries and bytes."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._items: OrderedDict[str, CachedMessage] = OrderedDict()
        self._bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    def get(self, key: str) -> CachedMessage | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: str, raw: bytes) -> CachedMessage:
        item = CachedMessage(raw)
        if len(raw) > self.max_bytes:
            return item  # too big to keep
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= len(old.raw)
        self._items[key] = item
        self._bytes += len(raw)
        while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= len(dropped.raw)
        return item

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)
