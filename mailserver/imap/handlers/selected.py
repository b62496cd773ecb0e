"""Selected-state commands (RFC 3501 §6.4, UID forms §6.4.8, UIDPLUS, MOVE, UNSELECT,
CONDSTORE)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailserver.store import NotFound

from ..cache import CachedMessage
from ..fetch import build_items, needs_content, needs_details, order_items
from ..proto import SequenceSet
from ..proto import commands as c
from ..proto import responses as r
from ..proto.codes import (
    EXPUNGEISSUED,
    TRYCREATE,
    ResponseCode,
    copyuid,
    modified,
)
from ..search_eval import Candidate, Scope, evaluate, uses_modseq
from ..search_eval import needs_content as search_needs_content
from ..states import State
from ..view import SelectedView, normalise_flags

if TYPE_CHECKING:
    from mailserver.mailbox import Mailbox
    from mailserver.store import FolderInfo, MessageMeta

    from ..session import Session

DRAIN_EVERY = 256 * 1024


def _ctx(s: Session) -> tuple[Mailbox, SelectedView]:
    assert s.backend is not None and s.view is not None
    return s.backend, s.view


def _bad_seqset(view: SelectedView, seqset: SequenceSet, uid: bool) -> bool:
    """Message numbers beyond the mailbox are a client error (RFC 3501 §9 seq-number)."""
    if uid:
        return False
    return seqset.largest_explicit() > view.exists or (seqset.uses_star and view.exists == 0)


async def check(s: Session, cmd: c.Check) -> r.Tagged:
    return r.Tagged(cmd.tag, "OK", "CHECK completed")


def _deselect(s: Session) -> None:
    s.view = None
    s.state = State.AUTHENTICATED


async def close(s: Session, cmd: c.Close) -> r.Tagged:
    """CLOSE (§6.4.2): silent expunge unless read-only."""
    backend, view = _ctx(s)
    if not view.readonly and not view.deleted:
        await backend.expunge(view.folder)
    _deselect(s)
    return r.Tagged(cmd.tag, "OK", "CLOSE completed")


async def unselect(s: Session, cmd: c.Unselect) -> r.Tagged:
    _deselect(s)
    return r.Tagged(cmd.tag, "OK", "UNSELECT completed")


async def expunge(s: Session, cmd: c.Expunge) -> r.Tagged:
    """EXPUNGE (§6.4.3) and UID EXPUNGE (RFC 4315 §2.1)."""
    backend, view = _ctx(s)
    if view.readonly:
        return r.Tagged(cmd.tag, "NO", "Mailbox is read-only", ResponseCode("READ-ONLY"))
    uids = None if cmd.uids is None else view.by_uidset(cmd.uids)
    if uids is not None and not uids:
        return r.Tagged(cmd.tag, "OK", "EXPUNGE completed")
    gone = await backend.expunge(view.folder, uids)
    s.send_all(view.remove(gone))  # the store's event evicted the copies from the cache
    return r.Tagged(cmd.tag, "OK", "EXPUNGE completed")


# -- SEARCH -----------------------------------------------------------------------------
BATCH = 64  # messages decrypted per store query


async def search(s: Session, cmd: c.Search) -> r.Tagged:
    """SEARCH: metadata keys from the view; content keys decrypt only the undecided
    messages, in batches (one query each), through the account's cache."""
    backend, view = _ctx(s)
    with_modseq = uses_modseq(cmd.key)
    if with_modseq:
        s.condstore = True
    content = search_needs_content(cmd.key)
    scope = Scope(view.exists, view.uids[-1] if view.uids else 0)
    await view.ensure_details(backend)
    found: list[tuple[int, int, int]] = []  # (uid, seq, modseq)
    undecided: list[tuple[Candidate, str]] = []
    for seq, uid in enumerate(list(view.uids), start=1):
        d = view.detail(uid)
        if d is None or not d.id:  # expunged meanwhile
            continue
        cand = Candidate(seq, uid, view.flags(uid), uid in view.recent, view.modseq(uid),
                         d.size, d.internal_date.date())
        verdict = evaluate(cmd.key, cand, scope)
        if verdict is None and content:
            undecided.append((cand, d.id))
        elif verdict:
            found.append((uid, seq, cand.modseq))
    for i in range(0, len(undecided), BATCH):
        chunk = undecided[i:i + BATCH]
        messages = await _messages(s, backend, [copy_id for _, copy_id in chunk])
        for cand, copy_id in chunk:
            cand.message = messages.get(copy_id)
            if cand.message is None:
                continue
            if evaluate(cmd.key, cand, scope):
                found.append((cand.uid, cand.seq, cand.modseq))
            cand.message = None
    found.sort()
    numbers = tuple(f[0] if cmd.uid else f[1] for f in found)
    top = max((f[2] for f in found), default=0)
    s.send(r.SearchResp(numbers, top if with_modseq and found else None))
    return r.Tagged(cmd.tag, "OK", "SEARCH completed")


