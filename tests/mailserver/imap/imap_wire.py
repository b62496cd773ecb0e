"""A small first-party IMAP test client speaking raw bytes.

Every server byte it reads is checked by the grammar oracle (``assert_valid_response``).
``normalise`` hides only what must vary between runs (UIDVALIDITY, internal dates).
"""

from __future__ import annotations

import asyncio
import re
import ssl

from tests.mailserver.imap.proto.oracle import assert_valid_response

_LITERAL = re.compile(rb"\{(\d+)\}\r\n\Z")
_NORMALISE = [
    (re.compile(rb"UIDVALIDITY \d+"), b"UIDVALIDITY <v>"),
    (re.compile(rb"APPENDUID \d+"), b"APPENDUID <v>"),
    (re.compile(rb"COPYUID \d+"), b"COPYUID <v>"),
    (re.compile(rb'INTERNALDATE "[^"]*"'), b'INTERNALDATE "<date>"'),
    (re.compile(rb"APPENDLIMIT=\d+"), b"APPENDLIMIT=<n>"),
]


def normalise(data: bytes) -> bytes:
    for pattern, repl in _NORMALISE:
        data = pattern.sub(repl, data)
    return data


class Wire:
    """One raw connection; ``cmd`` sends a tagged command and returns the whole answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.greeting = b""
        self._n = 0

    @classmethod
    async def connect(cls, port: int, ctx: ssl.SSLContext | None = None) -> Wire:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                                       limit=1 << 24)
        wire = cls(reader, writer)
        wire.greeting = await wire.response()
        return wire

    async def response(self, wait: float = 10.0) -> bytes:
        """One server response (following literals), oracle-checked."""
        out = b""
        while True:
            line = await asyncio.wait_for(self.reader.readline(), wait)
            if not line:
                raise ConnectionError(f"server closed; had {out!r}")
            out += line
            m = _LITERAL.search(line)
            if m is None:
                break
            out += await asyncio.wait_for(self.reader.readexactly(int(m.group(1))), wait)
        if not out.startswith(b"+"):
            assert_valid_response(out)
        return out

    async def until_tagged(self, tag: bytes, wait: float = 10.0) -> bytes:
        out = b""
        while True:
            resp = await self.response(wait)
            out += resp
            if resp.startswith(tag + b" "):
                return out

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    def tag(self) -> bytes:
        self._n += 1
        return b"t%d" % self._n

    async def cmd(self, command: bytes | str, tag: bytes | None = None) -> bytes:
        """Send ``tag command CRLF``; returns all responses up to the tagged one."""
        if isinstance(command, str):
            command = command.encode()
        tag = tag or self.tag()
        self.send(tag + b" " + command + b"\r\n")
        return await self.until_tagged(tag)

    async def login(self, user: str, password: str) -> bytes:
        out = await self.cmd(f'LOGIN "{user}" "{password}"')
        assert b" OK " in out.splitlines()[-1], out
        return out

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass


def client_context(ca_file: object) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_file))
    ctx.check_hostname = False
    return ctx


def split(data: bytes) -> list[bytes]:
    """Responses in ``data`` (literals followed), as whole byte strings."""
    from tests.mailserver.imap.proto.oracle import split_responses

    return [b"".join(segments) for segments in split_responses(data)]


def script(text: str) -> bytes:
    """Transcript text (LF line ends, as written in tests) -> wire bytes (CRLF)."""
    return text.strip("\n").replace("\n", "\r\n").encode() + b"\r\n"


async def exchange(wire: Wire, send: bytes | str, expect: str | bytes) -> bytes:
    """Send client bytes; read as many responses as ``expect`` holds; compare normalised."""
    data = script(send) if isinstance(send, str) else send
    expected = script(expect) if isinstance(expect, str) else expect
    wire.send(data)
    got = b""
    for _ in split(expected):
        got += await wire.response()
    assert normalise(got) == expected, "\n" + normalise(got).decode("utf-8", "replace")
    return got
