"""The queue survives a crash (kill -9) and is shared by several nodes on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
import tomllib
from pathlib import Path

import pytest
import tomli_w

from mailserver.delivery import RemoteRecipient
from mailserver.services import build_services
from mssante.init import BASE_PORTS
from tests.conftest import PG_SKIP, drop_pg_database, free_ports
from tests.relay.conftest import Operator, link, make_operator, message

pytestmark = pytest.mark.timeout(240)


async def _enqueue(op: Operator, sender: str, rcpt: str, n: int, tag: str) -> list[str]:
    """Put n messages in op's queue as submission would (the server may be stopped)."""
    svc = await build_services(op.settings)
    ids = []
    try:
        acc = await svc.store.get_account(sender)
        for i in range(n):
            mid = f"<{tag}{i}@{op.domain}>"
            ids.append(mid)
            await svc.delivery.deliver(message(sender, rcpt, f"{tag} {i}", msgid=mid),
                                       mail_from=sender, recipients=[], sender=acc,
                                       remote=[RemoteRecipient(rcpt)])
    finally:
        await svc.close()
    return ids


async def _count(op: Operator, address: str) -> int:
    svc = await build_services(op.settings)
    try:
        acc = await svc.store.get_account(address)
        assert acc is not None
        f = await svc.store.get_folder(acc.id, "INBOX")
        assert f is not None
        return len(await svc.store.list_messages(f.id))
    finally:
        await svc.close()


def _accepted_on_mx(op: Operator) -> int:
    """MX transactions the receiving node answered 250 (the wire, not the mailbox)."""
    return len(re.findall(r"listener=mx .*result='250", op.log.read_text()))


async def _wait_count(op: Operator, address: str, n: int, timeout: float) -> int:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    got = 0
    while time.monotonic() < deadline:
        got = await _count(op, address)
        if got >= n:
            return got
        await asyncio.sleep(0.3)
    return got


async def test_kill_9_mid_queue_then_each_entry_once(tmp_path: Path) -> None:
    a = await make_operator(tmp_path, "a", "hopital-a.test")
    b = await make_operator(tmp_path, "b", "clinique-b.test", ca_from=a)
    link(a, b)
    alice, bob = a.address("doctor"), b.address("doctor")
    n = 40
    ids = await _enqueue(a, alice, bob, n, "crash")
    try:
        b.start()
        a.start()
        # Kill A while its queue is being worked: some delivered, some not yet.
        got = await _wait_count(b, bob, 3, 30)
        assert got >= 3
        a.kill9()
        mid_count = await _count(b, bob)
        assert mid_count < n, "the queue was drained before the kill: nothing tested"
        a.start()
        assert await _wait_count(b, bob, n, 60) == n
        await asyncio.sleep(1.0)
        inbox = await b.mailbox(bob)
        seen = sorted(m["Message-ID"] for m in inbox)
        assert seen == sorted(ids), "every entry delivered exactly once"
        q = await a.queue()
        assert sorted(e.status for e in q) == ["delivered"] * n
    finally:
        a.stop()
        b.stop()


@PG_SKIP
@pytest.mark.postgres
async def test_two_nodes_share_one_postgresql_queue(tmp_path: Path) -> None:
    from tests.conftest import _create_pg_database

    name = await _create_pg_database()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    a1 = await make_operator(tmp_path, "a", "hopital-a.test", database_url=url)
    b = await make_operator(tmp_path, "b", "clinique-b.test", ca_from=a1)
    link(a1, b)
    # A second node of operator A: same data folder, keys and database; its own ports.
    raw = tomllib.loads(a1.config.read_text())
    ports = dict(zip(BASE_PORTS, free_ports(len(BASE_PORTS)), strict=True))
    raw["listeners"] = {k: f"127.0.0.1:{p}" for k, p in ports.items()}
    config2 = a1.data / "node2.toml"
    config2.write_text(tomli_w.dumps(raw))
    from config import load_settings

    a2 = Operator("a2", a1.domain, a1.data, load_settings(config2), tmp_path / "a2.log")
    alice, bob = a1.address("doctor"), b.address("doctor")
    n = 200
    ids = await _enqueue(a1, alice, bob, n, "pg")
    try:
        b.start()
        a1.start(wait=False)
        a2.start(wait=False)
        a1.wait_ready()
        a2.wait_ready()
        assert await _wait_count(b, bob, n, 120) == n
        await asyncio.sleep(1.5)
        inbox = await b.mailbox(bob)
        assert sorted(m["Message-ID"] for m in inbox) == sorted(ids)
        assert _accepted_on_mx(b) == n, "an entry went over the wire twice"
        q = await a1.queue()
        assert sorted(e.status for e in q) == ["delivered"] * n
        done = [len(re.findall(r"relay: entry \S+ delivered", o.log.read_text()))
                for o in (a1, a2)]
        assert sum(done) == n and min(done) > 0, done
    finally:
        a1.stop()
        a2.stop()
        b.stop()
        await drop_pg_database(name)
        shutil.rmtree(tmp_path / "a", ignore_errors=True)
