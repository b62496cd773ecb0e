"""The SMTP listeners of one node, all on the running asyncio loop (no Controller thread)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field

from config import Listener
from crypto import server_context, shrink_tls_read_buffer
from mailserver.limits import ConnectionRegistry
from mailserver.services import MailServices
from mailserver.smtp.handler import InboundHandler, SubmissionHandler
from mailserver.smtp.hooks import SmtpHooks
from mailserver.smtp.protocol import MssSMTP
from mailserver.smtp.state import ListenerKind

log = logging.getLogger("mailserver.smtp")
TLS_HANDSHAKE_TIMEOUT = 30.0


@dataclass
class SmtpListener:
    kind: ListenerKind
    server: asyncio.Server
    registry: ConnectionRegistry[MssSMTP]
    handler: SmtpHooks

    @property
    def port(self) -> int:
        return int(self.server.sockets[0].getsockname()[1])


@dataclass
class SmtpServers:
    """The running listeners; `close(grace)` drains them (see its doc)."""

    listeners: dict[ListenerKind, SmtpListener] = field(default_factory=dict)

    def port(self, kind: ListenerKind) -> int:
        return self.listeners[kind].port

    @property
    def sessions(self) -> int:
        return sum(len(lst.registry) for lst in self.listeners.values())

    async def close(self, grace: float = 10.0) -> None:
        """Stop accepting; let transactions in flight finish for up to `grace` seconds
        (idle sessions and new commands get 421 4.3.2), then close whatever remains."""
        for lst in self.listeners.values():
            lst.server.close()
        for lst in self.listeners.values():
            for session in lst.registry.sessions:
                session.begin_shutdown()
        waits = [lst.registry.empty.wait() for lst in self.listeners.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*waits), timeout=grace)
        except TimeoutError:
            log.warning("smtp: %d sessions still open after %.1fs; closing them",
                        self.sessions, grace)
        for lst in self.listeners.values():
            for session in lst.registry.sessions:
                session.abort()
        waits = [lst.registry.empty.wait() for lst in self.listeners.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*waits), timeout=2.0)
        except TimeoutError:
            log.warning("smtp: %d sessions did not close", self.sessions)
        for lst in self.listeners.values():
            try:
                await asyncio.wait_for(lst.server.wait_closed(), timeout=1.0)
            except TimeoutError:
                log.warning("smtp listener %s: connections still closing", lst.kind.value)


def tls_context(cert: object, key: object, ca: object) -> ssl.SSLContext:
    """CERT_OPTIONAL: password users need no certificate; a presented one must verify."""
    return server_context(cert, key, ca)  # type: ignore[arg-type]


async def start_smtp(services: MailServices) -> SmtpServers:
    """Start the MX, implicit-TLS submission and STARTTLS submission listeners that the
    settings enable (a listener set to None is skipped)."""
    shrink_tls_read_buffer()
    # aiosmtpd logs every command line at INFO, addresses included: keep it to warnings.
    aiosmtpd_log = logging.getLogger("mail.log")
    if aiosmtpd_log.level == logging.NOTSET:
        aiosmtpd_log.setLevel(logging.WARNING)
    settings = services.settings
    submission_ctx = tls_context(settings.tls.certificate, settings.tls.private_key,
                                 settings.tls.client_ca)
    mx_ctx = tls_context(settings.tls.certificate, settings.tls.private_key, settings.trust.ca)
    plan: list[tuple[ListenerKind, Listener | None, ssl.SSLContext, SmtpHooks]] = [
        (ListenerKind.MX, settings.listeners.smtp, mx_ctx, InboundHandler(services)),
        (ListenerKind.SUBMISSION_TLS, settings.listeners.submission_tls, submission_ctx,
         SubmissionHandler(services)),
        (ListenerKind.SUBMISSION_STARTTLS, settings.listeners.submission_starttls,
         submission_ctx, SubmissionHandler(services)),
    ]
    servers = SmtpServers()
    try:
        for kind, listener, ctx, handler in plan:
            if listener is None:
                continue
            servers.listeners[kind] = await _listen(services, kind, listener, ctx, handler)
    except BaseException:
        await servers.close(0)
        raise
    return servers


async def _listen(services: MailServices, kind: ListenerKind, listener: Listener,
                  ctx: ssl.SSLContext, handler: SmtpHooks) -> SmtpListener:
    loop = asyncio.get_running_loop()
    limits = services.settings.limits
    registry: ConnectionRegistry[MssSMTP] = ConnectionRegistry(
        limits.max_connections, limits.max_connections_per_client)
    implicit = kind is ListenerKind.SUBMISSION_TLS

    def factory() -> MssSMTP:
        return MssSMTP(handler, services=services, kind=kind, registry=registry,
                       tls_context=ctx, implicit_tls=implicit, loop=loop)

    server = await loop.create_server(
        factory, host=listener.host, port=listener.port, ssl=ctx if implicit else None,
        ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if implicit else None,
        reuse_address=True, backlog=512)
    lst = SmtpListener(kind, server, registry, handler)
    log.info("smtp %s listening on %s:%s", kind.value, listener.host, lst.port)
    return lst
