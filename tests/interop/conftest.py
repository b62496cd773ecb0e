"""Real IMAP clients against our server, started on the test's own loop.

The suite talks to a `Target`: our IMAP listeners (default) or, with
`MSSANTE_INTEROP_TARGET=dovecot`, a throwaway Debian Dovecot on loopback holding the same
accounts, which checks the tests themselves against a reference server.

Blocking clients (imaplib, imapclient) run in threads and programs (mbsync, curl) as
asyncio subprocesses: the server shares the test's event loop and must keep running.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from interop_support import ROOT, SENDER, TARGET, Target

from mailserver.services import MailServices
from tests.conftest import DOCTOR, NURSE, PASSWORD, PATIENT, WARD


@pytest.fixture
def db_kind(request: pytest.FixtureRequest) -> str:
    """Interop runs on SQLite; a test asks for PostgreSQL with indirect parametrisation."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
async def services(services: MailServices) -> MailServices:
    """The shared fixture, minus the directory publication while its tables have no
    migration yet (same guard as the SMTP suite)."""
    from sqlalchemy import inspect

    async with services.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    if "dir_entry" not in tables:
        services.accounts.on_change = None
    return services


async def _mssante_target(services: MailServices) -> AsyncIterator[Target]:
    try:
        from mailserver.imap import start_imap
    except ImportError:
        pytest.skip("mailserver.imap.start_imap does not exist yet")
    settings = services.settings
    infos = {}

    async def deliver(user: str, raws: list[bytes]) -> None:
        if user not in infos:
            infos[user] = await services.store.get_account(user)
        await asyncio.gather(*(services.delivery.deliver(raw, mail_from=SENDER,
                                                         recipients=[infos[user]])
                               for raw in raws))

    servers = await start_imap(services)
    try:
        yield Target("mssante", "127.0.0.1", settings.listeners.imap_starttls.port,
                     settings.listeners.imap_tls.port, Path(settings.tls.client_ca),
                     {a: PASSWORD for a in (DOCTOR, NURSE, WARD, PATIENT)}, deliver,
                     {"services": services})
    finally:
        await servers.close()


async def _dovecot_target() -> AsyncIterator[Target]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import dovecot
    finally:
        sys.path.pop(0)
    if not dovecot.available():
        pytest.skip("dovecot is not installed")
    users = {a: PASSWORD for a in (DOCTOR, NURSE, WARD, PATIENT)}
    d = await asyncio.to_thread(dovecot.Dovecot(users).start)

    async def deliver(user: str, raws: list[bytes]) -> None:
        for raw in raws:
            d.add_message(user, "INBOX", raw)

    try:
        yield Target("dovecot", "127.0.0.1", d.imap_port, d.imaps_port, d.cafile, users,
                     deliver, {"dovecot": d})
    finally:
        await asyncio.to_thread(d.stop)


@pytest.fixture
async def target(services: MailServices, accounts: dict[str, str]) -> AsyncIterator[Target]:
    gen = _dovecot_target() if TARGET == "dovecot" else _mssante_target(services)
    t = await gen.__anext__()
    try:
        yield t
    finally:
        await gen.aclose()
