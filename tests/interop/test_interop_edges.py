"""Edges real clients reach: non-ASCII folder names (modified UTF-7), a large APPEND read back
in pieces, curl uploads, IDLE told about another session's flags and expunges, read-only
EXAMINE, renaming INBOX."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from interop_support import Target, make_message, need_tool

from tests.conftest import DOCTOR, PASSWORD


def _connect(t: Target) -> IMAPClient:
    c = IMAPClient(t.host, t.tls_port, ssl=True, ssl_context=t.ssl_context(), timeout=20)
    c.login(DOCTOR, PASSWORD)
    c.capabilities()
    return c


def _utf7_folders(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t) as c:
        c.create_folder("Résultats")
        c.create_folder("Résultats/Biologie médicale")
        c.append("Résultats/Biologie médicale", make_message(7, subject="NFS"))
        out["list"] = [name for _, _, name in c.list_folders("", "R*")]
        c.folder_encode = False
        out["raw"] = [name for _, _, name in c.list_folders("", "R*")]
        c.folder_encode = True
        out["select"] = c.select_folder("Résultats/Biologie médicale")
        out["fetch"] = c.fetch("1", ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        c.close_folder()
        c.rename_folder("Résultats", "Résultats archivés")
        out["renamed"] = sorted(name for _, _, name in c.list_folders("", "R*"))
    return out


async def test_imapclient_non_ascii_folders(target: Target) -> None:
    out = await asyncio.to_thread(_utf7_folders, target)
    assert set(out["list"]) == {"Résultats", "Résultats/Biologie médicale"}
    assert set(out["raw"]) >= {b"R&AOk-sultats", b"R&AOk-sultats/Biologie m&AOk-dicale"} or \
        set(out["raw"]) >= {"R&AOk-sultats", "R&AOk-sultats/Biologie m&AOk-dicale"}
    assert out["select"][b"EXISTS"] == 1
    assert out["fetch"][1][b"BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: NFS\r\n\r\n"
    assert out["renamed"] == ["Résultats archivés", "Résultats archivés/Biologie médicale"]


def _large(t: Target, raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t) as c:
        out["append"] = c.append("INBOX", raw)
        c.select_folder("INBOX")
        (uid,) = c.search("ALL")
        out["size"] = c.fetch(uid, ["RFC822.SIZE"])[uid][b"RFC822.SIZE"]
        pieces = []
        for start in range(0, len(raw), 1 << 20):  # as Thunderbird's chunked fetch does
            data = c.fetch(uid, [f"BODY.PEEK[]<{start}.{1 << 20}>"])[uid]
            pieces.append(data[f"BODY[]<{start}>".encode()])
        out["chunks"] = pieces
    return out


async def test_large_append_fetched_in_chunks(target: Target) -> None:
    attachment = os.urandom(3 * 1024 * 1024).hex().encode()  # ~6 MB of text
    lines = b"\r\n".join(attachment[i:i + 76] for i in range(0, len(attachment), 76))
    raw = make_message(1, body="x")[:-3] + b"\r\n" + lines + b"\r\n"
    out = await asyncio.to_thread(_large, target, raw)
    assert out["size"] == len(raw)
    assert b"".join(out["chunks"]) == raw


async def test_curl_uploads_a_message(target: Target, tmp_path: Path) -> None:
    exe = need_tool("curl")
    raw = make_message(42, subject="Déposé par curl")
    (tmp_path / "draft.eml").write_bytes(raw)
    proc = await asyncio.create_subprocess_exec(
        exe, "--silent", "--show-error", "--max-time", "20", "--cacert", str(target.cafile),
        "-u", f"{DOCTOR}:{PASSWORD}", "-T", str(tmp_path / "draft.eml"),
        f"imaps://127.0.0.1:{target.tls_port}/Drafts",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 0, err

    def check() -> dict[int, Any]:
        with _connect(target) as c:
            c.select_folder("Drafts", readonly=True)
            return c.fetch("1:*", ["BODY.PEEK[]"])

    fetched = await asyncio.to_thread(check)
    assert [v[b"BODY[]"] for v in fetched.values()] == [raw]


def _idle_sees_other_session(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    watcher, actor = _connect(t), _connect(t)
    try:
        watcher.select_folder("INBOX")
        actor.select_folder("INBOX")
        uids = actor.search("ALL")
        watcher.idle()
        actor.add_flags(uids[0], [b"\\Flagged"])
        actor.add_flags(uids[1], [b"\\Deleted"])
        actor.expunge()
        seen: list[Any] = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.0 and not any(len(r) > 1 and r[1] == b"EXPUNGE"
                                                      for r in seen):
            seen += watcher.idle_check(timeout=0.5)
        out["seen"] = seen
        out["done"] = watcher.idle_done()
        out["after"] = watcher.search("ALL")
    finally:
        watcher.logout()
        actor.logout()
    return out


async def test_idle_reports_other_sessions_flags_and_expunges(target: Target) -> None:
    for i in range(1, 4):
        await target.deliver(DOCTOR, make_message(i))
    out = await asyncio.to_thread(_idle_sees_other_session, target)
    seen = out["seen"]
    assert (2, b"EXPUNGE") in seen, seen
    flag_updates = [r for r in seen if len(r) == 3 and r[1] == b"FETCH" and r[0] == 1]
    assert flag_updates and any(b"\\Flagged" in r[2][r[2].index(b"FLAGS") + 1]
                                for r in flag_updates), seen
    assert len(out["after"]) == 2


def _examine_and_inbox_rename(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with _connect(t) as c:
        out["examine"] = c.select_folder("INBOX", readonly=True)
        try:
            c.add_flags(1, [b"\\Seen"])
            out["store"] = "accepted"
        except IMAPClient.Error as exc:
            out["store"] = str(exc)
        out["flags"] = c.get_flags(c.search("ALL"))
        c.close_folder()
        if t.kind == "dovecot":  # Dovecot's Maildir refuses it ([CANNOT]); RFC 3501 allows it
            return out
        out["rename"] = c.rename_folder("INBOX", "Ancienne boîte")
        out["inbox"] = c.select_folder("INBOX")
        out["moved"] = c.folder_status("Ancienne boîte", [b"MESSAGES"])
    return out


async def test_examine_is_read_only_and_inbox_rename_moves_messages(target: Target) -> None:
    await target.deliver(DOCTOR, make_message(1))
    await target.deliver(DOCTOR, make_message(2))
    out = await asyncio.to_thread(_examine_and_inbox_rename, target)
    assert out["examine"][b"READ-ONLY"] == [b""] or b"READ-ONLY" in out["examine"]
    if target.kind == "mssante":  # Dovecot answers OK and changes nothing
        assert out["store"] != "accepted"
    assert all(b"\\Seen" not in flags for flags in out["flags"].values())
    if target.kind == "dovecot":
        return
    assert out["inbox"][b"EXISTS"] == 0  # RFC 3501 6.3.5: INBOX stays, emptied
    assert out["moved"][b"MESSAGES"] == 2
