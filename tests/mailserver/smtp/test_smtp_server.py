"""Listeners as a whole: connection limits, timeouts, graceful shutdown, confidentiality."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from pathlib import Path

import pytest

from mailserver.services import MailServices
from mailserver.smtp import ListenerKind, codes, start_smtp
from tests.conftest import DOCTOR, NURSE, PATIENT
from tests.mailserver.smtp.smtp_helpers import (
    RawClient,
    count,
    mailbox,
    message,
    submit,
    tls_client,
)

SENDER = "chef@hopital.test"


def set_limits(services: MailServices, **changes: object) -> None:
    limits = dataclasses.replace(services.settings.limits, **changes)  # type: ignore[arg-type]
    object.__setattr__(services.settings, "limits", limits)


async def test_connections_per_client_and_total(services: MailServices,
                                                accounts: dict[str, str]) -> None:
    set_limits(services, max_connections_per_client=2)
    servers = await start_smtp(services)
    port = servers.port(ListenerKind.MX)
    try:
        def run() -> bytes:
            a, b = RawClient(port), RawClient(port)
            third = RawClient(port)
            refused = third.greeting + b"|" + third.pending(0.5)
            for c in (a, b, third):
                c.close()
            return refused
        refused = await asyncio.to_thread(run)
        assert refused.startswith(codes.TOO_MANY_CONNECTIONS_CLIENT.encode() + b"|")
    finally:
        await servers.close(0.5)
    set_limits(services, max_connections_per_client=50, max_connections=1)
    servers = await start_smtp(services)
    port = servers.port(ListenerKind.MX)
    try:
        def run2() -> bytes:
            a, b = RawClient(port), RawClient(port)
            out = b.greeting
            a.close()
            b.close()
            return out
        assert (await asyncio.to_thread(run2)) == codes.TOO_MANY_CONNECTIONS.encode()
        await asyncio.sleep(0.1)
        assert servers.sessions == 0
    finally:
        await servers.close(0.5)


async def test_idle_client_times_out(services: MailServices, accounts: dict[str, str]) -> None:
    set_limits(services, smtp_timeout=1)
    servers = await start_smtp(services)
    try:
        def run() -> bytes:
            c = RawClient(servers.port(ListenerKind.MX))
            c.cmd("EHLO x")
            out = c.pending(2.5)
            c.close()
            return out
        assert (await asyncio.to_thread(run)).startswith(codes.TIMEOUT.encode())
    finally:
        await servers.close(0.5)


async def test_graceful_shutdown(services: MailServices, accounts: dict[str, str]) -> None:
    servers = await start_smtp(services)
    port = servers.port(ListenerKind.MX)
    idle = await asyncio.to_thread(RawClient, port)
    busy = await asyncio.to_thread(RawClient.mx, port, services.settings)

    def start_transaction() -> None:
        idle.cmd("EHLO x")
        busy.cmd(f"MAIL FROM:<{SENDER}>")
        busy.cmd(f"RCPT TO:<{NURSE}>")
        busy.cmd("DATA")
        busy.send(b"From: " + SENDER.encode() + b"\r\nSubject: late\r\n\r\nhalf")
    await asyncio.to_thread(start_transaction)
    closing = asyncio.create_task(servers.close(grace=5.0))
    await asyncio.sleep(0.2)
    assert await asyncio.to_thread(idle.pending, 0.3) == \
        codes.SHUTTING_DOWN.encode() + b"\r\n"
    with pytest.raises(OSError):      # no new connections
        await asyncio.to_thread(socket.create_connection, ("127.0.0.1", port), 1)

    def finish() -> tuple[bytes, bytes]:
        done = busy.cmd(b" and the end\r\n.")
        after = busy.pending(0.5)
        return done, after
    done, after = await asyncio.to_thread(finish)
    assert done.startswith(b"250 2.0.0")
    assert after.startswith(codes.SHUTTING_DOWN.encode())
    await asyncio.wait_for(closing, 5)
    assert servers.sessions == 0
    [got] = await mailbox(services, NURSE)
    assert got.endswith(b"half and the end\r\n")
    idle.close()
    busy.close()


async def test_grace_expired_closes_stuck_transactions(services: MailServices,
                                                      accounts: dict[str, str]) -> None:
    servers = await start_smtp(services)
    c = await asyncio.to_thread(RawClient.mx, servers.port(ListenerKind.MX), services.settings)
    assert (await asyncio.to_thread(c.cmd, f"MAIL FROM:<{SENDER}>")) == codes.SENDER_OK.encode()
    await servers.close(grace=0.3)
    assert servers.sessions == 0
    assert (await asyncio.to_thread(c.pending, 0.3)).startswith(codes.SHUTTING_DOWN.encode())
    c.close()


async def test_confidentiality_of_data_folder_and_logs(
        services: MailServices, ports: dict[str, int], db_kind: str,
        caplog: pytest.LogCaptureFixture) -> None:
    subject, body = "Diagnostic-Confidentiel-7Q4Z", "Corps-du-message-secret-K9X2"
    caplog.set_level(logging.DEBUG)
    ctx = tls_client(services.settings)
    for rcpt in (NURSE, PATIENT):
        await asyncio.to_thread(submit, ports["tls"], ctx, DOCTOR, DOCTOR, [rcpt],
                                message(DOCTOR, rcpt, subject, body))
    assert await count(services, PATIENT) == 1
    [got] = await mailbox(services, NURSE)
    assert subject.encode() in got and body.encode() in got
    # Logs: one line per transaction, no subject, body, password or patient address.
    lines = [r.getMessage() for r in caplog.records if r.name == "mailserver.smtp"
             and r.getMessage().startswith("smtp tx=")]
    assert len(lines) == 2
    # (Library debug logs, e.g. aiosqlite's SQL parameters, are the operator's choice.)
    text = "\n".join(r.getMessage() for r in caplog.records
                     if r.name.startswith(("mailserver", "mail.log", "crypto")))
    assert subject not in text and body not in text and PATIENT not in text
    assert "*@patient.test" in text
    if db_kind != "sqlite":
        pytest.skip("the store is in PostgreSQL: its files are not in the data folder")
    data_dir = Path(services.settings.base_dir)

    def scan() -> list[str]:
        files = [p for p in data_dir.rglob("*") if p.is_file()]
        assert any(p.name.endswith(".db") for p in files)
        for p in files:
            blob = p.read_bytes()
            for secret in (subject, body):
                assert secret.encode() not in blob, p
                assert secret.encode("utf-16-le") not in blob, p
        return [p.name for p in files]
    names = scan()                      # live: database, -wal and -shm as they are
    assert any(n.endswith("-wal") for n in names)
    await services.engine.dispose()     # checkpointed and closed
    scan()
