"""IMAP listeners started on the test's own loop, over the shared data-folder fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from mailserver.imap import ImapServers, start_imap
from mailserver.services import MailServices
from mailserver.store import AccountInfo
from tests.conftest import DOCTOR, PASSWORD
from tests.mailserver.imap.imap_wire import Wire, client_context

Connect = Callable[..., Awaitable[Wire]]


@pytest.fixture
async def services(services: MailServices) -> MailServices:
    """As in the SMTP suite: no directory publication while its tables have no migration."""
    from sqlalchemy import inspect

    async with services.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    if "dir_entry" not in tables:
        services.accounts.on_change = None
    return services


@pytest.fixture
async def imap(services: MailServices, accounts: dict[str, str]) -> AsyncIterator[ImapServers]:
    servers = await start_imap(services)
    try:
        yield servers
    finally:
        await servers.close(grace=1.0)


@pytest.fixture
async def connect(imap: ImapServers, services: MailServices) -> AsyncIterator[Connect]:
    """``await connect()`` -> a raw client on the implicit-TLS port (``tls=False``: the
    STARTTLS port in clear)."""
    opened: list[Wire] = []
    ctx = client_context(services.settings.tls.client_ca)

    async def open_(tls: bool = True) -> Wire:
        port = imap.tls_port if tls else imap.starttls_port
        assert port is not None
        wire = await Wire.connect(port, ctx if tls else None)
        opened.append(wire)
        return wire

    yield open_
    for wire in opened:
        await wire.close()


@pytest.fixture
async def doctor(connect: Connect) -> Wire:
    wire = await connect()
    await wire.login(DOCTOR, PASSWORD)
    return wire


async def account(services: MailServices, address: str) -> AccountInfo:
    info = await services.store.get_account(address)
    assert info is not None
    return info


async def deliver(services: MailServices, raw: bytes, *to: str) -> None:
    recipients = [await account(services, a) for a in to]
    await services.delivery.deliver(raw, mail_from="sender@hopital.test", recipients=recipients)


# Protocol-only tests (no store semantics at stake) run on SQLite alone, to keep the suite
# fast; everything that exercises storage runs on both databases.
SQLITE_ONLY = pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
