"""The IMAP listeners of one node: STARTTLS port and implicit-TLS port (RFC 3501, RFC 8314).

``start_imap(services)`` starts the listeners the settings enable and returns
``ImapServers``; ``await servers.close()`` says BYE to every client and stops.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass, field

from config import Listener
from crypto import server_context, shrink_tls_read_buffer
from mailserver.limits import ConnectionRegistry
from mailserver.services import MailServices

from .cache import AccountCaches
from .connection import ImapConnection

log = logging.getLogger("mailserver.imap")
TLS_HANDSHAKE_TIMEOUT = 30.0


@dataclass
class ImapServers:
    """The running IMAP listeners (``starttls_port`` / ``tls_port`` are None when off)."""

    registry: ConnectionRegistry[ImapConnection]
    # Decrypted messages of logged-in accounts, shared by this node's sessions.
    caches: AccountCaches = field(default_factory=AccountCaches)
    servers: dict[str, asyncio.Server] = field(default_factory=dict)

    def port(self, kind: str) -> int:
        """``kind`` is "starttls" or "tls"."""
        return int(self.servers[kind].sockets[0].getsockname()[1])

    @property
    def starttls_port(self) -> int | None:
        return self.port("starttls") if "starttls" in self.servers else None

    @property
    def tls_port(self) -> int | None:
        return self.port("tls") if "tls" in self.servers else None

    @property
    def connections(self) -> int:
        return len(self.registry)

    async def close(self, grace: float = 5.0) -> None:
        """Stop accepting, send ``* BYE`` to every client, wait for their tasks."""
        for server in self.servers.values():
            server.close()
        conns = self.registry.sessions
        for conn in conns:
            conn.shutdown()
        if conns:
            waits = [conn.wait_closed() for conn in conns]
            try:
                await asyncio.wait_for(asyncio.gather(*waits), timeout=grace)
            except TimeoutError:
                log.warning("imap: %d connections still open at shutdown", len(self.registry))
        for server in self.servers.values():
            try:
                await asyncio.wait_for(server.wait_closed(), timeout=1.0)
            except TimeoutError:
                pass


def tls_context(services: MailServices) -> ssl.SSLContext:
    """Server certificate; client certificates optional (AUTH=EXTERNAL for APP boxes)."""
    tls = services.settings.tls
    return server_context(tls.certificate, tls.private_key, tls.client_ca)


async def start_imap(services: MailServices) -> ImapServers:
    """Start the STARTTLS and implicit-TLS listeners configured in ``services.settings``."""
    shrink_tls_read_buffer()
    settings = services.settings
    ctx = tls_context(services)
    limits = settings.limits
    # IMAP refuses every connection at a limit of 0 (SMTP reads 0 as unlimited)
    registry: ConnectionRegistry[ImapConnection] = ConnectionRegistry(
        limits.max_connections, limits.max_connections_per_client, zero_is_unlimited=False)
    servers = ImapServers(registry)
    plan: list[tuple[str, Listener | None, bool]] = [
        ("starttls", settings.listeners.imap_starttls, False),
        ("tls", settings.listeners.imap_tls, True),
    ]
    loop = asyncio.get_running_loop()
    try:
        for kind, listener, implicit in plan:
            if listener is None:
                continue

            def factory(implicit: bool = implicit) -> ImapConnection:
                return ImapConnection(services, registry, servers.caches, ctx, implicit)

            servers.servers[kind] = await loop.create_server(
                factory, host=listener.host, port=listener.port,
                ssl=ctx if implicit else None,
                ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if implicit else None,
                reuse_address=True, backlog=512)
            log.info("imap %s listening on %s:%s", kind, listener.host, servers.port(kind))
    except BaseException:
        await servers.close(0)
        raise
    return servers
