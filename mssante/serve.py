"""`mssante serve`: every listener and worker of one node in one asyncio process.

SIGTERM/SIGINT stop it cleanly: listeners stop accepting, in-flight SMTP transactions
finish (or get 421), pending deliveries commit, then the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field

import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from config import Settings
from config.loader import database_url
from crypto import CryptoError, load_master_key, shrink_tls_read_buffer
from mailserver.imap import start_imap
from mailserver.services import MailServices, build_services
from mailserver.smtp import start_smtp
from relay import start_relay
from webmail import create_app

log = logging.getLogger("mssante")
SHUTDOWN_GRACE = 10.0

Stopper = Callable[[], Awaitable[None]]


class _EmbeddedUvicorn(uvicorn.Server):
    """Uvicorn inside our loop: signals are ours, not uvicorn's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass
class Node:
    services: MailServices
    stoppers: list[tuple[str, Stopper]] = field(default_factory=list)
    banner: list[str] = field(default_factory=list)

    async def stop(self) -> None:
        for name, stop in reversed(self.stoppers):
            try:
                await stop()
            except Exception:
                log.exception("stopping %s failed", name)
        await self.services.close()


class StartupError(Exception):
    """A start-up failure the operator can fix (port in use, unreadable file, database down,
    bad master key), worded as one line: `serve` prints it without a traceback."""


# What the environment can do wrong at start-up; anything else is a bug and keeps its traceback.
_EXPECTED = (OSError, SQLAlchemyError, CryptoError, TimeoutError)


@contextlib.asynccontextmanager
async def _phase(what: str) -> AsyncIterator[None]:
    try:
        yield
    except StartupError:
        raise
    except _EXPECTED as exc:
        raise StartupError(f"{what}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    cause: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        cause = exc.orig  # the driver's own error says more than SQLAlchemy's wrapper
    words = " ".join(str(cause).split()) or type(cause).__name__
    return words[:300]


async def start_node(settings: Settings) -> Node:
    """Start every configured listener and worker; returns once all are accepting.

    Raises StartupError (one operator-readable line) for a failure of the environment."""
    shrink_tls_read_buffer()
    await _preflight(settings)
    async with _phase("cannot start"):
        services = await build_services(settings, cross_node=True)
    node = Node(services)
    try:
        async with _phase("cannot start SMTP"):
            await _start_smtp(node)
        async with _phase("cannot start IMAP"):
            await _start_imap(node)
        async with _phase("cannot start HTTPS"):
            await _start_https(node)
        async with _phase("cannot start the relay worker"):
            await _start_relay(node)
    except BaseException:
        await node.stop()
        raise
    return node


async def _preflight(settings: Settings) -> None:
    """Check what the operator provides (master key, certificate, database) before starting
    anything, so that the message names the culprit."""
    async with _phase("bad master key"):
        load_master_key(settings.keys.master_key)
    tls = settings.tls
    async with _phase(f"cannot use the TLS certificate {tls.certificate} "
                      f"with the key {tls.private_key}"):
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            tls.certificate, tls.private_key)
    async with _phase("database unreachable"):
        engine = create_async_engine(database_url(settings))
        try:
            async with engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 30)
        finally:
            await engine.dispose()


async def _start_smtp(node: Node) -> None:
    servers = await start_smtp(node.services)
    lis = node.services.settings.listeners
    for label, listener in (("SMTP (MX, STARTTLS)", lis.smtp),
                            ("Submission (implicit TLS)", lis.submission_tls),
                            ("Submission (STARTTLS)", lis.submission_starttls)):
        if listener:
            node.banner.append(f"{label:28} {listener}")

    async def stop() -> None:
        await servers.close(SHUTDOWN_GRACE)

    node.stoppers.append(("smtp", stop))


async def _start_imap(node: Node) -> None:
    servers = await start_imap(node.services)
    lis = node.services.settings.listeners
    for label, listener in (("IMAP (STARTTLS)", lis.imap_starttls),
                            ("IMAP (implicit TLS)", lis.imap_tls)):
        if listener:
            node.banner.append(f"{label:28} {listener}")
    node.stoppers.append(("imap", servers.close))


async def _start_https(node: Node) -> None:
    s = node.services.settings
    if s.listeners.https is None:
        return
    config = uvicorn.Config(create_app(node.services), host=s.listeners.https.host,
                            port=s.listeners.https.port, ssl_certfile=str(s.tls.certificate),
                            ssl_keyfile=str(s.tls.private_key), log_level="warning",
                            lifespan="off", server_header=False, access_log=False,
                            ssl_ciphers="ECDHE+AESGCM:ECDHE+CHACHA20",
                            # live-update streams never end by themselves: cut them short
                            timeout_graceful_shutdown=max(1, int(SHUTDOWN_GRACE) - 2))
    config.load()  # reads the certificate now: an unreadable one fails here, not in a task
    # Bound here, not by uvicorn, which answers "address in use" with sys.exit().
    sock = socket.create_server((s.listeners.https.host, s.listeners.https.port),
                                family=_family(s.listeners.https.host), reuse_port=False)
    server = _EmbeddedUvicorn(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), name="https")
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("HTTPS listener stopped at start")
        await asyncio.sleep(0.02)
    # Uvicorn's config sets TLS 1.2 minimum through ssl_version=PROTOCOL_TLS_SERVER defaults.
    node.banner.append(f"{'HTTPS (webmail, API)':28} https://{s.listeners.https}/")

    async def stop() -> None:
        server.should_exit = True
        await asyncio.wait_for(task, SHUTDOWN_GRACE)

    node.stoppers.append(("https", stop))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


async def _start_relay(node: Node) -> None:
    if not node.services.settings.relay.enabled:
        return
    worker = await start_relay(node.services)
    node.banner.append(f"{'Relay worker':28} running")
    node.stoppers.append(("relay", worker.close))


async def serve(settings: Settings, *, on_ready: Callable[[Node], None] | None = None) -> None:
    node = await start_node(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if on_ready:
        on_ready(node)
    log.info("mssante ready")
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        await node.stop()
        log.info("stopped")
