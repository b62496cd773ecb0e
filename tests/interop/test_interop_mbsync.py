"""Debian's `mbsync` (isync): a 200-message mailbox synced to a local Maildir and back, with
flag changes and deletions in both directions, over implicit TLS and over STARTTLS."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from interop_support import Target, make_message, need_tool

from tests.conftest import DOCTOR, NURSE, PASSWORD

MAILDIR_FLAGS = {"D": b"\\Draft", "F": b"\\Flagged", "R": b"\\Answered", "S": b"\\Seen",
                 "T": b"\\Deleted"}


def _mbsync_version(exe: str) -> tuple[int, ...]:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)\.(\d+)", out)
    return tuple(int(x) for x in match.groups()) if match else (1, 4)


def write_config(t: Target, folder: Path, user: str, *, mode: str, passcmd: bool) -> Path:
    exe = need_tool("mbsync")
    tls_key = "TLSType" if _mbsync_version(exe) >= (1, 5) else "SSLType"
    port = t.tls_port if mode == "IMAPS" else t.starttls_port
    secret = folder / "password"
    secret.write_text(PASSWORD)
    os.chmod(secret, 0o600)
    auth = f'PassCmd "cat {secret}"' if passcmd else f'Pass "{PASSWORD}"'
    local = folder / "Mail"
    local.mkdir(exist_ok=True)
    rc = folder / "mbsyncrc"
    rc.write_text(f"""\
# mbsync 1.4 matches DNS names only (not IP SANs): the certificate names localhost.
IMAPAccount server
Host localhost
Port {port}
User {user}
{auth}
{tls_key} {mode}
CertificateFile {t.cafile}
Timeout 20

