"""A first-party raw SMTP client on asyncio streams, and byte-exact transcripts.

A transcript is a list of lines: "C: text" is sent as one command line (CRLF added),
"S: text" is the exact next line the server must send (CRLF removed), where only `<id>`
stands for a 12-hex-digit transaction id; "TLS" upgrades the connection (after the 220 of
STARTTLS) with `tls`. Nothing is normalised: a reply differing by one
byte fails the test, with the whole exchange so far in the message.
"""

from __future__ import annotations

import asyncio
import re
import ssl


class SmtpWire:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.reader = reader
        self.writer = writer
        self.seen: list[str] = []

    @classmethod
    async def connect(cls, port: int, tls: ssl.SSLContext, *, implicit: bool = False
                      ) -> SmtpWire:
        """`tls`: for STARTTLS later, or at once when `implicit` (port 465)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       ssl=tls if implicit else None)
        return cls(reader, writer, tls)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self) -> bytes:
        async with asyncio.timeout(10):
            raw = await self.reader.readuntil(b"\r\n")
        return raw[:-2]

    async def starttls(self, ctx: ssl.SSLContext) -> None:
        await self.writer.start_tls(ctx)

    async def play(self, script: list[str], **fields: str) -> None:
        """Run `script` (each line formatted with `fields`), asserting every server line."""
        for step in script:
            step = step.format(**fields)
            if step == "TLS":
                self.seen.append("-- TLS --")
                assert self.tls is not None
                await self.starttls(self.tls)
                continue
            who, _, text = step.partition(": ")
            if who == "C":
                self.seen.append(step)
                await self.send(text.encode() + b"\r\n")
            else:
                assert who == "S", step
                got = (await self.line()).decode("utf-8", "replace")
                self.seen.append(f"S: {got}")
                pattern = re.escape(text).replace(re.escape("<id>"), "[0-9a-f]{12}")
                assert re.fullmatch(pattern, got), \
                    "\n".join(self.seen) + f"\n   expected S: {text}"

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass
