"""Change events cross nodes through PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio

import pytest

from mailserver.store import ChangeBus, FlagsChanged, MessageAdded, MessagesExpunged
from mailserver.store.pgnotify import PgNotifier
from tests.conftest import PG_SKIP

# Each test gets a database of its own (the db_url fixture): NOTIFY channels are per
# database, and other tests run in parallel.
pytestmark = [PG_SKIP, pytest.mark.postgres,
              pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)]


async def test_event_published_on_one_node_reaches_the_other(db_url: str) -> None:
    bus_a, bus_b = ChangeBus(), ChangeBus()
    a, b = PgNotifier(db_url, bus_a), PgNotifier(db_url, bus_b)
    await a.start()
    await b.start()
    try:
        sub_a, sub_b = bus_a.subscribe("acc-1"), bus_b.subscribe("acc-1")
        other = bus_b.subscribe("acc-2")
        events = [MessageAdded("acc-1", 3, 7, 9),
                  FlagsChanged("acc-1", 3, 7, 10, ("\\Seen",))]
        await bus_a.publish(events)
        got = [await asyncio.wait_for(sub_b.queue.get(), 5) for _ in events]
        assert got == events
        # Node A's own sessions are told once (in-process), not again by the echo.
        assert [sub_a.queue.get_nowait(), sub_a.queue.get_nowait()] == events
        await asyncio.sleep(0.3)
        assert sub_a.queue.empty() and other.queue.empty()
        # Many events are split into several notifications, none lost.
        many = [MessageAdded("acc-1", 3, uid, uid) for uid in range(1, 400)]
        await bus_a.publish(many)
        got = [await asyncio.wait_for(sub_b.queue.get(), 5) for _ in many]
        assert got == many
    finally:
        await a.close()
        await b.close()


async def test_big_expunge_is_split_across_notifications(db_url: str) -> None:
    bus_a, bus_b = ChangeBus(), ChangeBus()
    a, b = PgNotifier(db_url, bus_a), PgNotifier(db_url, bus_b)
    await a.start()
    await b.start()
    try:
        sub_b = bus_b.subscribe("acc-1")
        uids = tuple(range(1, 1001))
        ids = tuple(f"{u:08d}-0000-4000-8000-000000000000" for u in uids)
        await bus_a.publish([MessagesExpunged("acc-1", 3, uids, 12, ids)])
        got: list[MessagesExpunged] = []
        while sum(len(e.uids) for e in got) < len(uids):
            ev = await asyncio.wait_for(sub_b.queue.get(), 5)
            assert isinstance(ev, MessagesExpunged)
            got.append(ev)
        assert len(got) > 1 and all(e.modseq == 12 for e in got)
        assert sum((e.uids for e in got), ()) == uids
        assert sum((e.copy_ids for e in got), ()) == ids
    finally:
        await a.close()
        await b.close()
