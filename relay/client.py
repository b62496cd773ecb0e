"""SMTP client side of the relay: mutual TLS to a peer operator, one transaction per
destination, connections reused and capped per destination.

Never in clear: a peer that does not offer STARTTLS, fails the handshake, or presents a
certificate that does not chain to the pinned CA is a temporary failure, nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiosmtplib

from crypto import peer_subject_dn
from relay.routes import Hop

log = logging.getLogger(__name__)
IDLE_REUSE = 30.0  # close pooled connections idle longer than this


class TempFailure(Exception):
    """A failure that is worth retrying later (4xx, network, TLS, peer not trusted yet)."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Reply:
    code: int
    message: str

    @property
    def text(self) -> str:
        return f"{self.code} {self.message}".strip()

    @property
    def kind(self) -> str:
        if 200 <= self.code < 300:
            return "ok"
        return "perm" if self.code >= 500 else "temp"


@dataclass
class RcptResult:
    address: str
    reply: Reply


def client_tls_context(ca_file: str, cert_file: str, key_file: str) -> ssl.SSLContext:
    """Pinned CA only; TLS >= 1.2; our operator certificate as client certificate.

    The host name is not checked: identity in the trust space is the certificate subject DN
    listed for the recipient domain, which the caller verifies on every transaction.
    """
    from crypto import client_context

    return client_context(ca_file, cert_file, key_file, check_hostname=False)


class PeerConnection:
    def __init__(self, hop: Hop, smtp: aiosmtplib.SMTP, dn: str, tls_version: str | None
                 ) -> None:
        self.hop = hop
        self.smtp = smtp
        self.peer_dn = dn
        self.tls_version = tls_version
        self.last_used = time.monotonic()
        self.broken = False

    @classmethod
    async def open(cls, hop: Hop, ctx: ssl.SSLContext, *, local_hostname: str,
                   connect_timeout: float, command_timeout: float) -> PeerConnection:
        smtp = aiosmtplib.SMTP(hostname=hop.host, port=hop.port, start_tls=False,
                               tls_context=ctx, local_hostname=local_hostname,
                               timeout=command_timeout)
        try:
            await smtp.connect(timeout=connect_timeout)
            await smtp.ehlo()
            if not smtp.supports_extension("starttls"):
                raise TempFailure(f"{hop} does not offer STARTTLS; nothing is sent in clear")
            await smtp.starttls(server_hostname=hop.host, timeout=connect_timeout)
            ssl_object = smtp.get_transport_info("ssl_object")
            if ssl_object is None:
                raise TempFailure(f"{hop}: TLS was not established")
            dn = peer_subject_dn(ssl_object)
            if dn is None:
                raise TempFailure(f"{hop} presented no certificate")
            version = ssl_object.version()
            await smtp.ehlo()
        except TempFailure:
            smtp.close()
            raise
        except aiosmtplib.SMTPResponseException as exc:
            smtp.close()
            raise TempFailure(f"{hop}: {exc.code} {exc.message}", code=exc.code) from None
        except (TimeoutError, aiosmtplib.SMTPException, ssl.SSLError, OSError) as exc:
            smtp.close()
            raise TempFailure(f"{hop}: {type(exc).__name__}: {exc}") from None
        return cls(hop, smtp, dn, version)

    @property
    def supports_dsn(self) -> bool:
        return self.smtp.supports_extension("dsn")

    @property
    def usable(self) -> bool:
        return not self.broken and self.smtp.is_connected \
            and time.monotonic() - self.last_used < IDLE_REUSE

    async def transaction(self, mail_from: str, mail_options: list[str],
                          rcpts: list[tuple[str, list[str]]], data: bytes
                          ) -> tuple[list[RcptResult], Reply | None]:
        """MAIL, every RCPT, DATA if one was accepted. Returns the RCPT replies and the
        DATA reply (None if no recipient was accepted). Raises TempFailure on a network or
        protocol failure before the peer confirmed the message (then nothing was accepted).
        A refused MAIL is reported as every RCPT getting the MAIL reply."""
        smtp = self.smtp
        try:
            try:
                # mail_options only ever carry RET and ENVID (DSN): dropped without DSN.
                await smtp.mail(mail_from, options=mail_options if self.supports_dsn else [])
            except aiosmtplib.SMTPSenderRefused as exc:
                reply = Reply(exc.code, exc.message)
                await self._reset()
                return [RcptResult(a, reply) for a, _ in rcpts], None
            results = []
            for address, options in rcpts:
                opts = options if self.supports_dsn else []
                try:
                    resp = await smtp.rcpt(address, options=opts)
                    results.append(RcptResult(address, Reply(resp.code, resp.message)))
                except aiosmtplib.SMTPRecipientRefused as exc:
                    results.append(RcptResult(address, Reply(exc.code, exc.message)))
            if not any(r.reply.kind == "ok" for r in results):
                await self._reset()
                return results, None
            try:
                resp = await smtp.data(data)
                reply = Reply(resp.code, resp.message)
            except aiosmtplib.SMTPDataError as exc:
                reply = Reply(exc.code, exc.message)
                if exc.code < 400:  # e.g. 554 before DATA with no valid recipients
                    reply = Reply(451, exc.message)
            return results, reply
        except (TimeoutError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError,
                ssl.SSLError, OSError) as exc:
            self.broken = True
            raise TempFailure(f"{self.hop}: connection lost: {type(exc).__name__}: {exc}"
                              ) from None
        except aiosmtplib.SMTPResponseException as exc:
            self.broken = True
            raise TempFailure(f"{self.hop}: {exc.code} {exc.message}", code=exc.code) from None
        except aiosmtplib.SMTPException as exc:
            self.broken = True
            raise TempFailure(f"{self.hop}: {exc}") from None
        finally:
            self.last_used = time.monotonic()

    async def _reset(self) -> None:
        try:
            await self.smtp.rset()
        except aiosmtplib.SMTPException:
            self.broken = True

    async def close(self) -> None:
        try:
            if self.smtp.is_connected and not self.broken:
                await asyncio.wait_for(self.smtp.quit(), 5)
        except (TimeoutError, aiosmtplib.SMTPException, OSError, ssl.SSLError):
            pass
        finally:
            self.smtp.close()


