"""A minimal SMTP peer for worker tests: STARTTLS (optional), records what it is sent."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field


@dataclass
class FakePeer:
    ctx: ssl.SSLContext | None          # None: does not offer STARTTLS
    rcpt_reply: dict[str, str] = field(default_factory=dict)  # address -> reply
    data_reply: str = "250 2.0.0 OK"
    connections: int = 0
    concurrent: int = 0
    max_concurrent: int = 0
    commands: list[str] = field(default_factory=list)
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                      ) -> None:
        self.connections += 1
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        mail_from, rcpts = "", []
        tls = False

        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        try:
            await say("220 fake ESMTP")
            while True:
                line = (await reader.readline()).decode().rstrip("\r\n")
                if not line:
                    return
                verb = line.split(" ", 1)[0].upper()
                self.commands.append(verb)
                if verb == "EHLO":
                    ext = ["fake", "PIPELINING", "DSN", "8BITMIME"]
                    if self.ctx is not None and not tls:
                        ext.append("STARTTLS")
                    for e in ext[:-1]:
                        writer.write(f"250-{e}\r\n".encode())
                    await say(f"250 {ext[-1]}")
                elif verb == "STARTTLS" and self.ctx is not None:
                    await say("220 go ahead")
                    await writer.start_tls(self.ctx)
                    tls = True
                elif verb == "MAIL":
                    mail_from, rcpts = line[10:].split(">")[0].lstrip("<"), []
                    await say("250 2.1.0 OK")
                elif verb == "RCPT":
                    addr = line[8:].split(">")[0].lstrip("<")
                    reply = self.rcpt_reply.get(addr, "250 2.1.5 OK")
                    if reply.startswith("2"):
                        rcpts.append(addr)
                    await say(reply)
                elif verb == "DATA":
                    await say("354 go")
                    data = b""
                    while True:
                        chunk = await reader.readline()
                        if chunk == b".\r\n":
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    if self.data_reply.startswith("2"):
                        self.messages.append((mail_from, rcpts, data))
                    await say(self.data_reply)
                elif verb == "RSET" or verb == "NOOP":
                    await say("250 2.0.0 OK")
                elif verb == "QUIT":
                    await say("221 bye")
                    return
                else:
                    await say("502 5.5.1 no")
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            return
        finally:
            self.concurrent -= 1
            writer.close()
