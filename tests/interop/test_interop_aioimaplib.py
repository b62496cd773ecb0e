"""`aioimaplib` (asyncio client): session basics and IDLE woken by a delivery within 1 s."""

from __future__ import annotations

import asyncio
import time

from aioimaplib import IMAP4_SSL
from interop_support import Target, make_message

from tests.conftest import DOCTOR, PASSWORD, WARD


async def _client(t: Target, user: str) -> IMAP4_SSL:
    client = IMAP4_SSL(t.host, t.tls_port, ssl_context=t.ssl_context(), timeout=10)
    await client.wait_hello_from_server()
    response = await client.login(user, PASSWORD)
    assert response.result == "OK", response
    return client


async def test_aioimaplib_session(target: Target) -> None:
    await target.deliver(WARD, make_message(1, to=WARD))
    client = await _client(target, WARD)
    try:
        assert client.has_capability("IDLE")
        assert client.has_capability("UIDPLUS") and client.has_capability("MOVE")
        response = await client.select("INBOX")
        assert response.result == "OK"
        assert any(line.endswith(b"1 EXISTS") for line in response.lines
                   if isinstance(line, bytes)), response.lines
        response = await client.uid_search("ALL")
        assert response.result == "OK"
        uids = response.lines[0].split()
        assert len(uids) == 1
        response = await client.uid("fetch", uids[0].decode(), "(FLAGS BODY.PEEK[])")
        assert response.result == "OK"
        assert bytes(response.lines[1]) == make_message(1, to=WARD)
        appended = make_message(2, to=WARD, subject="Appended by aioimaplib")
        response = await client.append(appended, mailbox="INBOX", flags=r"(\Seen)")
        assert response.result == "OK", response
        response = await client.search("SEEN")
        assert response.result == "OK" and response.lines[0] == b"2", response.lines
        response = await client.status("INBOX", "(MESSAGES UNSEEN)")
        assert response.result == "OK"
        assert b"MESSAGES 2" in response.lines[0] and b"UNSEEN 1" in response.lines[0]
    finally:
        await client.logout()


async def test_aioimaplib_idle_wakes_on_delivery(target: Target) -> None:
    await target.deliver(DOCTOR, make_message(1))
    client = await _client(target, DOCTOR)
    try:
        response = await client.select("INBOX")
        assert response.result == "OK"
        idle = await client.idle_start(timeout=30)  # returns once "+ idling" arrived
        assert client.has_pending_idle()
        await target.deliver(DOCTOR, make_message(2))
        delivered = time.monotonic()
        lines: list[bytes] = []
        while not any(line.endswith(b"EXISTS") for line in lines):
            remaining = 1.0 - (time.monotonic() - delivered)
            assert remaining > 0, f"IDLE not woken within 1 s: {lines!r}"
            push = await asyncio.wait_for(client.wait_server_push(), remaining)
            lines.extend(line for line in push if isinstance(line, bytes))
        assert b"2 EXISTS" in lines, lines
        client.idle_done()
        done = await asyncio.wait_for(idle, 5)
        assert done.result == "OK", done
        response = await client.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert response.result == "OK" and b"Compte rendu 0002" in bytes(response.lines[1])
    finally:
        await client.logout()
