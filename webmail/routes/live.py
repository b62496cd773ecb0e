"""Live updates: server-sent events from the store's change events (in process, and across
PostgreSQL nodes through the same bus), read through the mailbox seam's ``subscribe``.

A burst of changes becomes one event naming the folders touched; the page fetches what it
shows again. The stream ends when the session does (logout, password change, idle or
absolute lifetime), checked without counting the stream itself as activity.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from mailserver.store import (
    ChangeEvent,
    FlagsChanged,
    FolderChanged,
    MessageAdded,
    MessagesExpunged,
    Subscription,
)
from webmail.deps import WebContext, require_user, web
from webmail.sessions import WebUser

router = APIRouter(include_in_schema=False)

KEEPALIVE = 20.0          # seconds between comments that keep proxies from closing us
COALESCE = 0.2            # gather a burst of events into one
MAX_PENDING = 1000        # a client that does not read gets one "reload" instead


def _drain(sub: Subscription) -> list[ChangeEvent]:
    events = []
    while not sub.queue.empty():
        events.append(sub.queue.get_nowait())
    return events


def describe(events: list[ChangeEvent], names: dict[int, str]) -> dict[str, object]:
    folders: set[str] = set()
    added = 0
    for ev in events:
        if isinstance(ev, MessageAdded | FlagsChanged | MessagesExpunged):
            folders.add(names.get(ev.folder_id, ""))
            added += isinstance(ev, MessageAdded)
        elif isinstance(ev, FolderChanged):
            folders.update(n for n in (ev.name, ev.new_name) if n)
    folders.discard("")
    return {"folders": sorted(folders), "added": added}


async def stream(request: Request, ctx: WebContext, user: WebUser) -> AsyncIterator[bytes]:
    mailbox = ctx.services.open_mailbox(user.login)
    sub = mailbox.subscribe()
    try:
        yield b"retry: 3000\n\n"
        while True:
            try:
                first = await asyncio.wait_for(sub.queue.get(), KEEPALIVE)
            except TimeoutError:
                if await request.is_disconnected() or not await ctx.sessions.alive(user):
                    return
                yield b": keepalive\n\n"
                continue
            await asyncio.sleep(COALESCE)
            events = [first, *_drain(sub)]
            if len(events) > MAX_PENDING:
                payload: dict[str, object] = {"folders": [], "added": 0, "reload": True}
            else:
                names = {f.id: f.name for f in await mailbox.list_folders()}
                payload = describe(events, names)
            yield b"event: change\ndata: " + json.dumps(payload).encode() + b"\n\n"
    finally:
        sub.close()


@router.get("/events")
async def events(request: Request, user: WebUser = Depends(require_user),
                 ctx: WebContext = Depends(web)) -> StreamingResponse:
    return StreamingResponse(stream(request, ctx, user), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})
