"""Carry change events between `mssante serve` nodes that share one PostgreSQL.

Each node LISTENs on one channel; a node publishing events sends them with NOTIFY (after
its commit) tagged with its node id, and ignores its own notifications: its local sessions
were already told in-process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import replace
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from mailserver.store.events import (
    ChangeBus,
    ChangeEvent,
    MessagesExpunged,
    event_from_dict,
    event_to_dict,
)

log = logging.getLogger(__name__)
CHANNEL = "mssante_changes"
MAX_PAYLOAD = 7000  # PostgreSQL's limit is 8000 bytes


def _dsn(url: str) -> str:
    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


class PgNotifier:
    def __init__(self, url: str, bus: ChangeBus) -> None:
        self.dsn = _dsn(url)
        self.bus = bus
        self.node = uuid.uuid4().hex
        self._listen: asyncpg.Connection | None = None
        self._send: asyncpg.Connection | None = None
        self._send_lock = asyncio.Lock()

    async def start(self) -> None:
        self._listen = await asyncpg.connect(self.dsn)
        await self._listen.add_listener(CHANNEL, self._on_notify)
        self._send = await asyncpg.connect(self.dsn)
        self.bus.attach_transport(self.send)

    async def close(self) -> None:
        for conn in (self._listen, self._send):
            if conn is not None and not conn.is_closed():
                await conn.close()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            data = json.loads(payload)
            if data.get("node") == self.node:
                return
            self.bus.deliver_local([event_from_dict(e) for e in data["events"]])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed change notification")

    async def send(self, events: list[ChangeEvent]) -> None:
        assert self._send is not None
        chunks: list[list[dict[str, Any]]] = [[]]
        size = 0
        for d in (d for ev in events for d in _fitting(ev)):
            n = len(json.dumps(d))
            if chunks[-1] and size + n > MAX_PAYLOAD:
                chunks.append([])
                size = 0
            chunks[-1].append(d)
            size += n
        async with self._send_lock:
            for chunk in chunks:
                await self._send.execute("SELECT pg_notify($1, $2)", CHANNEL,
                                         json.dumps({"node": self.node, "events": chunk}))


def _fitting(ev: ChangeEvent) -> list[dict[str, Any]]:
    """The event as dicts that fit one notification: a big expunge is split in halves
    (``uids`` and ``copy_ids`` are parallel; receivers treat each part alike)."""
    d = event_to_dict(ev)
    if (not isinstance(ev, MessagesExpunged) or len(ev.uids) < 2
            or len(json.dumps(d)) <= MAX_PAYLOAD):
        return [d]
    half = len(ev.uids) // 2
    return [*_fitting(replace(ev, uids=ev.uids[:half], copy_ids=ev.copy_ids[:half])),
            *_fitting(replace(ev, uids=ev.uids[half:], copy_ids=ev.copy_ids[half:]))]
