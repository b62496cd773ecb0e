"""The opening sequences of desktop clients, replayed byte for byte over TLS (commands as
Thunderbird, mutt and Apple Mail send them, from their debug logs): every command must
complete OK and the answers must carry what those clients read from them."""

from __future__ import annotations

import asyncio
import base64
import re
import socket
from typing import Any

from interop_support import Target, make_message

from tests.conftest import DOCTOR, PASSWORD

PLAIN_IR = base64.b64encode(f"\0{DOCTOR}\0{PASSWORD}".encode()).decode()
LITERAL = re.compile(rb"\{(\d+)\}\r\n$")


class Raw:
    """A line-level client: send a tagged command, collect the lines up to its completion."""

    def __init__(self, t: Target) -> None:
        sock = socket.create_connection((t.host, t.tls_port), timeout=10)
        self.sock = t.ssl_context().wrap_socket(sock, server_hostname=t.host)
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline()
        self.transcript: list[bytes] = [b"S: " + self.greeting]

    def line(self) -> bytes:
        line = self.file.readline()
        while (m := LITERAL.search(line)) is not None:
            line += self.file.read(int(m.group(1)))
            line += self.file.readline()
        self.transcript.append(b"S: " + line)
        return line

    def run(self, tag: str, command: str) -> tuple[bytes, list[bytes]]:
        data = f"{tag} {command}\r\n".encode()
        self.transcript.append(b"C: " + data)
        self.sock.sendall(data)
        lines = []
        while True:
            line = self.line()
            if not line:
                raise AssertionError(b"".join(self.transcript).decode(errors="replace"))
            if line.startswith(tag.encode() + b" "):
                return line, lines
            lines.append(line)

    def idle(self, tag: str) -> bytes:
        self.transcript.append(f"C: {tag} IDLE\r\n".encode())
        self.sock.sendall(f"{tag} IDLE\r\n".encode())
        return self.line()

    def done(self, tag: str) -> bytes:
        self.transcript.append(b"C: DONE\r\n")
        self.sock.sendall(b"DONE\r\n")
        while not (line := self.line()).startswith(tag.encode() + b" "):
            if not line:
                break
        return line

    def close(self) -> None:
        self.sock.close()

    def text(self) -> str:
        return b"".join(self.transcript).decode(errors="replace")


def script(t: Target, commands: list[str], idle: bool = False) -> tuple[dict[str, Any], str]:
    out: dict[str, Any] = {}
    c = Raw(t)
    try:
        for i, command in enumerate(commands, 1):
            tag = f"{i}"
            done, lines = c.run(tag, command)
            out[command.split(" ", 1)[0] + f"#{i}"] = (done, lines)
            assert done.split(b" ")[1] == b"OK", c.text()
        if idle:
            n = len(commands) + 1
            out["idle"] = c.idle(str(n))
            out["done"] = c.done(str(n))
        c.run("99", "LOGOUT")
    finally:
        c.close()
    return out, c.text()


THUNDERBIRD = [
    "capability",
    f'login "{DOCTOR}" "{PASSWORD}"',
    'ID ("name" "Thunderbird" "version" "115.16.0")',
    "ENABLE CONDSTORE",
    "namespace",
    'list (subscribed) "" "*"',
    'list (special-use) "" "*"',
    'list "" "INBOX"',
    'select "INBOX" (CONDSTORE)',
    "UID fetch 1:* (FLAGS)",
    "UID fetch 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject "
    "Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type "
    "Reply-To)])",
    "UID fetch 2 (UID RFC822.SIZE BODY.PEEK[])",
    "UID store 2 +Flags (\\Seen)",
    'STATUS "Sent" (UIDNEXT MESSAGES UNSEEN RECENT HIGHESTMODSEQ)',
    "noop",
]

MUTT = [
    "CAPABILITY",
    f'LOGIN "{DOCTOR}" "{PASSWORD}"',
    'LIST "" ""',
    'LSUB "" "*"',
    'STATUS "INBOX" (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)',
    'SELECT "INBOX"',
    "FETCH 1:3 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM "
    "SENDER SUBJECT TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO "
    "REPLY-TO LINES LIST-POST X-LABEL X-ORIGINAL-TO)])",
    "UID FETCH 1 BODY.PEEK[]",
    "UID STORE 1 +FLAGS.SILENT (\\Seen)",
    "CHECK",
    "EXPUNGE",
    "CLOSE",
]

APPLE_MAIL = [
    "CAPABILITY",
    f"AUTHENTICATE PLAIN {PLAIN_IR}",
    'ID ("name" "Mac OS X Mail" "version" "16.0 (3774.600.62)" "os" "Mac OS X")',
    'LIST "" ""',
    'LIST "" "*" RETURN (SPECIAL-USE CHILDREN SUBSCRIBED)',
    'LIST "" "%" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))',
    "SELECT INBOX (CONDSTORE)",
    "UID FETCH 1:* (FLAGS MODSEQ) (CHANGEDSINCE 1)",
    "UID SEARCH 1:* NOT DELETED",
    "UID FETCH 1:3 (INTERNALDATE UID RFC822.SIZE FLAGS MODSEQ BODY.PEEK[HEADER])",
    "UID FETCH 3 BODYSTRUCTURE",
    "UID FETCH 3 (BODY.PEEK[1]<0.4096>)",
    "UNSELECT",
]


async def _prepare(t: Target) -> None:
    for i in range(1, 4):
        await t.deliver(DOCTOR, make_message(i))


async def test_thunderbird_startup(target: Target) -> None:
    await _prepare(target)
    out, transcript = await asyncio.to_thread(script, target, THUNDERBIRD, True)
    lists = [line for key, value in out.items() if key.startswith("list#")
             for line in value[1]]
    assert any(b"\\Sent" in line and b"Sent" in line for line in lists), transcript
    _, select = out["select#9"]
    assert any(b"HIGHESTMODSEQ" in line for line in select), transcript
    assert any(line.startswith(b"* OK [UIDVALIDITY ") for line in select), transcript
    _, fetched = out["UID#11"]
    assert len([line for line in fetched if b" FETCH " in line]) == 3, transcript
    assert out["idle"].startswith(b"+"), transcript
    assert out["done"].startswith(b"16 OK"), transcript


async def test_mutt_startup(target: Target) -> None:
    await _prepare(target)
    out, transcript = await asyncio.to_thread(script, target, MUTT)
    _, status = out["STATUS#5"]
    assert re.search(rb"MESSAGES 3 .*UNSEEN 3", status[0]) or b"MESSAGES 3" in status[0], \
        transcript
    _, lines = out["FETCH#7"]
    assert len([line for line in lines if b" FETCH " in line]) == 3, transcript


async def test_apple_mail_startup(target: Target) -> None:
    await _prepare(target)
    out, transcript = await asyncio.to_thread(script, target, APPLE_MAIL)
    _, listed = out["LIST#5"]
    assert any(b"\\Trash" in line for line in listed), transcript
    _, status = out["LIST#6"]
    assert any(line.startswith(b"* STATUS ") for line in status), transcript
    _, changed = out["UID#8"]
    assert len([line for line in changed if b"MODSEQ" in line]) == 3, transcript
