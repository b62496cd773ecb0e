"""Authenticated-state commands (RFC 3501 §6.3) and NAMESPACE, ENABLE, IDLE."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mailserver.store import AlreadyExists, FolderCounts, FolderInfo, NotFound

from ..listing import DELIMITER, attributes, canonical, hierarchy, list_sort_key, matches
from ..proto import commands as c
from ..proto import parse_idle_done
from ..proto import responses as r
from ..proto.codes import (
    ALREADYEXISTS,
    CANNOT,
    NONEXISTENT,
    READ_ONLY,
    READ_WRITE,
    TRYCREATE,
    ResponseCode,
    appenduid,
    highestmodseq,
    uidnext,
    uidvalidity,
    unseen,
)
from ..states import State
from ..view import SelectedView, normalise_flags

if TYPE_CHECKING:
    from mailserver.mailbox import Mailbox

    from ..session import Session

SPECIAL_USES = frozenset({"\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash", "\\Flagged",
                          "\\All"})
MAX_NAME = 255


def _backend(s: Session) -> Mailbox:
    assert s.backend is not None
    return s.backend


def _bad_name(name: str) -> str | None:
    """Why a new mailbox name is refused, or None."""
    if not name or len(name) > MAX_NAME:
        return "Invalid mailbox name"
    if any(ch in name for ch in "*%") or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return "Invalid character in mailbox name"
    parts = name.split(DELIMITER)
    if any(not p for p in parts) or any(p in (".", "..") for p in parts):
        return "Invalid hierarchy in mailbox name"
    return None


# -- SELECT / EXAMINE ---------------------------------------------------------------------
async def select(s: Session, cmd: c.Select | c.Examine) -> r.Tagged:
    """SELECT/EXAMINE (§6.3.1-2); a failed SELECT leaves no mailbox selected."""
    backend = _backend(s)
    s.view = None
    s.state = State.AUTHENTICATED
    folder = await backend.get_folder(cmd.mailbox)
    if folder is None:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", NONEXISTENT)
    readonly = isinstance(cmd, c.Examine)
    if cmd.condstore:
        s.condstore = True
    s.pump_events()  # drop events older than what we load now
    view = SelectedView(folder, readonly)
    if view.load(await backend.list_messages(folder), claim_recent=not readonly):
        await backend.clear_recent(folder)
    s.view = view
    s.state = State.SELECTED
    out: list[r.Response] = view.flags_responses()
    out.append(r.Exists(view.exists))
    out.append(r.Recent(len(view.recent)))
    first_unseen = view.first_unseen()
    if first_unseen is not None:
        out.append(r.Untagged("OK", f"First unseen: {first_unseen}", unseen(first_unseen)))
    out.append(r.Untagged("OK", "UIDs valid", uidvalidity(folder.uidvalidity)))
    next_uid = max(folder.uidnext, view.max_uid + 1)
    out.append(r.Untagged("OK", "Predicted next UID", uidnext(next_uid)))
    out.append(r.Untagged("OK", "Highest", highestmodseq(view.highestmodseq)))
    s.send_all(out)
    code = READ_ONLY if readonly else READ_WRITE
    return r.Tagged(cmd.tag, "OK", f"{cmd.name} completed", code)


# -- CREATE / DELETE / RENAME / SUBSCRIBE ----------------------------------------------------
async def _create_parents(backend: Mailbox, name: str) -> None:
    """Superior names are created too (RFC 3501 §6.3.3 SHOULD)."""
    parts = name.split(DELIMITER)
    for i in range(1, len(parts)):
        parent = DELIMITER.join(parts[:i])
        if await backend.get_folder(parent) is None:
            try:
                await backend.create_folder(parent)
            except AlreadyExists:
                pass


async def create(s: Session, cmd: c.Create) -> r.Tagged:
    backend = _backend(s)
    name = cmd.mailbox.rstrip(DELIMITER) if cmd.mailbox != DELIMITER else cmd.mailbox
    why = _bad_name(name)
    if why:
        return r.Tagged(cmd.tag, "NO", why, CANNOT)
    if name == "INBOX":
        return r.Tagged(cmd.tag, "NO", "Mailbox exists", ALREADYEXISTS)
    if len(cmd.special_use) > 1 or any(u not in SPECIAL_USES for u in cmd.special_use):
        return r.Tagged(cmd.tag, "NO", "Unsupported special-use", ResponseCode("USEATTR"))
    if await backend.get_folder(name) is not None:
        return r.Tagged(cmd.tag, "NO", "Mailbox exists", ALREADYEXISTS)
    await _create_parents(backend, name)
    try:
        await backend.create_folder(name, cmd.special_use[0] if cmd.special_use else None)
    except AlreadyExists:
        return r.Tagged(cmd.tag, "NO", "Mailbox exists", ALREADYEXISTS)
    return r.Tagged(cmd.tag, "OK", "CREATE completed")


async def delete(s: Session, cmd: c.Delete) -> r.Tagged:
    if cmd.mailbox == "INBOX":
        return r.Tagged(cmd.tag, "NO", "INBOX cannot be deleted", CANNOT)
    try:
        await _backend(s).delete_folder(cmd.mailbox)
    except NotFound:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", NONEXISTENT)
    return r.Tagged(cmd.tag, "OK", "DELETE completed")


async def rename(s: Session, cmd: c.Rename) -> r.Tagged:
    backend = _backend(s)
    new = cmd.new.rstrip(DELIMITER)
    why = _bad_name(new)
    if why:
        return r.Tagged(cmd.tag, "NO", why, CANNOT)
    if new == "INBOX" or (cmd.old != "INBOX" and new.startswith(cmd.old + DELIMITER)):
        return r.Tagged(cmd.tag, "NO", "Cannot rename there", CANNOT)
    if await backend.get_folder(cmd.old) is None:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", NONEXISTENT)
    if await backend.get_folder(new) is not None:
        return r.Tagged(cmd.tag, "NO", "Mailbox exists", ALREADYEXISTS)
    await _create_parents(backend, new)
    try:
        await backend.rename_folder(cmd.old, new)
    except AlreadyExists:
        return r.Tagged(cmd.tag, "NO", "Mailbox exists", ALREADYEXISTS)
    return r.Tagged(cmd.tag, "OK", "RENAME completed")


async def subscribe(s: Session, cmd: c.Subscribe | c.Unsubscribe) -> r.Tagged:
    try:
        await _backend(s).set_subscribed(cmd.mailbox, isinstance(cmd, c.Subscribe))
    except NotFound:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", NONEXISTENT)
    return r.Tagged(cmd.tag, "OK", f"{cmd.name} completed")


# -- LIST / LSUB / STATUS ------------------------------------------------------------------
async def list_(s: Session, cmd: c.List) -> r.Tagged:
    """LIST (§6.3.8) with LIST-EXTENDED (RFC 5258), SPECIAL-USE (RFC 6154), LIST-STATUS."""
    sel = set(cmd.selection)
    if "RECURSIVEMATCH" in sel and not sel & {"SUBSCRIBED", "SPECIAL-USE"}:
        return r.Tagged(cmd.tag, "BAD", "RECURSIVEMATCH needs another selection option")
    if cmd.patterns == ("",):
        s.send(r.ListResp(("\\Noselect",), DELIMITER, ""))
        return r.Tagged(cmd.tag, "OK", "LIST completed")
    backend = _backend(s)
    entries = hierarchy(await backend.list_folders())
    want_sub = "SUBSCRIBED" in sel or "SUBSCRIBED" in cmd.return_opts
    patterns = [canonical(cmd.reference, p) for p in cmd.patterns]
    out: list[r.Response] = []
    counts = await backend.message_counts() if cmd.status_items else {}
    for name in sorted(entries, key=list_sort_key):
        if not any(matches(p, name) for p in patterns):
            continue
        entry = entries[name]
        childinfo: tuple[str, ...] = ()
        if "SUBSCRIBED" in sel and not entry.subscribed:
            if not ("RECURSIVEMATCH" in sel and entry.subscribed_child):
                continue
            childinfo = ("SUBSCRIBED",)
        if "SPECIAL-USE" in sel and not (entry.folder and entry.folder.special_use):
            continue
        out.append(r.ListResp(attributes(entry, subscribed=want_sub), DELIMITER, name,
                              childinfo))
        if cmd.status_items and entry.folder is not None and entry.folder.id in counts:
            out.append(await _status_resp(s, entry.folder, cmd.status_items,
                                          counts[entry.folder.id]))
    s.send_all(out)
    return r.Tagged(cmd.tag, "OK", "LIST completed")


async def lsub(s: Session, cmd: c.Lsub) -> r.Tagged:
    """LSUB (§6.3.9): subscribed names; a hidden parent shows as ``\\Noselect``."""
    entries = hierarchy(await _backend(s).list_folders())
    pattern = canonical(cmd.reference, cmd.pattern)
    out: list[r.Response] = []
    for name in sorted(entries, key=list_sort_key):
        entry = entries[name]
        if not matches(pattern, name):
            continue
        if entry.subscribed:
            attrs: tuple[str, ...] = ()
        elif entry.subscribed_child and pattern.endswith("%"):
            attrs = ("\\Noselect",)
        else:
            continue
        out.append(r.ListResp(attrs, DELIMITER, name, kind="LSUB"))
    s.send_all(out)
    return r.Tagged(cmd.tag, "OK", "LSUB completed")


async def _status_resp(s: Session, folder: FolderInfo, items: tuple[str, ...],
                       counts: FolderCounts | None = None) -> r.StatusResp:
    if counts is None:
        counts = await _backend(s).folder_counts(folder)
    values = {
        "MESSAGES": counts.messages,
        "RECENT": counts.recent,
        "UIDNEXT": counts.uidnext,
        "UIDVALIDITY": counts.uidvalidity,
        "UNSEEN": counts.unseen,
        "HIGHESTMODSEQ": counts.highestmodseq,
        "APPENDLIMIT": s.services.settings.limits.imap_max_literal,
    }
    if s.view is not None and s.view.folder.id == folder.id:
        values["RECENT"] = len(s.view.recent)  # ours were claimed by this session
    if "HIGHESTMODSEQ" in items:
        s.condstore = True  # a CONDSTORE enabling command (RFC 7162 §3.1)
    return r.StatusResp(folder.name, tuple((i, values[i]) for i in items))


async def status(s: Session, cmd: c.Status) -> r.Tagged:
    folder = await _backend(s).get_folder(cmd.mailbox)
    if folder is None:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", NONEXISTENT)
    s.send(await _status_resp(s, folder, cmd.items))
    return r.Tagged(cmd.tag, "OK", "STATUS completed")


# -- APPEND --------------------------------------------------------------------------------
async def append(s: Session, cmd: c.Append) -> r.Tagged:
    """APPEND (§6.3.11) with APPENDUID (RFC 4315 §3)."""
    backend = _backend(s)
    folder = await backend.get_folder(cmd.mailbox)
    if folder is None:
        return r.Tagged(cmd.tag, "NO", "No such mailbox", TRYCREATE)
    if not cmd.message:
        return r.Tagged(cmd.tag, "NO", "Empty message")
    flags, _ = normalise_flags(cmd.flags)  # unknown system flags are ignored
    meta = await backend.append(folder, cmd.message, flags, cmd.date_time)
    return r.Tagged(cmd.tag, "OK", "APPEND completed", appenduid(folder.uidvalidity, meta.uid))


# -- NAMESPACE / ENABLE / IDLE ----------------------------------------------------------------
async def namespace(s: Session, cmd: c.Namespace) -> r.Tagged:
    """One personal namespace, no others (RFC 2342 §5)."""
    s.send(r.NamespaceResp((("", DELIMITER),), None, None))
    return r.Tagged(cmd.tag, "OK", "NAMESPACE completed")


async def enable(s: Session, cmd: c.Enable) -> r.Tagged:
    """ENABLE (RFC 5161): CONDSTORE is the only extension that needs it here."""
    enabled = []
    if "CONDSTORE" in cmd.capabilities:
        s.condstore = True
        enabled.append("CONDSTORE")
    s.send(r.Enabled(tuple(enabled)))
    return r.Tagged(cmd.tag, "OK", "ENABLE completed")


async def idle(s: Session, cmd: c.Idle) -> r.Tagged | None:
    """IDLE (RFC 2177): push updates as the store announces them, until DONE."""
    limits = s.services.settings.limits
    deadline = time.monotonic() + limits.imap_idle_command_timeout
    s.send(r.Continuation("idling"))
    s.idling = True
    if s.view is not None:
        s.view.compact()
    try:
        while True:
            if s.state is State.SELECTED:
                await s.updates(expunge_ok=True)
            elif s.has_events():
                s.pump_events()
            outcome = await s.io.wait_idle(deadline - time.monotonic())
            if outcome == "event":
                continue
            if outcome == "timeout":
                s.close()
                s.send(r.bye("Autologout; idle for too long"))
                return None
            if outcome == "eof":
                return None
            line = await s.io.read_line()
            if line is None:
                return None
            if not parse_idle_done(line):
                return r.Tagged(cmd.tag, "BAD", "Expected DONE")
            return r.Tagged(cmd.tag, "OK", "IDLE terminated")
    finally:
        s.idling = False