async def _messages(s: Session, backend: Mailbox, ids: list[str]
                    ) -> dict[str, CachedMessage]:
    """Decrypted messages by copy id (account cache first, the rest in one query);
    expunged ones are missing."""
    cache = s.cache
    out: dict[str, CachedMessage] = {}
    missing: list[str] = []
    for copy_id in ids:
        cached = cache.get(copy_id)
        if cached is None:
            missing.append(copy_id)
        else:
            out[copy_id] = cached
    if missing:
        for copy_id, raw in (await backend.read_messages(missing)).items():
            out[copy_id] = cache.put(copy_id, raw)
    return out


# -- FETCH ------------------------------------------------------------------------------
async def fetch(s: Session, cmd: c.Fetch) -> r.Tagged:
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    uids = view.resolve(cmd.sequence_set, cmd.uid)
    if cmd.changedsince is not None or any(a.name == "MODSEQ" for a in cmd.items):
        s.condstore = True
    if cmd.changedsince is not None:
        uids = [u for u in uids if view.modseq(u) > cmd.changedsince]
    seen_now = await _mark_seen(s, backend, view, cmd, uids)
    atts = order_items(cmd.items, bool(seen_now))
    content = any(needs_content(a) for a in atts)
    with_flags = any(a.name == "FLAGS" for a in atts)
    details = any(needs_details(a) for a in atts)
    if details:
        await view.ensure_details(backend)
    missing = False
    written = 0
    step = BATCH if content else max(len(uids), 1)
    for i in range(0, len(uids), step):
        chunk = uids[i:i + step]
        # a detail without copy id is a placeholder: expunged meanwhile
        metas = [d if d is not None and d.id else None
                 for d in (view.detail(u) if details else None for u in chunk)]
        messages: dict[str, CachedMessage] = {}
        if content:
            messages = await _messages(s, backend, [d.id for d in metas if d is not None])
        for uid, meta in zip(chunk, metas, strict=True):
            message = messages.get(meta.id) if (content and meta is not None) else None
            if (content and message is None) or (meta is None and details):
                missing = True
                continue
            items = build_items(view, uid, atts, meta, message)
            if with_flags:
                view.told(uid)
            data = r.FetchResp(view.seq_of(uid), tuple(items)).to_bytes()
            s.io.write(data)
            written += len(data)
            if written >= DRAIN_EVERY:
                written = 0
                await s.io.drain()
    if missing:
        return r.Tagged(cmd.tag, "NO", "Some messages were expunged", EXPUNGEISSUED)
    return r.Tagged(cmd.tag, "OK", "FETCH completed")


async def _mark_seen(s: Session, backend: Mailbox, view: SelectedView, cmd: c.Fetch,
                     uids: list[int]) -> list[int]:
    """BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \\Seen (§6.4.5)."""
    if view.readonly or not any(a.sets_seen for a in cmd.items):
        return []
    unseen = [u for u in uids if "\\Seen" not in view.flags(u) and u not in view.gone]
    if not unseen:
        return []
    changed, _ = await backend.store_flags(view.folder, unseen, "add", ["\\Seen"])
    for meta in changed:
        view.set_meta(meta)
    return [m.uid for m in changed]


# -- STORE ------------------------------------------------------------------------------

