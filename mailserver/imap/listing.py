"""LIST / LSUB matching (RFC 3501 §6.3.8-9, RFC 5258 LIST-EXTENDED, RFC 3348 CHILDREN).

Folders are flat names with ``/`` as the hierarchy delimiter.  A name whose parent does
not exist (its parent was deleted) makes the parent appear as ``\\Noselect``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mailserver.store import FolderInfo

DELIMITER = "/"


@lru_cache(maxsize=256)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """``*`` matches anything, ``%`` anything but the delimiter (RFC 3501 §6.3.8)."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "%":
            out.append("[^/]*")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.S)


def matches(pattern: str, name: str) -> bool:
    if pattern_regex(pattern).match(name):
        return True
    # INBOX is case-insensitive (RFC 3501 §5.1), also inside patterns.
    if name == "INBOX" or name.startswith("INBOX/"):
        head = pattern[:5]
        if head.upper() == "INBOX":
            return bool(pattern_regex("INBOX" + pattern[5:]).match(name))
    return False


def canonical(reference: str, pattern: str) -> str:
    """Reference and pattern combined (RFC 3501 §6.3.8: interpreted as concatenation)."""
    if not reference:
        return pattern
    if reference.endswith(DELIMITER) or pattern.startswith(DELIMITER):
        return reference + pattern
    return reference + DELIMITER + pattern


@dataclass(frozen=True)
class Entry:
    """One name in the hierarchy (a folder or a missing parent)."""

    name: str
    folder: FolderInfo | None
    has_children: bool
    subscribed_child: bool

    @property
    def selectable(self) -> bool:
        return self.folder is not None

    @property
    def subscribed(self) -> bool:
        return self.folder is not None and self.folder.subscribed


def hierarchy(folders: list[FolderInfo]) -> dict[str, Entry]:
    """Every folder and every missing ancestor, with child information."""
    real = {f.name: f for f in folders}
    names: set[str] = set(real)
    for name in real:
        parts = name.split(DELIMITER)
        for i in range(1, len(parts)):
            names.add(DELIMITER.join(parts[:i]))
    parents: set[str] = set()
    sub_parents: set[str] = set()
    for name in names:
        if DELIMITER in name:
            parts = name.split(DELIMITER)
            parents.add(DELIMITER.join(parts[:-1]))
            f = real.get(name)
            if f is not None and f.subscribed:
                for i in range(1, len(parts)):
                    sub_parents.add(DELIMITER.join(parts[:i]))
    return {n: Entry(n, real.get(n), n in parents, n in sub_parents) for n in names}


def list_sort_key(name: str) -> tuple[int, str]:
    return (0 if name == "INBOX" else 1, name)


def attributes(entry: Entry, *, subscribed: bool, special_use: bool = True) -> tuple[str, ...]:
    attrs: list[str] = []
    if not entry.selectable:
        attrs.append("\\Noselect")
    attrs.append("\\HasChildren" if entry.has_children else "\\HasNoChildren")
    if subscribed and entry.subscribed:
        attrs.append("\\Subscribed")
    if special_use and entry.folder is not None and entry.folder.special_use:
        attrs.append(entry.folder.special_use)
    return tuple(attrs)
