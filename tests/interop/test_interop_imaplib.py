"""Python's standard `imaplib` on both listeners (STARTTLS and implicit TLS)."""

from __future__ import annotations

import asyncio
import imaplib
import re

import pytest
from interop_support import Target, make_message

from tests.conftest import DOCTOR, NURSE, PASSWORD, PG_SKIP


def _starttls_session(t: Target) -> dict[str, object]:
    seen: dict[str, object] = {}
    c = imaplib.IMAP4(t.host, t.starttls_port, timeout=10)
    try:
        seen["pre_caps"] = set(c.capabilities)
        # RFC 3501 6.2.3: LOGIN is refused on a cleartext connection that says LOGINDISABLED.
        # (Dovecot counts loopback as secure, so only ask ours.)
        if t.kind == "mssante":
            try:
                c.login(DOCTOR, PASSWORD)
                seen["cleartext_login"] = "accepted"
            except imaplib.IMAP4.error as exc:
                seen["cleartext_login"] = str(exc)
        typ, _ = c.starttls(ssl_context=t.ssl_context())
        seen["starttls"] = typ
        seen["post_caps"] = set(c.capabilities)
        typ, _ = c.login(DOCTOR, PASSWORD)
        seen["login"] = typ
        typ, data = c.select("INBOX")
        seen["select"] = (typ, data)
        seen["search"] = c.search(None, "ALL")
        seen["fetch"] = c.fetch("1", "(FLAGS RFC822.SIZE BODY.PEEK[])")
        seen["uid_fetch"] = c.uid("FETCH", "1:*", "(UID FLAGS)")
        seen["noop"] = c.noop()
        seen["close"] = c.close()
        seen["logout"] = c.logout()[0]
    finally:
        try:
            c.shutdown()
        except OSError:
            pass
    return seen


async def test_imaplib_starttls(target: Target) -> None:
    raws = [make_message(i) for i in range(3)]
    for raw in raws:  # one by one: UID order = delivery order
        await target.deliver(DOCTOR, raw)
    seen = await asyncio.to_thread(_starttls_session, target)
    assert "STARTTLS" in seen["pre_caps"]
    if target.kind == "mssante":
        assert "LOGINDISABLED" in seen["pre_caps"]
        assert seen["cleartext_login"] != "accepted"
    assert seen["starttls"] == "OK"
    assert "LOGINDISABLED" not in seen["post_caps"] and "STARTTLS" not in seen["post_caps"]
    assert "IMAP4REV1" in seen["post_caps"]
    assert seen["login"] == "OK"
    assert seen["select"] == ("OK", [b"3"])
    assert seen["search"] == ("OK", [b"1 2 3"])
    typ, data = seen["fetch"]
    assert typ == "OK"
    head, body = data[0]
    assert re.search(rb"RFC822\.SIZE %d" % len(body), head), head
    assert body == raws[0]
    typ, data = seen["uid_fetch"]
    assert typ == "OK" and len(data) == 3
    assert all(b"\\Seen" not in line for line in data)  # BODY.PEEK does not set \Seen
    assert seen["noop"][0] == "OK" and seen["close"][0] == "OK"
    assert seen["logout"] == "BYE"


def _tls_session(t: Target, user: str, password: str) -> dict[str, object]:
    seen: dict[str, object] = {}
    with imaplib.IMAP4_SSL(t.host, t.tls_port, ssl_context=t.ssl_context(), timeout=10) as c:
        seen["caps"] = set(c.capabilities)
        try:
            c.login(user, "wrong " + password)
            seen["bad_login"] = "accepted"
        except imaplib.IMAP4.error as exc:
            seen["bad_login"] = str(exc)
        seen["login"] = c.login(user, password)[0]
        seen["list"] = c.list()
        seen["status"] = c.status("INBOX", "(MESSAGES UIDNEXT UNSEEN)")
        seen["select"] = c.select("INBOX")
        seen["fetch"] = c.fetch("1:*", "(FLAGS BODY[HEADER.FIELDS (SUBJECT)])")
        seen["flags_after"] = c.fetch("1:*", "(FLAGS)")
        seen["store"] = c.store("1", "+FLAGS", "(\\Flagged)")
        seen["search_flagged"] = c.search(None, "FLAGGED")
        c.literal = "numéro".encode()  # sent as a literal: 8-bit text cannot be an atom
        seen["search_subject"] = c.search("UTF-8", "SUBJECT")
        seen["search_text"] = c.search(None, "BODY", "compte")
        c.logout()
    return seen


async def test_imaplib_implicit_tls(target: Target) -> None:
    await target.deliver(NURSE, make_message(1, to=NURSE, subject="Résultats numéro 1"))
    await target.deliver(NURSE, make_message(2, to=NURSE, subject="Other"))
    seen = await asyncio.to_thread(_tls_session, target, NURSE, PASSWORD)
    assert "AUTH=PLAIN" in seen["caps"] and "LOGINDISABLED" not in seen["caps"]
    assert seen["bad_login"] != "accepted"
    assert seen["login"] == "OK"
    typ, folders = seen["list"]
    assert typ == "OK"
    names = {line.rsplit(b" ", 1)[-1].strip(b'"') for line in folders}
    assert {b"INBOX", b"Sent", b"Drafts", b"Trash"} <= names
    typ, data = seen["status"]
    assert typ == "OK" and b"MESSAGES 2" in data[0] and b"UNSEEN 2" in data[0]
    assert seen["select"] == ("OK", [b"2"])
    typ, data = seen["fetch"]
    assert typ == "OK"
    subjects = [part[1] for part in data if isinstance(part, tuple)]
    assert subjects[1] == b"Subject: Other\r\n\r\n"
    # BODY[...] without PEEK sets \Seen (RFC 3501 6.4.5).
    typ, data = seen["flags_after"]
    assert all(b"\\Seen" in line for line in data), data
    assert seen["store"][0] == "OK" and b"\\Flagged" in seen["store"][1][0]
    assert seen["search_flagged"] == ("OK", [b"1"])
    assert seen["search_subject"] == ("OK", [b"1"])
    assert seen["search_text"] == ("OK", [b"1 2"])


@pytest.mark.parametrize("db_kind", [pytest.param("postgresql", marks=[PG_SKIP,
                                                                        pytest.mark.postgres])],
                         indirect=True)
async def test_imaplib_smoke_on_postgresql(target: Target, db_kind: str) -> None:
    await target.deliver(NURSE, make_message(1, to=NURSE, subject="Résultats numéro 1"))
    await target.deliver(NURSE, make_message(2, to=NURSE, subject="Other"))
    seen = await asyncio.to_thread(_tls_session, target, NURSE, PASSWORD)
    assert seen["login"] == "OK"
    assert seen["select"] == ("OK", [b"2"])
    assert seen["search_subject"] == ("OK", [b"1"])
