"""Limits and hostile input: lines, literals, throttling, STARTTLS, connections."""

from __future__ import annotations

import asyncio
import time

from mailserver.imap import ImapServers
from mailserver.services import MailServices
from tests.conftest import DOCTOR, PASSWORD
from tests.mailserver.imap.conftest import SQLITE_ONLY, Connect, account
from tests.mailserver.imap.imap_wire import Wire, client_context, exchange


@SQLITE_ONLY
async def test_long_line_gets_bad_and_session_goes_on(doctor: Wire,
                                                      services: MailServices) -> None:
    limit = services.settings.limits.imap_max_line_length
    await exchange(doctor, b"a NOOP " + b"x" * (limit + 10) + b"\r\n", "a BAD line too long")
    await exchange(doctor, "b NOOP", "b OK NOOP completed")


@SQLITE_ONLY
async def test_literal_over_appendlimit_is_toobig(doctor: Wire,
                                                  services: MailServices) -> None:
    object.__setattr__(services.settings.limits, "imap_max_literal", 1000)
    wire = doctor
    # the limit applies from the login on; this session logged in before: log in again
    fresh = await Wire.connect(wire.writer.get_extra_info("peername")[1],
                               client_context(services.settings.tls.client_ca))
    await fresh.login(DOCTOR, PASSWORD)
    await exchange(fresh, "a APPEND INBOX {5000}", "a NO [TOOBIG] literal too big")
    big = b"y" * 5000
    await exchange(fresh, b"b APPEND INBOX {5000+}\r\n" + big + b"\r\n",
                   "b NO [TOOBIG] literal too big")
    await exchange(fresh, "c NOOP", "c OK NOOP completed")
    await fresh.close()


@SQLITE_ONLY
async def test_preauth_literal_is_small(connect: Connect) -> None:
    wire = await connect()
    await exchange(wire, "a LOGIN {100000}", "a NO [TOOBIG] literal too big")
    await exchange(wire, "b NOOP", "b OK NOOP completed")


async def test_vanishing_mid_literal_stores_nothing(connect: Connect,
                                                    services: MailServices) -> None:
    wire = await connect()
    await wire.login(DOCTOR, PASSWORD)
    await exchange(wire, "a APPEND INBOX {1000}", "+ Ready for literal data")
    wire.send(b"Subject: half\r\n\r\n" + b"z" * 200)
    await wire.writer.drain()
    await wire.close()
    await asyncio.sleep(0.2)
    acc = await account(services, DOCTOR)
    inbox = await services.store.get_folder(acc.id, "INBOX")
    assert inbox is not None
    assert await services.store.list_messages(inbox.id) == []


@SQLITE_ONLY
async def test_commands_per_second_are_throttled(connect: Connect,
                                                 services: MailServices) -> None:
    object.__setattr__(services.settings.limits, "imap_commands_per_second", 5)
    wire = await connect()
    start = time.monotonic()
    for i in range(12):
        await exchange(wire, f"n{i} NOOP", f"n{i} OK NOOP completed")
    assert time.monotonic() - start >= 1.5


@SQLITE_ONLY
async def test_starttls_then_login(connect: Connect, services: MailServices) -> None:
    wire = await connect(tls=False)
    await exchange(wire, "a STARTTLS", "a OK Begin TLS negotiation now")
    await wire.writer.start_tls(client_context(services.settings.tls.client_ca))
    await exchange(wire, "b CAPABILITY", """
* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE AUTH=PLAIN
b OK CAPABILITY completed
""")
    await exchange(wire, "c STARTTLS", "c BAD TLS already active")
    await wire.login(DOCTOR, PASSWORD)


@SQLITE_ONLY
async def test_starttls_drops_pipelined_plaintext(connect: Connect,
                                                  services: MailServices) -> None:
    wire = await connect(tls=False)
    await exchange(wire, b"a STARTTLS\r\nx NOOP\r\n", "a OK Begin TLS negotiation now")
    await wire.writer.start_tls(client_context(services.settings.tls.client_ca))
    await exchange(wire, "b NOOP", "b OK NOOP completed")


@SQLITE_ONLY
async def test_connection_limit_per_client(imap: ImapServers, connect: Connect) -> None:
    imap.registry.max_per_client = 2
    await connect()
    await connect()
    ctx = None
    port = imap.starttls_port
    assert port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    assert await reader.readline() == b"* BYE [UNAVAILABLE] Too many connections\r\n"
    writer.close()


@SQLITE_ONLY
async def test_failed_logins_are_throttled(connect: Connect, services: MailServices) -> None:
    wire = await connect()
    limit = services.settings.auth.max_failures_per_client_account
    for i in range(limit):
        await exchange(wire, f'f{i} LOGIN {DOCTOR} "nope"',
                       f"f{i} NO [AUTHENTICATIONFAILED] Authentication failed")
    # now even the right password is refused for a while, and the client is told so
    await exchange(wire, f'g LOGIN {DOCTOR} "{PASSWORD}"',
                   "g NO [UNAVAILABLE] Temporarily refused, try again later")


@SQLITE_ONLY
async def test_shutdown_says_bye(imap: ImapServers, doctor: Wire) -> None:
    await imap.close(grace=1.0)
    assert await doctor.response() == b"* BYE Server shutting down\r\n"
