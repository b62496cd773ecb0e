"""The per-account cache of decrypted messages and the compact selected-folder view."""

from __future__ import annotations

import re
from array import array
from typing import Any

import pytest

from mailserver.imap import ImapServers
from mailserver.imap.cache import AccountCaches, MessageCache
from mailserver.mailbox import StoreMailbox
from mailserver.services import MailServices
from tests.conftest import DOCTOR, NURSE, PASSWORD
from tests.mailserver.imap.conftest import Connect, account, deliver
from tests.mailserver.imap.imap_wire import exchange

MSG = b"Subject: hello %d\r\nFrom: a@b.test\r\n\r\nbody %d\r\n"


# -- unit: bounds and reference counting ------------------------------------------------
def test_lru_is_bounded_by_bytes() -> None:
    cache = MessageCache(max_bytes=10_000)
    for i in range(10):
        cache.put(f"m{i}", b"x" * 1000)  # costs ~2,200 each (raw + parsed estimate)
    assert cache.size <= 10_000
    assert "m9" in cache and "m0" not in cache
    cache.get("m6")  # touched: survives the next insertions
    cache.put("m10", b"y" * 1000)
    assert "m6" in cache and "m7" not in cache
    big = cache.put("big", b"z" * 5000)  # over a quarter of the budget: served, not kept
    assert big.raw == b"z" * 5000 and "big" not in cache
    cache.discard("m6")
    assert "m6" not in cache


def test_account_caches_shared_then_dropped_with_the_last_session() -> None:
    caches = AccountCaches()
    a1, a2, b = caches.acquire("A"), caches.acquire("A"), caches.acquire("B")
    assert a1 is a2 and a1 is not b
    a1.put("x", b"secret")
    caches.release("A")
    assert caches.peek("A") is a1 and "x" in a1
    caches.release("A")
    assert caches.peek("A") is None and len(a1) == 0  # cleared, not just forgotten
    assert caches.peek("B") is b


# -- sessions ---------------------------------------------------------------------------
def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    calls: list[tuple[str, list[str]]] = []
    real = StoreMailbox.read_messages

    async def counting(self: StoreMailbox, ids: list[str]) -> dict[str, bytes]:
        calls.append((self.account_id, list(ids)))
        return await real(self, ids)

    monkeypatch.setattr(StoreMailbox, "read_messages", counting)
    return calls


