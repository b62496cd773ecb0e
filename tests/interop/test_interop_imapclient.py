"""`imapclient` (the library most Python mail tools use): folders with special-use, select,
search, fetch, flags, append, copy, move, expunge; STARTTLS and implicit TLS."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.imapclient import SEEN
from interop_support import Target, make_message

from tests.conftest import DOCTOR, NURSE, PASSWORD

SPECIAL = {b"\\Sent": "Sent", b"\\Drafts": "Drafts", b"\\Trash": "Trash",
           b"\\Archive": "Archive", b"\\Junk": "Junk"}


def _connect(t: Target, *, starttls: bool = False) -> IMAPClient:
    if starttls:
        c = IMAPClient(t.host, t.starttls_port, ssl=False, timeout=10)
        c.starttls(t.ssl_context())
    else:
        c = IMAPClient(t.host, t.tls_port, ssl=True, ssl_context=t.ssl_context(), timeout=10)
    c.login(DOCTOR, PASSWORD)
    return c


def _folders(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t, starttls=True) as c:
        out["caps"] = set(c.capabilities())
        out["list"] = c.list_folders()
        out["special"] = {use: c.find_special_folder(use) for use in SPECIAL}
        out["ns"] = c.namespace()
        out["create"] = c.create_folder("Patients/Dupont")
        out["exists"] = c.folder_exists("Patients/Dupont")
        out["children"] = c.list_folders("", "Patients*")
        out["rename"] = c.rename_folder("Patients/Dupont", "Patients/Durand")
        out["subscribe"] = c.subscribe_folder("Patients/Durand")
        out["lsub"] = c.list_sub_folders("", "Patients/*")
        out["status"] = c.folder_status("Patients/Durand", [b"MESSAGES", b"UIDNEXT",
                                                           b"UIDVALIDITY"])
        out["delete"] = c.delete_folder("Patients/Durand")
        out["after"] = [f[2] for f in c.list_folders()]
    return out


async def test_imapclient_folders_and_special_use(target: Target) -> None:
    out = await asyncio.to_thread(_folders, target)
    assert b"SPECIAL-USE" in out["caps"]
    names = {name: flags for flags, _, name in out["list"]}
    assert "INBOX" in names
    for use, name in SPECIAL.items():
        assert out["special"][use] == name, (use, out["list"])
        assert use in names[name]
    personal = out["ns"].personal
    assert personal and personal[0][0] in ("", "INBOX.")
    delim = out["list"][0][1].decode()
    assert out["exists"] is True
    children = {name: flags for flags, _, name in out["children"]}
    assert f"Patients{delim}Dupont" in children or "Patients/Dupont" in children
    assert out["lsub"] and out["lsub"][0][2].endswith("Durand")
    assert out["status"][b"MESSAGES"] == 0 and out["status"][b"UIDNEXT"] >= 1
    assert not any("Durand" in name for name in out["after"])


def _messages(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t) as c:
        out["select"] = c.select_folder("INBOX")
        uids = c.search("ALL")
        out["uids"] = uids
        out["search_from"] = c.search(["FROM", "secretariat@clinique.test"])
        out["search_subject"] = c.search(["SUBJECT", "0003"])
        out["search_since"] = c.search(["SENTSINCE", datetime(2024, 1, 1).date()])
        out["search_unseen"] = c.search("UNSEEN")
        out["fetch"] = c.fetch(uids[:2], ["ENVELOPE", "FLAGS", "RFC822.SIZE", "INTERNALDATE",
                                          "BODYSTRUCTURE", "BODY.PEEK[]"])
        out["headers"] = c.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        out["add_flags"] = c.add_flags(uids[0], [SEEN, b"\\Flagged", b"$Important"])
        out["get_flags"] = c.get_flags(uids[:2])
        out["remove_flags"] = c.remove_flags(uids[0], [b"\\Flagged"])
        out["search_seen"] = c.search("SEEN")
        out["search_keyword"] = c.search(["KEYWORD", "$Important"])
        when = datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
        out["append"] = c.append("INBOX", make_message(99, subject="Brouillon ajouté"),
                                 flags=[b"\\Draft"], msg_time=when)
        out["appended"] = c.search(["SUBJECT", "Brouillon"])
        out["appended_fetch"] = c.fetch(out["appended"], ["FLAGS", "INTERNALDATE"])
        out["copy"] = c.copy(uids[1], "Archive")
        out["move"] = c.move(uids[2], "Trash")
        out["after_move"] = c.search("ALL")
        c.set_flags(uids[3], [b"\\Deleted"])
        out["expunge"] = c.expunge()
        out["after_expunge"] = c.search("ALL")
        out["archive"] = c.folder_status("Archive", [b"MESSAGES"])
        out["trash"] = c.folder_status("Trash", [b"MESSAGES"])
        c.select_folder("Trash", readonly=True)
        out["trash_subject"] = c.fetch("1:*", ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        c.unselect_folder()
    return out


async def test_imapclient_messages(target: Target) -> None:
    for i in range(1, 6):
        await target.deliver(DOCTOR, make_message(i))
    out = await asyncio.to_thread(_messages, target)
    assert out["select"][b"EXISTS"] == 5
    assert b"\\Seen" in out["select"][b"FLAGS"]
    uids = out["uids"]
    assert len(uids) == 5 and uids == sorted(uids)
    assert out["search_from"] == uids
    assert out["search_subject"] == [uids[2]]
    assert out["search_since"] == uids
    assert out["search_unseen"] == uids
    first = out["fetch"][uids[0]]
    env = first[b"ENVELOPE"]
    assert env.subject == b"Compte rendu 0001"
    assert env.from_[0].mailbox == b"secretariat" and env.from_[0].host == b"clinique.test"
    assert env.to[0].mailbox == b"jean.martin"
    assert env.message_id == b"<interop-0001.jean.martin@clinique.test>"
    assert first[b"RFC822.SIZE"] == len(make_message(1))
    assert first[b"BODY[]"] == make_message(1)
    assert set(first[b"FLAGS"]) <= {b"\\Recent"}
    assert first[b"BODYSTRUCTURE"][0].lower() == b"text"
    subjects = [out["headers"][u][b"BODY[HEADER.FIELDS (SUBJECT)]"] for u in uids]
    assert subjects[4] == b"Subject: Compte rendu 0005\r\n\r\n"
    assert set(out["add_flags"][uids[0]]) >= {b"\\Seen", b"\\Flagged", b"$Important"}
    assert set(out["get_flags"][uids[0]]) >= {b"\\Seen", b"\\Flagged"}
    assert b"\\Flagged" not in out["remove_flags"][uids[0]]
    assert out["search_seen"] == [uids[0]]
    assert out["search_keyword"] == [uids[0]]
    assert out["appended"] and out["appended"][0] > uids[-1]
    fetched = out["appended_fetch"][out["appended"][0]]
    assert b"\\Draft" in fetched[b"FLAGS"]
    assert fetched[b"INTERNALDATE"].replace(tzinfo=None) == datetime(2024, 2, 3, 4, 5, 6) \
        or fetched[b"INTERNALDATE"].astimezone(UTC) == datetime(2024, 2, 3, 4, 5, 6,
                                                                 tzinfo=UTC)
    assert uids[2] not in out["after_move"] and uids[1] in out["after_move"]
    assert uids[3] not in out["after_expunge"]
    assert len(out["after_expunge"]) == 4  # 5 + appended - moved - expunged
    assert out["archive"][b"MESSAGES"] == 1 and out["trash"][b"MESSAGES"] == 1
    (trash_msg,) = out["trash_subject"].values()
    assert trash_msg[b"BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: Compte rendu 0003\r\n\r\n"


def _two_sessions(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    a, b = _connect(t), _connect(t)
    try:
        a.select_folder("INBOX")
        b.select_folder("INBOX")
        uids = a.search("ALL")
        a.add_flags(uids[0], [b"\\Answered"])
        out["b_noop_flags"] = b.noop()
        a.move(uids[1], "Archive")
        out["b_noop_move"] = b.noop()
        out["b_search"] = b.search("ALL")
        out["uids"] = uids
    finally:
        a.logout()
        b.logout()
    return out


async def test_imapclient_second_session_sees_changes(target: Target) -> None:
    await target.deliver(DOCTOR, make_message(1))
    await target.deliver(DOCTOR, make_message(2))
    out = await asyncio.to_thread(_two_sessions, target)
    _, flags_updates = out["b_noop_flags"]
    fetched = {item[0]: dict(zip(item[2][::2], item[2][1::2], strict=True))
               for item in flags_updates if len(item) == 3 and item[1] == b"FETCH"}
    assert b"\\Answered" in fetched[1][b"FLAGS"], flags_updates
    _, move_updates = out["b_noop_move"]
    assert (2, b"EXPUNGE") in move_updates, move_updates
    assert out["b_search"] == [out["uids"][0]]


def _isolation(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    c = IMAPClient(t.host, t.tls_port, ssl=True, ssl_context=t.ssl_context(), timeout=10)
    try:
        c.login(NURSE, PASSWORD)
        out["folders"] = [f[2] for f in c.list_folders()]
        out["select"] = c.select_folder("INBOX")
        out["search"] = c.search("ALL")
    finally:
        c.logout()
    return out


async def test_imapclient_other_account_sees_nothing(target: Target) -> None:
    await target.deliver(DOCTOR, make_message(1))
    out = await asyncio.to_thread(_isolation, target)
    assert out["select"][b"EXISTS"] == 0 and out["search"] == []
    assert not any("jean" in name for name in out["folders"])
