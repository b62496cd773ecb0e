"""Login throttling and the login cache at the IMAP wire: a client that failed is told
`NO [UNAVAILABLE]` (RFC 5530 §3), while the same account from another address logs in."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import ssl

import pytest

from mailserver.imap import ImapServers
from mailserver.services import MailServices
from mailserver.throttle import LoginThrottle
from tests.conftest import DOCTOR, PASSWORD
from tests.mailserver.imap.conftest import SQLITE_ONLY, Connect
from tests.mailserver.imap.imap_wire import Wire, client_context, exchange

UNAVAILABLE = "NO [UNAVAILABLE] Temporarily refused, try again later"


@pytest.fixture
def slow_backoff(services: MailServices) -> None:
    auth = services.auth
    auth.throttle = LoginThrottle(dataclasses.replace(auth.settings, backoff_start=600))


async def connect_from(source: str, imap: ImapServers, ctx: ssl.SSLContext) -> Wire:
    """A client on another loopback address (Linux routes all of 127/8 to lo)."""
    assert imap.tls_port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", imap.tls_port, ssl=ctx,
                                                   local_addr=(source, 0))
    wire = Wire(reader, writer)
    wire.greeting = await wire.response()
    return wire


def plain(user: str, password: str) -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


@SQLITE_ONLY
async def test_throttled_client_is_told_to_come_back_later_others_log_in(
        connect: Connect, imap: ImapServers, services: MailServices,
        slow_backoff: None) -> None:
    wire = await connect()
    limit = services.settings.auth.max_failures_per_client_account
    for i in range(limit):
        await exchange(wire, f'f{i} LOGIN {DOCTOR} "nope"',
                       f"f{i} NO [AUTHENTICATIONFAILED] Authentication failed")
    await exchange(wire, f'g LOGIN {DOCTOR} "{PASSWORD}"', f"g {UNAVAILABLE}")
    await exchange(wire, f"h AUTHENTICATE PLAIN {plain(DOCTOR, PASSWORD)}", f"h {UNAVAILABLE}")
    elsewhere = await connect_from("127.0.0.2", imap,
                                   client_context(services.settings.tls.client_ca))
    try:
        out = await elsewhere.cmd(f'LOGIN {DOCTOR} "{PASSWORD}"')
        assert out.endswith(b"] Logged in\r\n") and b" OK [CAPABILITY " in out
    finally:
        await elsewhere.close()


@SQLITE_ONLY
async def test_reconnecting_client_is_served_from_the_login_cache(
        connect: Connect, services: MailServices) -> None:
    jobs = 0
    run = services.auth.pool.run

    async def counting(fn):  # type: ignore[no-untyped-def]
        nonlocal jobs
        jobs += 1
        return await run(fn)

    services.auth.pool.run = counting  # type: ignore[method-assign]
    for _ in range(3):
        wire = await connect()
        await wire.login(DOCTOR, PASSWORD)
        await wire.cmd("LOGOUT")
        await wire.close()
    account = await services.store.get_account(DOCTOR)
    assert account is not None and account.id in services.auth.cache
    assert jobs == 1      # one Argon2 for three logins
    # A wrong password is still refused, and its failure counted.
    wire = await connect()
    await exchange(wire, f"a AUTHENTICATE PLAIN {plain(DOCTOR, 'wrong')}",
                   "a NO [AUTHENTICATIONFAILED] Authentication failed")