async def test_cache_shared_by_an_accounts_sessions_and_never_by_another(
        connect: Connect, imap: ImapServers, services: MailServices,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        await deliver(services, MSG % (i, i), DOCTOR, NURSE)
    doctor_id = (await account(services, DOCTOR)).id
    nurse_id = (await account(services, NURSE)).id
    calls = _count_reads(monkeypatch)
    a, b, n = await connect(), await connect(), await connect()
    for w, who in ((a, DOCTOR), (b, DOCTOR), (n, NURSE)):
        await w.login(who, PASSWORD)
        await w.cmd("SELECT INBOX")
    await exchange(a, "a1 UID SEARCH SUBJECT \"hello 1\"", "* SEARCH 2\na1 OK SEARCH completed")
    assert calls == [(doctor_id, calls[0][1])] and len(calls[0][1]) == 3  # one batch
    doctor_cache = imap.caches.peek(doctor_id)
    assert doctor_cache is not None and len(doctor_cache) == 3
    # the other session of the same account is served from memory
    await exchange(b, "b1 FETCH 1:3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])", """
* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}
Subject: hello 0

)
* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}
Subject: hello 1

)
* 3 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}
Subject: hello 2

)
b1 OK FETCH completed
""")
    assert len(calls) == 1
    # another account: its own cache, its own reads, none of the doctor's copies
    await exchange(n, "n1 UID SEARCH SUBJECT \"hello 1\"", "* SEARCH 2\nn1 OK SEARCH completed")
    assert len(calls) == 2 and calls[1][0] == nurse_id
    assert not set(calls[1][1]) & set(calls[0][1])
    nurse_cache = imap.caches.peek(nurse_id)
    assert nurse_cache is not None and nurse_cache is not doctor_cache
    assert not any(k in nurse_cache for k in calls[0][1])
    # the cache lives while a session of the account is logged in
    await a.cmd("LOGOUT")
    assert imap.caches.peek(doctor_id) is doctor_cache
    await b.cmd("LOGOUT")
    assert imap.caches.peek(doctor_id) is None and len(doctor_cache) == 0
    assert imap.caches.peek(nurse_id) is nurse_cache


async def test_expunge_and_flags_from_another_session(connect: Connect, imap: ImapServers,
                                                       services: MailServices) -> None:
    for i in range(3):
        await deliver(services, MSG % (i, i), DOCTOR)
    doctor_id = (await account(services, DOCTOR)).id
    a, b = await connect(), await connect()
    for w in (a, b):
        await w.login(DOCTOR, PASSWORD)
        await w.cmd("SELECT INBOX")
    await a.cmd("FETCH 1:3 BODY.PEEK[]")
    cache = imap.caches.peek(doctor_id)
    assert cache is not None and len(cache) == 3
    # flags never come from the cache: the other session's change is seen at once
    await exchange(b, "b1 STORE 2 +FLAGS.SILENT (\\Flagged)", "b1 OK STORE completed")
    await exchange(a, "a1 FETCH 2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])", r"""
* 2 FETCH (FLAGS (\Flagged \Recent) BODY[HEADER.FIELDS (SUBJECT)] {20}
Subject: hello 1

)
a1 OK FETCH completed
""")
    # an expunge evicts the copy; the other session gets EXPUNGE, then the right numbers
    await exchange(b, "b2 STORE 1 +FLAGS.SILENT (\\Deleted)", "b2 OK STORE completed")
    await exchange(b, "b3 EXPUNGE", "* 1 EXPUNGE\nb3 OK EXPUNGE completed")
    assert len(cache) == 2
    await exchange(a, "a2 NOOP", "* 1 EXPUNGE\na2 OK NOOP completed")
    await exchange(a, "a3 UID SEARCH SUBJECT hello", "* SEARCH 2 3\na3 OK SEARCH completed")
    await exchange(a, "a4 FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])", """
* 1 FETCH (UID 2 BODY[HEADER.FIELDS (SUBJECT)] {20}
Subject: hello 1

)
a4 OK FETCH completed
""")


async def test_idle_drops_details_and_fetch_reloads_them(connect: Connect,
                                                         services: MailServices) -> None:
    for i in range(3):
        await deliver(services, MSG % (i, i), DOCTOR)
    a = await connect()
    await a.login(DOCTOR, PASSWORD)
    await a.cmd("SELECT INBOX")
    a.send(b"i1 IDLE\r\n")
    assert (await a.response()).startswith(b"+ ")
    a.send(b"DONE\r\n")
    assert b"i1 OK" in await a.until_tagged(b"i1")
    out = await a.cmd("FETCH 3 (RFC822.SIZE INTERNALDATE)", b"f1")
    assert re.search(rb'\* 3 FETCH \(RFC822.SIZE \d+ INTERNALDATE "[^"]+"\)', out)
    assert b"f1 OK FETCH completed" in out


async def test_copy_expunged_elsewhere_during_idle_leaves_the_cache(
        connect: Connect, imap: ImapServers, services: MailServices) -> None:
    """Regression: an IDLE view has no copy ids (compacted), yet the decrypted copy of a
    message expunged by another session must not stay in memory."""
    for i in range(2):
        await deliver(services, MSG % (i, i), DOCTOR)
    doctor_id = (await account(services, DOCTOR)).id
    inbox = await services.store.get_folder(doctor_id, "INBOX")
    assert inbox is not None
    ids = {m.uid: m.id for m in await services.store.list_messages(inbox.id)}
    a, b = await connect(), await connect()
    for w in (a, b):
        await w.login(DOCTOR, PASSWORD)
        await w.cmd("SELECT INBOX")
    await a.cmd("FETCH 1:2 BODY.PEEK[]")
    cache = imap.caches.peek(doctor_id)
    assert cache is not None and ids[1] in cache and ids[2] in cache
    for w in (a, b):  # both views compacted; b stays compact, a stays idle
        await exchange(w, "i IDLE", "+ idling")
    await exchange(b, "DONE", "i OK IDLE terminated")
    await exchange(b, "b1 STORE 1 +FLAGS.SILENT (\\Deleted)", "b1 OK STORE completed")
    await exchange(a, b"", "* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))")
    await exchange(b, "b2 EXPUNGE", "* 1 EXPUNGE\nb2 OK EXPUNGE completed")
    await exchange(a, b"", "* 1 EXPUNGE")
    assert ids[1] not in cache and ids[2] in cache
    # MOVE keeps the copy (it still exists, in the other folder)
    assert b"b3 OK MOVE completed" in await b.cmd("MOVE 1 Archive", b"b3")
    await exchange(a, b"", "* 1 EXPUNGE")
    await exchange(a, "DONE", "i OK IDLE terminated")
    assert ids[2] in cache


# -- unit: the compact view -------------------------------------------------------------
def test_view_is_compact() -> None:
    from datetime import UTC, datetime

    from mailserver.imap.view import SelectedView
    from mailserver.store import FolderInfo, MessageMeta

    fields: dict[str, Any] = {f: None for f in FolderInfo.__dataclass_fields__}
    fields.update(id=1, account_id="acc", name="INBOX", highestmodseq=1)
    view = SelectedView(FolderInfo(**fields), readonly=False)
    when = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    metas = [MessageMeta(id=f"id{u}", folder_id=1, uid=u, modseq=u, internal_date=when,
                         flags=frozenset({"\\Seen"} if u % 2 else {"$Label1"}), size=u * 10,
                         thread_id=None, recent=False) for u in range(1, 101)]
    view.load(metas, claim_recent=False)
    assert isinstance(view.uids, array) and view.exists == 100
    assert view.flags(3) is view.flags(5)  # one shared set
    assert view.detail(7) == ("id7", 70, when)
    assert view.first_unseen() == 2
    assert view.keywords_changed()
    view.flags_responses()
    assert not view.keywords_changed()
    view.compact()
    assert view.detail(7) is None and not view.detailed
    assert view.remove([2, 50]) and view.exists == 98 and view.seq_of(51) == 49