IMAPStore remote
Account server

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel mail
Far :remote:
Near :local:
Patterns INBOX Archive
Create Both
Expunge Both
SyncState *
Sync All
""")
    return rc


async def mbsync(rc: Path) -> str:
    exe = need_tool("mbsync")
    env = dict(os.environ, HOME=str(rc.parent))
    proc = await asyncio.create_subprocess_exec(exe, "-V", "-c", str(rc), "-a",
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT, env=env)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"mbsync failed ({proc.returncode}):\n{text[-4000:]}"
    return text


def normalise(raw: bytes) -> bytes:
    """mbsync stores LF line ends and adds an X-TUID header to what it propagates."""
    return re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", raw.replace(b"\r\n", b"\n"))


def local_state(box: Path) -> dict[bytes, set[bytes]]:
    """Message-ID -> flags of a Maildir (messages flagged T are pending deletion)."""
    state: dict[bytes, set[bytes]] = {}
    for sub in ("cur", "new"):
        for path in (box / sub).iterdir():
            head = BytesHeaderParser().parse(path.open("rb"))
            letters = path.name.split(":2,", 1)[1] if ":2," in path.name else ""
            state[head["Message-ID"].encode()] = {MAILDIR_FLAGS[c] for c in letters
                                                  if c in MAILDIR_FLAGS}
    return state


def find_file(box: Path, message_id: bytes) -> Path:
    for sub in ("cur", "new"):
        for path in (box / sub).iterdir():
            if message_id in path.read_bytes().split(b"\r\n\r\n", 1)[0] or \
                    message_id in path.read_bytes().split(b"\n\n", 1)[0]:
                return path
    raise AssertionError(f"{message_id!r} not in {box}")


def set_local_flags(path: Path, letters: str) -> Path:
    base = path.name.split(":2,", 1)[0]
    dest = path.parent.parent / "cur" / f"{base}:2,{''.join(sorted(letters))}"
    path.rename(dest)
    return dest


def _server(t: Target, user: str, actions: Any = None) -> dict[bytes, set[bytes]]:
    """Run `actions(client, msgid->uid)` on INBOX, then return Message-ID -> flags."""
    with IMAPClient(t.host, t.tls_port, ssl=True, ssl_context=t.ssl_context(),
                    timeout=20) as c:
        c.login(user, PASSWORD)
        c.select_folder("INBOX")

        def state() -> tuple[dict[bytes, set[bytes]], dict[bytes, int]]:
            data = c.fetch("1:*", ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) \
                if c.search("ALL") else {}
            flags, uids = {}, {}
            for uid, item in data.items():
                raw = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
                mid = BytesHeaderParser().parsebytes(raw)["Message-ID"].encode()
                flags[mid] = set(item[b"FLAGS"]) - {b"\\Recent"}
                uids[mid] = uid
            return flags, uids

        if actions is not None:
            actions(c, state()[1])
        return state()[0]


def _mid(i: int, user: str = DOCTOR) -> bytes:
    return f"<interop-{i:04d}.{user.partition('@')[0]}@clinique.test>".encode()


async def test_mbsync_200_messages_both_ways(target: Target, tmp_path: Path) -> None:
    need_tool("mbsync")
    raws = [make_message(i) for i in range(200)]
    for start in range(0, 200, 50):
        await target.deliver(DOCTOR, *raws[start:start + 50])
    rc = write_config(target, tmp_path, DOCTOR, mode="IMAPS", passcmd=False)
    inbox = tmp_path / "Mail" / "INBOX"

    # 1. First sync: everything comes down, byte for byte.
    await mbsync(rc)
    local = local_state(inbox)
    assert len(local) == 200
    assert all(flags == set() for flags in local.values())
    by_id = {_mid(i): raw for i, raw in enumerate(raws)}
    for sub in ("cur", "new"):
        for path in (inbox / sub).iterdir():
            body = path.read_bytes()
            mid = BytesHeaderParser().parsebytes(body)["Message-ID"].encode()
            assert normalise(body) == normalise(by_id[mid]), mid

    # 2. Local changes are pushed: seen, flagged, deleted, and a new message.
    for i in range(0, 10):
        set_local_flags(find_file(inbox, _mid(i)), "S")
    for i in range(10, 15):
        set_local_flags(find_file(inbox, _mid(i)), "FS")
    for i in range(15, 20):
        find_file(inbox, _mid(i)).unlink()
    for i in range(20, 23):
        set_local_flags(find_file(inbox, _mid(i)), "ST")  # trashed: expunged by the sync
    new_local = make_message(500, subject="Écrit hors ligne")
    (inbox / "new" / "1700000000.local500.host").write_bytes(new_local)
    await mbsync(rc)
    server = await asyncio.to_thread(_server, target, DOCTOR)
    assert len(server) == 200 - 5 - 3 + 1
    for i in range(0, 10):
        assert server[_mid(i)] == {b"\\Seen"}, i
    for i in range(10, 15):
        assert server[_mid(i)] == {b"\\Seen", b"\\Flagged"}, i
    for i in range(15, 23):
        assert _mid(i) not in server
    assert server[_mid(500)] == set()
    assert local_state(inbox) == server

    # 3. Server changes are pulled: flags set and cleared, expunges, new deliveries.
    def on_server(c: IMAPClient, uids: dict[bytes, int]) -> None:
        c.add_flags([uids[_mid(i)] for i in range(30, 40)], [b"\\Seen", b"\\Answered"])
        c.remove_flags([uids[_mid(i)] for i in range(0, 5)], [b"\\Seen"])
        c.add_flags([uids[_mid(i)] for i in range(40, 45)], [b"\\Deleted"])
        c.expunge()

    await asyncio.to_thread(_server, target, DOCTOR, on_server)
    await target.deliver(DOCTOR, *(make_message(i) for i in range(300, 303)))
    await mbsync(rc)
    local = local_state(inbox)
    for i in range(30, 40):
        assert local[_mid(i)] == {b"\\Seen", b"\\Answered"}, i
    for i in range(0, 5):
        assert local[_mid(i)] == set(), i
    for i in range(40, 45):
        assert _mid(i) not in local
    for i in range(300, 303):
        assert local[_mid(i)] == set()
    server = await asyncio.to_thread(_server, target, DOCTOR)
    assert local == server
    assert len(local) == 193 - 5 + 3

    # 4. A further sync changes nothing.
    await mbsync(rc)
    assert local_state(inbox) == local
    assert await asyncio.to_thread(_server, target, DOCTOR) == server


async def test_mbsync_starttls_passcmd_and_folders(target: Target, tmp_path: Path) -> None:
    need_tool("mbsync")
    await target.deliver(NURSE, *(make_message(i, to=NURSE) for i in range(10)))
    rc = write_config(target, tmp_path, NURSE, mode="STARTTLS", passcmd=True)
    await mbsync(rc)
    inbox = tmp_path / "Mail" / "INBOX"
    archive = tmp_path / "Mail" / "Archive"
    assert len(local_state(inbox)) == 10
    assert archive.is_dir() and local_state(archive) == {}
    # Move one message to Archive locally: mbsync appends it there and expunges it here.
    path = find_file(inbox, _mid(3, NURSE))
    (archive / "new" / "1700000000.moved3.host").write_bytes(path.read_bytes())
    path.unlink()
    await mbsync(rc)

    def in_archive(t: Target) -> list[bytes]:
        with IMAPClient(t.host, t.tls_port, ssl=True, ssl_context=t.ssl_context(),
                        timeout=20) as c:
            c.login(NURSE, PASSWORD)
            c.select_folder("Archive", readonly=True)
            data = c.fetch("1:*", ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
            return [v[b"BODY[HEADER.FIELDS (SUBJECT)]"] for v in data.values()]

    assert await asyncio.to_thread(in_archive, target) == [b"Subject: Compte rendu 0003\r\n\r\n"]
    server = await asyncio.to_thread(_server, target, NURSE)
    assert len(server) == 9 and _mid(3, NURSE) not in server
