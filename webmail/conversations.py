"""Folders and conversations as the webmail lists them, read only through the mailbox seam.

A folder's copies are grouped by the store's thread ids; the newest conversation comes
first and only the copies shown on the page are decrypted (the newest of each thread), so
a page of a 10,000-message folder opens 50 messages, not 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailserver.mailbox import Mailbox
from mailserver.store import FolderCounts, FolderInfo, MessageMeta
from webmail.reading import Summary, parse, summarise

PAGE_SIZE = 50
SPECIAL_ORDER = ("\\Inbox", "\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash")


@dataclass(frozen=True)
class FolderEntry:
    folder: FolderInfo
    counts: FolderCounts

    @property
    def unread(self) -> int:
        return self.counts.unseen


@dataclass(frozen=True)
class ConversationRow:
    latest: MessageMeta
    summary: Summary
    count: int
    unread: int
    flagged: bool


@dataclass(frozen=True)
class ConversationPage:
    rows: list[ConversationRow]
    page: int
    pages: int


def _rank(folder: FolderInfo) -> tuple[int, str]:
    if folder.name.upper() == "INBOX":
        return (0, "")
    if folder.special_use in SPECIAL_ORDER:
        return (SPECIAL_ORDER.index(folder.special_use), "")
    return (len(SPECIAL_ORDER), folder.name.lower())


async def folders(mailbox: Mailbox) -> list[FolderEntry]:
    """Every folder with its counts, INBOX and special-use folders first."""
    counts = await mailbox.message_counts()
    listed = sorted(await mailbox.list_folders(), key=_rank)
    empty = FolderCounts(0, 0, 0, 0, 0, 0)
    return [FolderEntry(f, counts.get(f.id, empty)) for f in listed]


async def folder_by_name(mailbox: Mailbox, name: str) -> FolderInfo | None:
    return await mailbox.get_folder(name)


async def folder_of(mailbox: Mailbox, meta: MessageMeta) -> FolderInfo | None:
    for folder in await mailbox.list_folders():
        if folder.id == meta.folder_id:
            return folder
    return None


def _newest(metas: list[MessageMeta]) -> datetime:
    return max(m.internal_date for m in metas)


async def conversations(mailbox: Mailbox, folder: FolderInfo, page: int = 1
                        ) -> ConversationPage:
    groups: dict[str, list[MessageMeta]] = {}
    for meta in await mailbox.list_messages(folder):
        groups.setdefault(meta.thread_id or meta.id, []).append(meta)
    ordered = sorted(groups.values(), key=_newest, reverse=True)
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = ordered[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    latest = [max(g, key=lambda m: (m.internal_date, m.uid)) for g in shown]
    raws = await mailbox.read_messages([m.id for m in latest])
    rows = []
    for group, meta in zip(shown, latest, strict=True):
        raw = raws.get(meta.id)
        if raw is None:  # expunged meanwhile
            continue
        rows.append(ConversationRow(
            latest=meta, summary=summarise(parse(raw)), count=len(group),
            unread=sum("\\Seen" not in m.flags for m in group),
            flagged=any("\\Flagged" in m.flags for m in group)))
    return ConversationPage(rows=rows, page=page, pages=pages)


async def thread_of(mailbox: Mailbox, meta: MessageMeta) -> list[MessageMeta]:
    """The conversation of one copy, oldest first (the copy alone if it has no thread)."""
    if meta.thread_id is None:
        return [meta]
    return await mailbox.thread(meta.thread_id) or [meta]