async def store(s: Session, cmd: c.Store) -> r.Tagged:
    """STORE / UID STORE (§6.4.6) with UNCHANGEDSINCE (RFC 7162 §3.1.3)."""
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    if view.readonly:
        return r.Tagged(cmd.tag, "NO", "Mailbox is read-only", ResponseCode("READ-ONLY"))
    if cmd.unchangedsince is not None:
        s.condstore = True
    flags, unknown = normalise_flags(cmd.flags)
    if unknown:
        return r.Tagged(cmd.tag, "BAD", "Unknown system flag")
    uids = [u for u in view.resolve(cmd.sequence_set, cmd.uid) if u not in view.gone]
    changed, refused = await backend.store_flags(view.folder, uids, cmd.mode, flags,
                                                 cmd.unchangedsince)
    for meta in changed:
        view.set_meta(meta)
    changed_uids = {m.uid for m in changed}
    refused_set = set(refused)
    out: list[r.Response] = []
    if view.keywords_changed():
        out.extend(view.flags_responses())
    for uid in uids:
        if uid in refused_set:
            continue
        if cmd.silent:
            if s.condstore and uid in changed_uids:
                items = (r.fetch_uid(uid), r.fetch_modseq(view.modseq(uid)))
                out.append(r.FetchResp(view.seq_of(uid), items))
            continue
        out.append(view.flag_fetch(uid, s.condstore))
        view.told(uid)
    s.send_all(out)
    if refused:
        numbers = refused if cmd.uid else [view.seq_of(u) for u in refused]
        code = modified(SequenceSet.from_numbers(numbers))
        return r.Tagged(cmd.tag, "OK", "Conditional STORE failed", code)
    return r.Tagged(cmd.tag, "OK", "STORE completed")


# -- COPY / MOVE ------------------------------------------------------------------------
async def _dest(s: Session, cmd: c.Copy | c.Move) -> FolderInfo | r.Tagged:
    """The destination folder, or the answer when it does not exist (§6.4.7 TRYCREATE)."""
    backend, _ = _ctx(s)
    dest = await backend.get_folder(cmd.mailbox)
    if dest is None:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", TRYCREATE)
    return dest


def _copyuid(dest: FolderInfo, pairs: list[tuple[int, int]]) -> ResponseCode:
    """COPYUID for (source uid, new uid) pairs (RFC 4315 §3)."""
    return copyuid(dest.uidvalidity, SequenceSet.from_numbers(p[0] for p in pairs),
                   SequenceSet.from_numbers(p[1] for p in pairs))


async def copy(s: Session, cmd: c.Copy) -> r.Tagged:
    """COPY / UID COPY (§6.4.7) with COPYUID (RFC 4315 §3): fails whole when a message
    was expunged meanwhile."""
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    dest = await _dest(s, cmd)
    if isinstance(dest, r.Tagged):
        return dest
    uids = view.resolve(cmd.sequence_set, cmd.uid)  # ascending
    if not uids:
        return r.Tagged(cmd.tag, "OK", "Nothing to copy")
    wanted = set(uids)
    metas: list[MessageMeta] = [
        m for m in await backend.list_messages(view.folder, since_uid=uids[0] - 1)
        if m.uid in wanted and m.uid not in view.gone]
    if len(metas) != len(uids):
        return r.Tagged(cmd.tag, "NO", "Some messages were expunged", EXPUNGEISSUED)
    try:
        pairs = await backend.copy(metas, dest)
    except NotFound:
        return r.Tagged(cmd.tag, "NO", "Some messages were expunged", EXPUNGEISSUED)
    return r.Tagged(cmd.tag, "OK", "COPY completed", _copyuid(dest, pairs))


async def move(s: Session, cmd: c.Move) -> r.Tagged:
    """MOVE / UID MOVE (RFC 6851 §3): COPYUID in an untagged OK, then EXPUNGEs; messages
    expunged meanwhile are skipped."""
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    if view.readonly:
        return r.Tagged(cmd.tag, "NO", "Mailbox is read-only", ResponseCode("READ-ONLY"))
    dest = await _dest(s, cmd)
    if isinstance(dest, r.Tagged):
        return dest
    uids = [u for u in view.resolve(cmd.sequence_set, cmd.uid) if u not in view.gone]
    if not uids:
        return r.Tagged(cmd.tag, "OK", "Nothing to move")
    # Into the selected mailbox itself too (RFC 6851 §3.3): new UIDs, COPYUID, EXPUNGEs;
    # the moved copies come back as new messages at the next EXISTS.
    pairs = await backend.move(view.folder, uids, dest)
    if pairs:
        s.send(r.Untagged("OK", "Moved", _copyuid(dest, pairs)))
    s.send_all(view.remove(p[0] for p in pairs))  # same copies, now in dest: still cached
    return r.Tagged(cmd.tag, "OK", "MOVE completed")
