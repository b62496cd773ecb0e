"""The selected folder as one connection sees it (RFC 3501 §5.2, §7.3, §7.4.1).

``SelectedView`` keeps what this client has been told: the sequence-number -> UID map, the
flags it knows, the \\Recent messages this session claimed.  Store change events (made by
other sessions, other nodes, or this one) are applied with ``apply`` (synchronous, cheap);
``sync`` turns them into the untagged responses owed (``EXISTS``, ``RECENT``, ``FETCH
FLAGS``, ``EXPUNGE``) at the points where the RFC allows them.  Expunged messages stay in
the sequence map ("ghosts") until an EXPUNGE response may be sent.

Memory: an idle client keeps its view for hours, so per message the view holds only a
UID (``array('I')``, sorted: positions are sequence numbers, lookups bisect), a
mod-sequence (``array('Q')``) and a reference to an interned, shared flag set.  Size,
internal date and copy id ("details") are kept in compact arrays only while the session
works; they are dropped in IDLE and reloaded (one query) when a command needs them.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from mailserver.mailbox import Mailbox
from mailserver.store import (
    ChangeEvent,
    FlagsChanged,
    FolderChanged,
    FolderInfo,
    MessageAdded,
    MessageMeta,
    MessagesExpunged,
)

from .proto import SequenceSet
from .proto.codes import permanentflags
from .proto.responses import (
    Exists,
    ExpungeResp,
    FetchResp,
    Flags,
    Recent,
    Response,
    Untagged,
    fetch_flags,
    fetch_modseq,
    fetch_uid,
)

SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
_CANONICAL = {f.lower(): f for f in SYSTEM_FLAGS}
_INTERN: dict[frozenset[str], frozenset[str]] = {}


def normalise_flags(flags: Iterable[str]) -> tuple[list[str], bool]:
    """Flags a client may set: system flags in their canonical case, no duplicates.

    \\Recent cannot be set (RFC 3501 §2.3.2) and is dropped; other unknown system flags
    are dropped too, and reported (second value) for the commands that refuse them."""
    out: list[str] = []
    unknown = False
    for f in flags:
        if f.startswith("\\"):
            canon = _CANONICAL.get(f.lower())
            if canon is None:
                unknown = unknown or f.lower() != "\\recent"
                continue
            f = canon
        if f not in out:
            out.append(f)
    return out, unknown


def intern_flags(flags: frozenset[str]) -> frozenset[str]:
    """Share identical flag sets between messages and sessions (memory)."""
    found = _INTERN.get(flags)
    if found is None:
        if len(_INTERN) > 4096:
            _INTERN.clear()
        _INTERN[flags] = found = flags
    return found


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_FLAGS: frozenset[str] = frozenset()


class Detail(NamedTuple):
    """What FETCH/SEARCH need besides flags: the copy id, size and internal date."""

    id: str
    size: int
    internal_date: datetime


def _micros(when: datetime) -> int:
    delta = when - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


class SelectedView:
    """State of the selected mailbox for one connection."""

    __slots__ = ("_added", "_dates", "_flags", "_ids", "_kw_dirty", "_modseqs", "_owed",
                 "_resync", "_sizes", "deleted", "folder", "gone", "highestmodseq",
                 "keywords", "max_uid", "readonly", "recent", "uids")

    def __init__(self, folder: FolderInfo, readonly: bool) -> None:
        self.folder = folder
        self.readonly = readonly
        self.uids = array("I")  # ascending; index + 1 = sequence number
        self._modseqs = array("Q")  # parallel to uids
        self._flags: list[frozenset[str]] = []  # parallel to uids, interned sets
        # Details (parallel to uids) while loaded; None after compact().
        self._ids: list[str] | None = []
        self._sizes = array("I")
        self._dates = array("q")  # microseconds since the epoch, UTC
        self.recent: set[int] = set()
        self.keywords: set[str] = set()
        self._kw_dirty = False
        self.highestmodseq = folder.highestmodseq
        self.max_uid = 0
        self.gone: set[int] = set()  # expunged elsewhere, not yet announced
        self._added = False
        self._owed: set[int] = set()
        self._resync = False
        self.deleted = False

    # -- loading -----------------------------------------------------------------------
    def load(self, metas: Iterable[MessageMeta], claim_recent: bool) -> bool:
        """Add messages (UID order); returns True when some were \\Recent for us."""
        claimed = False
        ids = self._ids
        for m in metas:
            if m.uid <= self.max_uid:
                continue
            self.uids.append(m.uid)
            self._modseqs.append(m.modseq)
            flags = intern_flags(m.flags)
            self._flags.append(flags)
            self._note(flags)
            if ids is not None:
                ids.append(m.id)
                self._sizes.append(m.size)
                self._dates.append(_micros(m.internal_date))
            self.max_uid = m.uid
            if m.modseq > self.highestmodseq:
                self.highestmodseq = m.modseq
            if m.recent and claim_recent:
                self.recent.add(m.uid)
                claimed = True
        return claimed

    def _index(self, uid: int) -> int:
        i = bisect.bisect_left(self.uids, uid)
        if i == len(self.uids) or self.uids[i] != uid:
            raise KeyError(uid)
        return i

    def has(self, uid: int) -> bool:
        i = bisect.bisect_left(self.uids, uid)
        return i < len(self.uids) and self.uids[i] == uid

    def flags(self, uid: int) -> frozenset[str]:
        return self._flags[self._index(uid)]

    def modseq(self, uid: int) -> int:
        return self._modseqs[self._index(uid)]

    def first_unseen(self) -> int | None:
        for i, flags in enumerate(self._flags):
            if "\\Seen" not in flags:
                return i + 1
        return None

    def all_keywords(self) -> set[str]:
        return {f for fl in set(self._flags) for f in fl if not f.startswith("\\")}

    def keywords_changed(self) -> bool:
        """Some keyword appeared that the client was not told about (cheap when not).

        No side effect: only ``flags_responses`` (telling the client) clears the mark."""
        return self._kw_dirty and not self.all_keywords() <= self.keywords

    def flags_responses(self) -> list[Response]:
        """``* FLAGS`` and ``PERMANENTFLAGS`` (sent on SELECT and when keywords appear)."""
        self.keywords = self.all_keywords()
        self._kw_dirty = False
        names = (*SYSTEM_FLAGS, *sorted(self.keywords))
        perm: tuple[str, ...] = () if self.readonly else (*names, "\\*")
        return [Flags(names), Untagged("OK", "Flags permitted", permanentflags(perm))]

    # -- numbering -----------------------------------------------------------------------
    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int:
        """Sequence number of a UID in the view (UIDs are kept in ascending order)."""
        return self._index(uid) + 1

    def by_seqset(self, seqset: SequenceSet) -> list[int]:
        """UIDs of the messages named by sequence numbers (``*`` = last)."""
        return [self.uids[n - 1] for n in seqset.resolve(len(self.uids))]

    def by_uidset(self, seqset: SequenceSet) -> list[int]:
        """UIDs present in the view named by a UID set (``*`` = highest UID)."""
        if not self.uids:
            return []
        star = self.uids[-1]
        out: set[int] = set()
        for lo, hi in seqset.iter_bounds(star):
            i = bisect.bisect_left(self.uids, lo)
            j = bisect.bisect_right(self.uids, hi)
            out.update(self.uids[i:j])
        return sorted(out)

    def resolve(self, seqset: SequenceSet, uid: bool) -> list[int]:
        return self.by_uidset(seqset) if uid else self.by_seqset(seqset)

    def flags_of(self, uid: int) -> tuple[str, ...]:
        flags = self.flags(uid)
        if uid in self.recent:
            return (*sorted(flags), "\\Recent")
        return tuple(sorted(flags))

    # -- details ---------------------------------------------------------------------
    @property
    def detailed(self) -> bool:
        return self._ids is not None

    def detail(self, uid: int) -> Detail | None:
        """Copy id, size and internal date (None if gone or not loaded)."""
        if self._ids is None:
            return None
        i = bisect.bisect_left(self.uids, uid)
        if i == len(self.uids) or self.uids[i] != uid:
            return None
        return Detail(self._ids[i], self._sizes[i],
                      _EPOCH + timedelta(microseconds=self._dates[i]))

    async def ensure_details(self, backend: Mailbox) -> None:
        """Load size, internal date and copy id of every message (one query) if missing."""
        if self._ids is not None:
            return
        ids: list[str] = []
        sizes = array("I")
        dates = array("q")
        metas = await backend.list_messages(self.folder, 0)
        if self._ids is not None:  # loaded meanwhile
            return
        known = {m.uid: m for m in metas}
        for uid in self.uids:
            m = known.get(uid)
            if m is None:  # expunged: keep a placeholder, the ghost goes later
                ids.append("")
                sizes.append(0)
                dates.append(0)
            else:
                ids.append(m.id)
                sizes.append(m.size)
                dates.append(_micros(m.internal_date))
        self._ids, self._sizes, self._dates = ids, sizes, dates

    def compact(self) -> None:
        """Drop the details (entering IDLE: keep an idle connection small)."""
        self._ids = None
        self._sizes = array("I")
        self._dates = array("q")

    # -- changes ------------------------------------------------------------------------
    def apply(self, ev: ChangeEvent) -> None:
        """Record one store event (no I/O)."""
        if isinstance(ev, FolderChanged):
            self._folder_changed(ev)
            return
        if ev.folder_id != self.folder.id:
            return
        if isinstance(ev, MessageAdded):
            if ev.uid > self.max_uid:
                self._added = True
        elif isinstance(ev, FlagsChanged):
            self.highestmodseq = max(self.highestmodseq, ev.modseq)
            i = bisect.bisect_left(self.uids, ev.uid)
            if i < len(self.uids) and self.uids[i] == ev.uid and ev.modseq > self._modseqs[i]:
                self._set(i, frozenset(ev.flags), ev.modseq)
                self._owed.add(ev.uid)
        elif isinstance(ev, MessagesExpunged):
            self.highestmodseq = max(self.highestmodseq, ev.modseq)
            for uid in ev.uids:
                if self.has(uid):
                    self.gone.add(uid)

    def _set(self, i: int, flags: frozenset[str], modseq: int) -> None:
        new = intern_flags(flags)
        if new is not self._flags[i]:
            self._flags[i] = new
            self._note(new)
        self._modseqs[i] = modseq

    def _note(self, flags: frozenset[str]) -> None:
        """Mark the keyword list stale when these flags carry one the client wasn't told."""
        if flags and not self._kw_dirty:
            kws = self.keywords
            if any(f[0] != "\\" and f not in kws for f in flags):
                self._kw_dirty = True

    def _folder_changed(self, ev: FolderChanged) -> None:
        name = self.folder.name
        if ev.kind == "deleted" and ev.name == name:
            self.deleted = True
            self.gone.update(self.uids)
        elif ev.kind == "renamed" and ev.new_name is not None and (
                name == ev.name or name.startswith(ev.name + "/")):
            if ev.name == "INBOX":  # INBOX rename moves the messages, INBOX stays
                return
            new = ev.new_name + name[len(ev.name):]
            self.folder = FolderInfo(**{**self.folder.__dict__, "name": new})

    def overflow(self) -> None:
        """Too many events queued: reload everything at the next sync."""
        self._resync = True

    @property
    def pending(self) -> bool:
        return bool(self._added or self._owed or self.gone or self._resync or self._kw_dirty)

    async def sync(self, backend: Mailbox, expunge_ok: bool, condstore: bool
                   ) -> list[Response]:
        """The untagged responses owed now (RFC 3501 §7.4.1 rules for EXPUNGE)."""
        out: list[Response] = []
        if self._resync:
            await self._reload(backend)
        if expunge_ok and self.gone:
            out.extend(self.remove(self.gone))
        if self._added:
            self._added = False
            before = self.exists
            new = await backend.list_messages(self.folder, self.max_uid)
            if self.load(new, not self.readonly):
                await backend.clear_recent(self.folder)
            if self.exists != before:
                out.append(Exists(self.exists))
                out.append(Recent(len(self.recent)))
        if self._owed:
            owed, self._owed = self._owed, set()
            for uid in sorted(owed):
                if self.has(uid) and uid not in self.gone:
                    out.append(self.flag_fetch(uid, condstore))
        if self._kw_dirty:
            if self.keywords_changed():
                out[:0] = self.flags_responses()
            else:  # the new keyword went away again: nothing to tell
                self._kw_dirty = False
        return out

    async def _reload(self, backend: Mailbox) -> None:
        self._resync = False
        metas = await backend.list_messages(self.folder)
        known = {m.uid: m for m in metas}
        for i, uid in enumerate(self.uids):
            m = known.get(uid)
            if m is None:
                self.gone.add(uid)
            elif m.flags != self._flags[i]:
                self._set(i, m.flags, m.modseq)
                self._owed.add(uid)
        if metas and metas[-1].uid > self.max_uid:
            self._added = True

    def told(self, uid: int) -> None:
        """The client was just sent this message's flags."""
        self._owed.discard(uid)

    def flag_fetch(self, uid: int, condstore: bool) -> FetchResp:
        items = [fetch_uid(uid), fetch_flags(self.flags_of(uid))]
        if condstore:
            items.append(fetch_modseq(self.modseq(uid)))
        return FetchResp(self.seq_of(uid), tuple(items))

    def remove(self, uids: Iterable[int]) -> list[Response]:
        """Drop messages; ``* n EXPUNGE`` for each, highest first (numbers stay valid)."""
        doomed = sorted((u for u in set(uids) if self.has(u)), reverse=True)
        out: list[Response] = [ExpungeResp(self.seq_of(uid)) for uid in doomed]
        if not doomed:
            return out
        gone = set(doomed)
        keep = [i for i, u in enumerate(self.uids) if u not in gone]
        self.uids = array("I", (self.uids[i] for i in keep))
        self._modseqs = array("Q", (self._modseqs[i] for i in keep))
        self._flags = [self._flags[i] for i in keep]
        if self._ids is not None:
            self._ids = [self._ids[i] for i in keep]
            self._sizes = array("I", (self._sizes[i] for i in keep))
            self._dates = array("q", (self._dates[i] for i in keep))
        for uid in doomed:
            self.recent.discard(uid)
            self.gone.discard(uid)
            self._owed.discard(uid)
        return out

    def set_meta(self, meta: MessageMeta) -> None:
        """Flags changed by this session's own command."""
        i = bisect.bisect_left(self.uids, meta.uid)
        if i < len(self.uids) and self.uids[i] == meta.uid:
            self._set(i, meta.flags, max(meta.modseq, self._modseqs[i]))
            self.highestmodseq = max(self.highestmodseq, meta.modseq)