class ConnectionPool:
    """At most `cap` connections per destination host; idle ones are reused."""

    def __init__(self, ctx: ssl.SSLContext, *, cap: int, local_hostname: str,
                 connect_timeout: float, command_timeout: float) -> None:
        self.ctx = ctx
        self.cap = max(1, cap)
        self.local_hostname = local_hostname
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout
        self._sems: dict[Hop, asyncio.Semaphore] = {}
        self._idle: dict[Hop, list[PeerConnection]] = defaultdict(list)
        self.opened = 0  # connections opened so far (tests and metrics)

    @asynccontextmanager
    async def connection(self, hop: Hop) -> AsyncIterator[PeerConnection]:
        sem = self._sems.setdefault(hop, asyncio.Semaphore(self.cap))
        async with sem:
            conn = None
            idle = self._idle[hop]
            while idle:
                c = idle.pop()
                if c.usable:
                    conn = c
                    break
                await c.close()
            if conn is None:
                conn = await PeerConnection.open(
                    hop, self.ctx, local_hostname=self.local_hostname,
                    connect_timeout=self.connect_timeout, command_timeout=self.command_timeout)
                self.opened += 1
            ok = False
            try:
                yield conn
                ok = True
            finally:
                if ok and not conn.broken and conn.smtp.is_connected:
                    conn.last_used = time.monotonic()
                    idle.append(conn)
                else:
                    await conn.close()

    async def reap(self) -> None:
        for _hop, idle in self._idle.items():
            keep = []
            for c in idle:
                if c.usable:
                    keep.append(c)
                else:
                    await c.close()
            idle[:] = keep

    async def close(self) -> None:
        for idle in self._idle.values():
            for c in idle:
                await c.close()
            idle.clear()
