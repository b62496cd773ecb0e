"""The selected folder as one connection sees it (RFC 3501 §5.2, §7.3, §7.4.1).

``SelectedView`` keeps what this client has been told: the sequence-number -> UID map, the
flags it knows, the \\Recent messages this session claimed.  Store change events (made by
other sessions, other nodes, or this one) are applied with ``apply`` (synchronous, cheap);
``sync`` turns them into the untagged responses owed (``EXISTS``, ``RECENT``, ``FETCH
FLAGS``, ``EXPUNGE``) at the points where the RFC allows them.  Expunged messages stay in
the sequence map ("ghosts") until an EXPUNGE response may be sent.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from mailserver.store import (
    ChangeEvent,
    FlagsChanged,
    FolderChanged,
    FolderInfo,
    MessageAdded,
    MessageMeta,
    MessagesExpunged,
)

from .backend import MailBackend
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
PERMANENT = (*SYSTEM_FLAGS, "\\*")
_INTERN: dict[frozenset[str], frozenset[str]] = {}


def intern_flags(flags: frozenset[str]) -> frozenset[str]:
    """Share identical flag sets between messages and sessions (memory)."""
    found = _INTERN.get(flags)
    if found is None:
        if len(_INTERN) > 4096:
            _INTERN.clear()
        _INTERN[flags] = found = flags
    return found


class SelectedView:
    """State of the selected mailbox for one connection."""

    __slots__ = ("_added", "_owed", "_resync", "deleted", "details", "flags",
                 "folder", "gone", "highestmodseq", "keywords", "max_uid", "modseqs",
                 "readonly", "recent", "uids")

    def __init__(self, folder: FolderInfo, readonly: bool) -> None:
        self.folder = folder
        self.readonly = readonly
        self.uids: list[int] = []
        self.flags: dict[int, frozenset[str]] = {}
        self.modseqs: dict[int, int] = {}
        self.recent: set[int] = set()
        self.details: dict[int, MessageMeta] = {}
        self.keywords: set[str] = set()
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
        for m in metas:
            if m.uid <= self.max_uid:
                continue
            self.uids.append(m.uid)
            self.flags[m.uid] = intern_flags(m.flags)
            self.modseqs[m.uid] = m.modseq
            self.details[m.uid] = m
            self.max_uid = m.uid
            self.highestmodseq = max(self.highestmodseq, m.modseq)
            if m.recent and claim_recent:
                self.recent.add(m.uid)
                claimed = True
        return claimed

    def all_keywords(self) -> set[str]:
        return {f for fl in set(self.flags.values()) for f in fl if not f.startswith("\\")}

    def flags_responses(self) -> list[Response]:
        """``* FLAGS`` and ``PERMANENTFLAGS`` (sent on SELECT and when keywords appear)."""
        self.keywords = self.all_keywords()
        names = (*SYSTEM_FLAGS, *sorted(self.keywords))
        perm: tuple[str, ...] = () if self.readonly else (*names[:5], *sorted(self.keywords),
                                                            "\\*")
        return [Flags(names), Untagged("OK", "Flags permitted", permanentflags(perm))]

    # -- numbering -----------------------------------------------------------------------
    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int:
        """Sequence number of a UID in the view (UIDs are kept in ascending order)."""
        i = bisect.bisect_left(self.uids, uid)
        if i == len(self.uids) or self.uids[i] != uid:
            raise KeyError(uid)
        return i + 1

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
        flags = self.flags[uid]
        if uid in self.recent:
            return (*sorted(flags), "\\Recent")
        return tuple(sorted(flags))

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
            if ev.uid in self.flags and ev.modseq > self.modseqs[ev.uid]:
                new = intern_flags(frozenset(ev.flags))
                self.modseqs[ev.uid] = ev.modseq
                self.flags[ev.uid] = new
                self._owed.add(ev.uid)
        elif isinstance(ev, MessagesExpunged):
            self.highestmodseq = max(self.highestmodseq, ev.modseq)
            for uid in ev.uids:
                if uid in self.flags:
                    self.gone.add(uid)

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
        return bool(self._added or self._owed or self.gone or self._resync)

    async def sync(self, backend: MailBackend, expunge_ok: bool, condstore: bool
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
                if uid in self.flags and uid not in self.gone:
                    out.append(self.flag_fetch(uid, condstore))
        if not self.all_keywords() <= self.keywords:
            out[:0] = self.flags_responses()
        return out

    async def _reload(self, backend: MailBackend) -> None:
        self._resync = False
        metas = await backend.list_messages(self.folder)
        known = {m.uid: m for m in metas}
        for uid in self.uids:
            m = known.get(uid)
            if m is None:
                self.gone.add(uid)
            elif m.flags != self.flags[uid]:
                self.flags[uid] = intern_flags(m.flags)
                self.modseqs[uid] = m.modseq
                self._owed.add(uid)
        if metas and metas[-1].uid > self.max_uid:
            self._added = True

    def told(self, uid: int) -> None:
        """The client was just sent this message's flags."""
        self._owed.discard(uid)

    def flag_fetch(self, uid: int, condstore: bool) -> FetchResp:
        items = [fetch_uid(uid), fetch_flags(self.flags_of(uid))]
        if condstore:
            items.append(fetch_modseq(self.modseqs[uid]))
        return FetchResp(self.seq_of(uid), tuple(items))

    def remove(self, uids: Iterable[int]) -> list[Response]:
        """Drop messages; ``* n EXPUNGE`` for each, highest first (numbers stay valid)."""
        doomed = sorted((u for u in set(uids) if u in self.flags), reverse=True)
        out: list[Response] = []
        for uid in doomed:
            out.append(ExpungeResp(self.seq_of(uid)))
        if doomed:
            gone = set(doomed)
            self.uids = [u for u in self.uids if u not in gone]
            for uid in doomed:
                del self.flags[uid]
                del self.modseqs[uid]
                self.details.pop(uid, None)
                self.recent.discard(uid)
                self.gone.discard(uid)
                self._owed.discard(uid)
            return out

    def set_meta(self, meta: MessageMeta) -> None:
        """Flags changed by this session's own command."""
        if meta.uid in self.flags:
            self.flags[meta.uid] = intern_flags(meta.flags)
            self.modseqs[meta.uid] = max(meta.modseq, self.modseqs[meta.uid])
            self.highestmodseq = max(self.highestmodseq, meta.modseq)

    async def ensure_details(self, backend: MailBackend, uids: Iterable[int]) -> None:
        """Size, internal date and copy id of these messages (one query when missing)."""
        if all(u in self.details for u in uids):
            return
        for m in await backend.list_messages(self.folder):
            if m.uid in self.flags:
                self.details[m.uid] = m

    def compact(self) -> None:
        """Drop cached details (entering IDLE: keep an idle connection small)."""
        self.details = {}
