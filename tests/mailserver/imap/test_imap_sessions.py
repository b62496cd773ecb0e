"""Several sessions on one mailbox; IDLE woken by deliveries (in-process and across nodes)."""

from __future__ import annotations

import asyncio
import time

import pytest

from mailserver.imap import start_imap
from mailserver.services import MailServices, build_services
from tests.conftest import DOCTOR, PASSWORD, PG_SKIP
from tests.mailserver.imap.conftest import SQLITE_ONLY, Connect, account, deliver
from tests.mailserver.imap.imap_wire import Wire, client_context, exchange

MSG = b"Subject: %d\r\n\r\nbody %d\r\n"


async def two_sessions(connect: Connect, services: MailServices, n: int = 3
                       ) -> tuple[Wire, Wire]:
    for i in range(1, n + 1):
        await deliver(services, MSG % (i, i), DOCTOR)
    a, b = await connect(), await connect()
    for w in (a, b):
        await w.login(DOCTOR, PASSWORD)
        await w.cmd("SELECT INBOX")
    return a, b


async def test_flags_expunge_and_move_seen_by_the_other(connect: Connect,
                                                        services: MailServices) -> None:
    a, b = await two_sessions(connect, services)
    await exchange(a, "a1 STORE 2 +FLAGS.SILENT (\\Flagged)", "a1 OK STORE completed")
    await exchange(b, "b1 NOOP", r"""
* 2 FETCH (UID 2 FLAGS (\Flagged))
b1 OK NOOP completed
""")
    # an expunge is not told during FETCH/STORE/SEARCH, only later (RFC 3501 §7.4.1)
    await exchange(a, "a2 STORE 1 +FLAGS.SILENT (\\Deleted)", "a2 OK STORE completed")
    await exchange(a, "a3 EXPUNGE", "* 1 EXPUNGE\na3 OK EXPUNGE completed")
    await exchange(b, "b2 FETCH 1:* (FLAGS)", r"""
* 1 FETCH (FLAGS (\Deleted))
* 2 FETCH (FLAGS (\Flagged))
* 3 FETCH (FLAGS ())
b2 OK FETCH completed
""")
    await exchange(b, "b3 SEARCH ALL", "* SEARCH 1 2 3\nb3 OK SEARCH completed")
    await exchange(b, "b4 FETCH 1 BODY.PEEK[]",
                   "b4 NO [EXPUNGEISSUED] Some messages were expunged")
    await exchange(b, "b5 NOOP", "* 1 EXPUNGE\nb5 OK NOOP completed")
    # MOVE in one session: EXPUNGE in the other, EXISTS in the destination
    await exchange(a, "a4 MOVE 2 Archive", """
* OK [COPYUID <v> 3 1] Moved
* 2 EXPUNGE
a4 OK MOVE completed
""")
    await exchange(b, "b6 UID FETCH 1:* FLAGS", r"""
* 2 EXPUNGE
* 1 FETCH (UID 2 FLAGS (\Flagged))
b6 OK FETCH completed
""")
    # a delivery: both are told EXISTS; only the first session to see it gets \Recent
    await deliver(services, MSG % (9, 9), DOCTOR)
    await exchange(a, "a5 NOOP", "* 2 EXISTS\n* 2 RECENT\na5 OK NOOP completed")
    await exchange(b, "b7 NOOP", "* 2 EXISTS\n* 0 RECENT\nb7 OK NOOP completed")
    await exchange(b, "b8 FETCH 2 (UID FLAGS)", "* 2 FETCH (UID 4 FLAGS ())\nb8 OK FETCH completed")


async def test_idle_wakes_within_a_second(connect: Connect, services: MailServices) -> None:
    a, b = await two_sessions(connect, services, n=1)
    await exchange(a, "i IDLE", "+ idling")
    start = time.monotonic()
    await deliver(services, MSG % (2, 2), DOCTOR)
    await exchange(a, b"", "* 2 EXISTS\n* 2 RECENT")
    assert time.monotonic() - start < 1.0
    start = time.monotonic()
    await exchange(b, "b1 STORE 1 +FLAGS.SILENT (\\Seen)",
                   "* 2 EXISTS\n* 0 RECENT\nb1 OK STORE completed")
    await exchange(a, b"", "* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))")
    await exchange(b, "b2 STORE 1 +FLAGS.SILENT (\\Deleted)", "b2 OK STORE completed")
    await exchange(a, b"", "* 1 FETCH (UID 1 FLAGS (\\Deleted \\Seen \\Recent))")
    await exchange(b, "b3 EXPUNGE", "* 1 EXPUNGE\nb3 OK EXPUNGE completed")
    await exchange(a, b"", "* 1 EXPUNGE")
    assert time.monotonic() - start < 1.0
    await exchange(a, "DONE", "i OK IDLE terminated")


@SQLITE_ONLY
async def test_idle_timeout_says_bye(connect: Connect, services: MailServices) -> None:
    object.__setattr__(services.settings.limits, "imap_idle_command_timeout", 0.3)
    wire = await connect()
    await wire.login(DOCTOR, PASSWORD)
    await exchange(wire, "i IDLE", "+ idling")
    await exchange(wire, b"", "* BYE Autologout; idle for too long")
    assert await wire.reader.read() == b""


@SQLITE_ONLY
async def test_autologout_outside_idle(connect: Connect, services: MailServices) -> None:
    object.__setattr__(services.settings.limits, "imap_idle_timeout", 0.3)
    wire = await connect()
    await exchange(wire, b"", "* BYE Autologout; idle for too long")
    assert await wire.reader.read() == b""


@PG_SKIP
@pytest.mark.postgres
@pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)
async def test_delivery_on_node1_wakes_idle_on_node2(services: MailServices,
                                                     accounts: dict[str, str]) -> None:
    """Two `serve`-like nodes on one PostgreSQL: IDLE on node 2 sees node 1's delivery."""
    node1 = await build_services(services.settings, cross_node=True)
    node2 = await build_services(services.settings, cross_node=True)
    servers = await start_imap(node2)
    try:
        ctx = client_context(services.settings.tls.client_ca)
        assert servers.tls_port is not None
        wire = await Wire.connect(servers.tls_port, ctx)
        await wire.login(DOCTOR, PASSWORD)
        await wire.cmd("SELECT INBOX")
        await exchange(wire, "i IDLE", "+ idling")
        await asyncio.sleep(0.1)
        start = time.monotonic()
        await node1.delivery.deliver(MSG % (1, 1), mail_from="x@hopital.test",
                                     recipients=[await account(node1, DOCTOR)])
        await exchange(wire, b"", "* 1 EXISTS\n* 1 RECENT")
        assert time.monotonic() - start < 1.0
        await exchange(wire, "DONE", "i OK IDLE terminated")
        await wire.close()
    finally:
        await servers.close(1.0)
        await node1.close()
        await node2.close()


async def test_new_keyword_from_the_other_session_is_announced(connect: Connect,
                                                               services: MailServices) -> None:
    """Regression: the keyword was noticed (and forgotten) before the updates were sent."""
    a, b = await two_sessions(connect, services)
    assert b"$Urgent" in await a.cmd("STORE 2 +FLAGS.SILENT ($Urgent)")
    # FETCH FLAGS tells b the message's flags, so only the new keyword is still owed
    out = await b.cmd("FETCH 2 FLAGS", b"b1")
    assert b"* 2 FETCH (FLAGS ($Urgent))" in out
    assert b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Urgent)" in out
    assert b"b1 OK FETCH completed" in out
    await exchange(b, "b2 NOOP", "b2 OK NOOP completed")  # told once
