"""One IMAP connection: bytes in -> framer -> parser -> session -> bytes out.

An ``asyncio.Protocol`` feeds the framer and wakes the connection's single task, which
runs commands one at a time.  The same wake-up serves store events while the client is in
IDLE, so an idle connection costs one suspended task and a few small objects.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from typing import TYPE_CHECKING

from crypto import peer_certificate

from .proto import (
    BadCharset,
    CommandFramer,
    CompleteCommand,
    FramingError,
    NeedContinuation,
    ParseError,
    parse_command,
)
from .proto import responses as r
from .proto.codes import TOOBIG, UNAVAILABLE, badcharset
from .session import Session
from .states import State

if TYPE_CHECKING:
    from cryptography import x509

    from mailserver.limits import ConnectionRegistry
    from mailserver.services import MailServices

    from .cache import AccountCaches

log = logging.getLogger("mailserver.imap")
PREAUTH_LITERAL = 64 * 1024  # literals before login (RFC 7888 §4 "LITERAL-" spirit)
HIGH_WATER = 512 * 1024  # pause reading when this much is waiting to be framed
GREETING_TEXT = "mssante IMAP4rev1 ready"


class ImapConnection(asyncio.Protocol):
    """asyncio protocol + the connection's task."""

    __slots__ = ("_eof", "_paused", "_peer", "_starttls_ctx", "_task", "_tls", "_unframed",
                 "_waiter", "_window_count", "_window_start", "_woken", "_write_paused",
                 "framer", "registry", "services", "session", "transport")

    def __init__(self, services: MailServices, registry: ConnectionRegistry[ImapConnection],
                 caches: AccountCaches, starttls_ctx: ssl.SSLContext | None,
                 implicit_tls: bool) -> None:
        limits = services.settings.limits
        self.services = services
        self.registry = registry
        self._starttls_ctx = starttls_ctx
        self._tls = implicit_tls
        self.framer = CommandFramer(limits.imap_max_line_length, PREAUTH_LITERAL)
        self.session = Session(services, self, caches, starttls_port=not implicit_tls)
        self.transport: asyncio.Transport | None = None
        self._peer = ""
        self._waiter: asyncio.Future[None] | None = None
        self._woken = False
        self._eof = False
        self._unframed = 0
        self._paused = False
        self._write_paused: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._window_start = 0.0
        self._window_count = 0

    # -- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else "unknown"
        if self.registry.admit(self, self._peer) is not None:
            transport.write(r.bye("Too many connections", UNAVAILABLE).to_bytes())
            transport.close()
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    def data_received(self, data: bytes) -> None:
        self.framer.feed(data)
        self._unframed += len(data)
        if self._unframed > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self.wake()

    def eof_received(self) -> bool | None:
        self._eof = True
        self.wake()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self.registry.release(self)
        self.wake()
        if self._write_paused is not None and not self._write_paused.done():
            self._write_paused.set_result(None)

    def pause_writing(self) -> None:
        if self._write_paused is None or self._write_paused.done():
            self._write_paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._write_paused is not None and not self._write_paused.done():
            self._write_paused.set_result(None)

    # -- Io (used by the session) --------------------------------------------------------
    @property
    def tls(self) -> bool:
        return self._tls

    @property
    def peer(self) -> str:
        return self._peer

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def drain(self) -> None:
        if self._write_paused is not None and not self._write_paused.done():
            await self._write_paused

    def wake(self) -> None:
        self._woken = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def set_literal_limit(self, size: int) -> None:
        self.framer.max_literal_size = size
        self.framer.max_command_size = size + 16 * self.framer.max_line_length

    def peer_certificate(self) -> x509.Certificate | None:
        if not self._tls or self.transport is None:
            return None
        obj = self.transport.get_extra_info("ssl_object")
        if obj is None:
            return None
        return peer_certificate(obj)

    async def _wait(self, seconds: float) -> bool:
        """Sleep until woken (data, EOF, event); False on timeout."""
        if self._woken:
            self._woken = False
            return True
        if seconds <= 0:
            return False
        if self._paused and self.transport is not None:
            self._paused = False
            self._unframed = 0
            self.transport.resume_reading()
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(self._waiter, seconds)
        except TimeoutError:
            return False
        finally:
            self._waiter = None
            self._woken = False
        return True

    async def _next_event(self, seconds: float) -> CompleteCommand | FramingError | \
            NeedContinuation | str:
        """The next framer event, or "eof" / "timeout"."""
        deadline = time.monotonic() + seconds
        while True:
            event = self.framer.next_event()
            if event is not None:
                return event
            if self._eof:
                return "eof"
            if not await self._wait(deadline - time.monotonic()):
                return "timeout"

    async def read_line(self) -> bytes | None:
        """A client line outside a command (SASL response, IDLE's DONE)."""
        timeout = float(self.services.settings.limits.imap_idle_timeout)
        event = await self._next_event(timeout)
        if isinstance(event, CompleteCommand):
            return event.raw
        if isinstance(event, str):
            return None
        return b""

    async def wait_idle(self, seconds: float) -> str:
        """In IDLE: "line" (client sent something), "event", "eof" or "timeout"."""
        deadline = time.monotonic() + seconds
        while True:
            if self.framer.in_command:
                return "line"
            if self._eof:
                return "eof"
            if self.session.has_events():
                return "event"
            if not await self._wait(deadline - time.monotonic()):
                return "timeout"

    async def start_tls(self) -> bool:
        """Upgrade after ``OK Begin TLS`` (RFC 3501 §6.2.1); pipelined plaintext dropped."""
        assert self.transport is not None and self._starttls_ctx is not None
        self.framer = CommandFramer(self.framer.max_line_length, PREAUTH_LITERAL)
        loop = asyncio.get_running_loop()
        try:
            new = await loop.start_tls(self.transport, self, self._starttls_ctx,
                                       server_side=True, ssl_handshake_timeout=30)
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            log.info("imap STARTTLS failed from %s: %s", self._peer, exc)
            self._eof = True
            self.transport.abort()
            return False
        if new is None:
            self._eof = True
            return False
        self.transport = new
        self._tls = True
        return True

    # -- the connection's task ---------------------------------------------------------
    async def _run(self) -> None:
        try:
            from .capabilities import capabilities
            from .proto.codes import capability

            self.write(r.Untagged("OK", GREETING_TEXT,
                                  capability(capabilities(self.session))).to_bytes())
            await self._loop()
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("imap connection from %s failed", self._peer)
        finally:
            self.session.close()
            if self.transport is not None:
                self.transport.close()

    async def _loop(self) -> None:
        limits = self.services.settings.limits
        while self.session.state is not State.LOGOUT:
            event = await self._next_event(float(limits.imap_idle_timeout))
            if event == "timeout":
                self.write(r.bye("Autologout; idle for too long").to_bytes())
                return
            if event == "eof":
                return
            if isinstance(event, NeedContinuation):
                self.write(b"+ Ready for literal data\r\n")
            elif isinstance(event, FramingError):
                self._framing_error(event)
            elif isinstance(event, CompleteCommand):
                await self._throttle(limits.imap_commands_per_second)
                await self._command(event.raw)
                await self.drain()

    def _framing_error(self, event: FramingError) -> None:
        code = TOOBIG if event.code == "TOOBIG" else None
        if event.tag is None:
            self.write(r.Untagged("BAD", event.text, code).to_bytes())
        elif code is not None:
            self.write(r.Tagged(event.tag, "NO", event.text, code).to_bytes())
        else:
            self.write(r.Tagged(event.tag, "BAD", event.text).to_bytes())

    async def _command(self, raw: bytes) -> None:
        try:
            cmd = parse_command(raw)
        except BadCharset as exc:
            resp: r.Tagged | r.Untagged = (
                r.Untagged("NO", exc.message, badcharset()) if exc.tag is None
                else r.Tagged(exc.tag, "NO", exc.message, badcharset()))
            self.write(resp.to_bytes())
            return
        except ParseError as exc:
            if exc.tag is None:
                self.write(r.Untagged("BAD", exc.message).to_bytes())
            else:
                self.write(r.Tagged(exc.tag, "BAD", exc.message).to_bytes())
            return
        await self.session.handle(cmd)

    async def _throttle(self, per_second: int) -> None:
        """At most ``per_second`` commands a second: extra ones wait (a soft limit)."""
        now = time.monotonic()
        if now - self._window_start >= 1.0:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        if per_second > 0 and self._window_count > per_second:
            await asyncio.sleep(self._window_start + 1.0 - now)
            self._window_start, self._window_count = time.monotonic(), 1

    # -- shutdown ----------------------------------------------------------------------
    def shutdown(self, text: str = "Server shutting down") -> None:
        self.write(r.bye(text).to_bytes())
        self._eof = True
        if self.transport is not None:
            self.transport.close()
        self.wake()

    async def wait_closed(self) -> None:
        if self._task is not None:
            await asyncio.wait({self._task})
