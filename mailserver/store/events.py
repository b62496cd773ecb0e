"""Typed change events and the bus that carries them to protocol sessions.

In one process the bus is a set of asyncio queues per account. With PostgreSQL a
cross-node transport (LISTEN/NOTIFY) can forward the same events between nodes: see
`ChangeBus.attach_transport`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageAdded:
    account_id: str
    folder_id: int
    uid: int
    modseq: int


@dataclass(frozen=True)
class FlagsChanged:
    account_id: str
    folder_id: int
    uid: int
    modseq: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class MessagesExpunged:
    """Messages left a folder.  ``copy_ids`` (parallel to ``uids``) names the copies that
    were destroyed, so decrypted copies cached anywhere can be dropped; it is empty when
    the copies still exist elsewhere (MOVE, INBOX rename)."""

    account_id: str
    folder_id: int
    uids: tuple[int, ...]
    modseq: int = 0
    copy_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class FolderChanged:
    """A folder was created, deleted or renamed (kind says which)."""

    account_id: str
    kind: str
    name: str
    new_name: str | None = None


ChangeEvent = MessageAdded | FlagsChanged | MessagesExpunged | FolderChanged
EVENT_TYPES: dict[str, type] = {c.__name__: c for c in
                                (MessageAdded, FlagsChanged, MessagesExpunged, FolderChanged)}


def event_to_dict(ev: ChangeEvent) -> dict[str, Any]:
    return {"type": type(ev).__name__, **asdict(ev)}


def event_from_dict(data: dict[str, Any]) -> ChangeEvent:
    data = dict(data)
    cls = EVENT_TYPES[data.pop("type")]
    for key in ("flags", "uids", "copy_ids"):
        if key in data:
            data[key] = tuple(data[key])
    return cls(**data)  # type: ignore[no-any-return]


@dataclass(eq=False)
class Subscription:
    """What one session receives; `queue` yields ChangeEvents for one account."""

    account_id: str
    queue: asyncio.Queue[ChangeEvent] = field(default_factory=asyncio.Queue)
    bus: ChangeBus | None = None

    def close(self) -> None:
        if self.bus is not None:
            self.bus.unsubscribe(self)
            self.bus = None


class ChangeBus:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._transport: Callable[[list[ChangeEvent]], Awaitable[None]] | None = None

    def subscribe(self, account_id: str) -> Subscription:
        sub = Subscription(account_id, bus=self)
        self._subs[account_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.account_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.account_id]

    def attach_transport(self, send: Callable[[list[ChangeEvent]], Awaitable[None]]) -> None:
        """Forward published events to other nodes too (e.g. PostgreSQL NOTIFY)."""
        self._transport = send

    def deliver_local(self, events: list[ChangeEvent]) -> None:
        """Hand events to the sessions of this process."""
        for ev in events:
            for sub in list(self._subs.get(ev.account_id, ())):
                sub.queue.put_nowait(ev)

    async def publish(self, events: list[ChangeEvent]) -> None:
        """Called after a commit: never before, so nobody sees an uncommitted change."""
        if not events:
            return
        self.deliver_local(events)
        if self._transport is not None:
            try:
                await self._transport(events)
            except Exception:  # a lost notification must not fail the delivery
                log.exception("change transport failed")
