"""Selected-state commands (RFC 3501 §6.4, UID forms §6.4.8, UIDPLUS, MOVE, UNSELECT,
CONDSTORE)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailserver.store import MessageMeta, NotFound

from ..cache import CachedMessage
from ..fetch import build_items, needs_content, needs_details, order_items
from ..proto import SequenceSet
from ..proto import commands as c
from ..proto import responses as r
from ..proto.codes import (
    EXPUNGEISSUED,
    NONEXISTENT,
    TRYCREATE,
    ResponseCode,
    copyuid,
    modified,
)
from ..search_eval import Candidate, Scope, evaluate, uses_modseq
from ..search_eval import needs_content as search_needs_content
from ..states import State
from ..view import SYSTEM_FLAGS, SelectedView

if TYPE_CHECKING:
    from ..backend import MailBackend
    from ..session import Session

DRAIN_EVERY = 256 * 1024
_SYSTEM = {f.lower(): f for f in (*SYSTEM_FLAGS, "\\Recent")}


def _ctx(s: Session) -> tuple[MailBackend, SelectedView]:
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
    s.drop_cache()


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
    s.send_all(view.remove(gone))
    return r.Tagged(cmd.tag, "OK", "EXPUNGE completed")


# -- SEARCH -----------------------------------------------------------------------------
async def search(s: Session, cmd: c.Search) -> r.Tagged:
    backend, view = _ctx(s)
    with_modseq = uses_modseq(cmd.key)
    if with_modseq:
        s.condstore = True
    content = search_needs_content(cmd.key)
    scope = Scope(view.exists, view.uids[-1] if view.uids else 0)
    await view.ensure_details(backend, view.uids)
    found: list[int] = []
    top = 0
    for seq, uid in enumerate(list(view.uids), start=1):
        meta = view.details.get(uid)
        if meta is None:  # expunged meanwhile
            continue
        cand = Candidate(seq, uid, view.flags[uid], uid in view.recent, view.modseqs[uid],
                         meta.size, meta.internal_date.date())
        verdict = evaluate(cmd.key, cand, scope)
        if verdict is None and content:
            cand.message = await _message(s, backend, meta)
            if cand.message is None:
                continue
            verdict = evaluate(cmd.key, cand, scope)
        if verdict:
            found.append(uid if cmd.uid else seq)
            top = max(top, view.modseqs[uid])
    s.send(r.SearchResp(tuple(found), top if with_modseq and found else None))
    return r.Tagged(cmd.tag, "OK", "SEARCH completed")


async def _message(s: Session, backend: MailBackend, meta: MessageMeta
                   ) -> CachedMessage | None:
    """The decrypted message (session cache first); None if it was expunged."""
    cached = s.cache.get(meta.id)
    if cached is not None:
        return cached
    try:
        raw = await backend.read_message(meta)
    except NotFound:
        return None
    return s.cache.put(meta.id, raw)


# -- FETCH ------------------------------------------------------------------------------
async def fetch(s: Session, cmd: c.Fetch) -> r.Tagged:
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    uids = view.resolve(cmd.sequence_set, cmd.uid)
    if cmd.changedsince is not None or any(a.name == "MODSEQ" for a in cmd.items):
        s.condstore = True
    if cmd.changedsince is not None:
        uids = [u for u in uids if view.modseqs[u] > cmd.changedsince]
    seen_now = await _mark_seen(s, backend, view, cmd, uids)
    atts = order_items(cmd.items, bool(seen_now))
    content = any(needs_content(a) for a in atts)
    with_flags = any(a.name == "FLAGS" for a in atts)
    if any(needs_details(a) for a in atts):
        await view.ensure_details(backend, uids)
    missing = False
    written = 0
    for uid in uids:
        meta = view.details.get(uid)
        message = None
        if content and meta is not None:
            message = await _message(s, backend, meta)
        if (content and message is None) or (meta is None and any(needs_details(a)
                                                                  for a in atts)):
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


async def _mark_seen(s: Session, backend: MailBackend, view: SelectedView, cmd: c.Fetch,
                     uids: list[int]) -> list[int]:
    """BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \\Seen (§6.4.5)."""
    if view.readonly or not any(a.sets_seen for a in cmd.items):
        return []
    unseen = [u for u in uids if "\\Seen" not in view.flags[u] and u not in view.gone]
    if not unseen:
        return []
    changed, _ = await backend.store_flags(view.folder, unseen, "add", ["\\Seen"])
    for meta in changed:
        view.set_meta(meta)
    return [m.uid for m in changed]


# -- STORE ------------------------------------------------------------------------------
def _normalise_flags(flags: tuple[str, ...]) -> list[str]:
    """System flags in their canonical case; \\Recent cannot be stored (§2.3.2)."""
    out: list[str] = []
    for f in flags:
        canon = _SYSTEM.get(f.lower(), f) if f.startswith("\\") else f
        if canon != "\\Recent" and canon not in out:
            out.append(canon)
    return out


async def store(s: Session, cmd: c.Store) -> r.Tagged:
    """STORE / UID STORE (§6.4.6) with UNCHANGEDSINCE (RFC 7162 §3.1.3)."""
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    if view.readonly:
        return r.Tagged(cmd.tag, "NO", "Mailbox is read-only", ResponseCode("READ-ONLY"))
    if cmd.unchangedsince is not None:
        s.condstore = True
    flags = _normalise_flags(cmd.flags)
    if any(f.startswith("\\") and f not in SYSTEM_FLAGS for f in flags):
        return r.Tagged(cmd.tag, "BAD", "Unknown system flag")
    uids = [u for u in view.resolve(cmd.sequence_set, cmd.uid) if u not in view.gone]
    changed, refused = await backend.store_flags(view.folder, uids, cmd.mode, flags,
                                                 cmd.unchangedsince)
    for meta in changed:
        view.set_meta(meta)
    changed_uids = {m.uid for m in changed}
    refused_set = set(refused)
    out: list[r.Response] = []
    if not view.all_keywords() <= view.keywords:
        out.extend(view.flags_responses())
    for uid in uids:
        if uid in refused_set:
            continue
        if cmd.silent:
            if s.condstore and uid in changed_uids:
                items = (r.fetch_uid(uid), r.fetch_modseq(view.modseqs[uid]))
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
async def copy(s: Session, cmd: c.Copy) -> r.Tagged:
    """COPY / UID COPY (§6.4.7) with COPYUID (RFC 4315 §3)."""
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    dest = await backend.get_folder(cmd.mailbox)
    if dest is None:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", TRYCREATE)
    uids = view.resolve(cmd.sequence_set, cmd.uid)
    if not uids:
        return r.Tagged(cmd.tag, "OK", "Nothing to copy")
    await view.ensure_details(backend, uids)
    metas = [view.details[u] for u in uids if u in view.details and u not in view.gone]
    if len(metas) != len(uids):
        return r.Tagged(cmd.tag, "NO", "Some messages were expunged", EXPUNGEISSUED)
    try:
        pairs = await backend.copy(metas, dest)
    except NotFound:
        return r.Tagged(cmd.tag, "NO", "Some messages were expunged", EXPUNGEISSUED)
    code = copyuid(dest.uidvalidity, SequenceSet.from_numbers(p[0] for p in pairs),
                   SequenceSet.from_numbers(p[1] for p in pairs))
    return r.Tagged(cmd.tag, "OK", "COPY completed", code)


async def move(s: Session, cmd: c.Move) -> r.Tagged:
    """MOVE / UID MOVE (RFC 6851 §3): COPYUID in an untagged OK, then EXPUNGEs."""
    backend, view = _ctx(s)
    if _bad_seqset(view, cmd.sequence_set, cmd.uid):
        return r.Tagged(cmd.tag, "BAD", "Invalid message sequence number")
    if view.readonly:
        return r.Tagged(cmd.tag, "NO", "Mailbox is read-only", ResponseCode("READ-ONLY"))
    dest = await backend.get_folder(cmd.mailbox)
    if dest is None:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", TRYCREATE)
    uids = [u for u in view.resolve(cmd.sequence_set, cmd.uid) if u not in view.gone]
    if not uids:
        return r.Tagged(cmd.tag, "OK", "Nothing to move")
    if dest.id == view.folder.id:
        return r.Tagged(cmd.tag, "NO", "Source and destination are the same", NONEXISTENT)
    pairs = await backend.move(view.folder, uids, dest)
    if pairs:
        code = copyuid(dest.uidvalidity, SequenceSet.from_numbers(p[0] for p in pairs),
                       SequenceSet.from_numbers(p[1] for p in pairs))
        s.send(r.Untagged("OK", "Moved", code))
    s.send_all(view.remove(p[0] for p in pairs))
    return r.Tagged(cmd.tag, "OK", "MOVE completed")
