"""kill -9 right after a batch of "250" replies: after restart every acknowledged message is
there (a message is acknowledged only once it is durably committed)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import threading
from pathlib import Path

import pytest

from mailserver.services import build_services
from mssante.init import initialise
from tests.conftest import DOCTOR, NURSE, PASSWORD, init_options
from tests.mssante.serverproc import ServerProcess

SENDERS = 4
PER_SENDER = 15


async def _setup(data: Path, db_url: str):  # type: ignore[no-untyped-def]
    settings = await initialise(init_options(data, db_url))
    services = await build_services(settings)
    try:
        await services.accounts.add(DOCTOR, "per", PASSWORD)
        await services.accounts.add(NURSE, "per", PASSWORD)
    finally:
        await services.close()
    return settings


def _send_batch(host: str, port: int, cafile: str, acked: list[str], sender_no: int) -> None:
    ctx = ssl.create_default_context(cafile=cafile)
    with smtplib.SMTP(host, port, timeout=60) as smtp:
        smtp.starttls(context=ctx)
        smtp.login(DOCTOR, PASSWORD)
        for i in range(PER_SENDER):
            mid = f"<dur-{sender_no}-{i}@hopital.test>"
            smtp.sendmail(DOCTOR, [NURSE], (f"From: {DOCTOR}\r\nTo: {NURSE}\r\n"
                                            f"Message-ID: {mid}\r\nSubject: n{i}\r\n\r\n"
                                            f"body {sender_no} {i}\r\n").encode())
            acked.append(f"body {sender_no} {i}")  # only after the 250 came back


def test_kill_9_loses_nothing_acknowledged(tmp_path: Path, db_url: str) -> None:
    settings = asyncio.run(_setup(tmp_path / "data", db_url))
    sub = settings.listeners.submission_starttls
    assert sub
    server = ServerProcess(settings.config_file, [(sub.host, sub.port)]).start()
    acked: list[str] = []
    threads = [threading.Thread(target=_send_batch, args=(sub.host, sub.port,
                                str(settings.tls.client_ca), acked, n)) for n in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    server.kill9()  # no clean shutdown at all
    assert len(acked) == SENDERS * PER_SENDER
    server = ServerProcess(settings.config_file, [(sub.host, sub.port)]).start()
    server.stop()

    async def stored() -> list[str]:
        services = await build_services(settings)
        try:
            nurse = await services.store.get_account(NURSE)
            inbox = await services.store.get_folder(nurse.id, "INBOX")
            key = await services.accounts.unlock_with_password(nurse, PASSWORD)
            from mailserver.store import copy_aad

            bodies = []
            for m in await services.store.list_messages(inbox.id):
                raw = key.open(await services.store.get_sealed(nurse.id, m.id),
                               copy_aad(nurse.id, m.id))
                bodies.append(raw.rsplit(b"\r\n\r\n", 1)[1].strip().decode())
            return bodies
        finally:
            await services.close()

    bodies = asyncio.run(stored())
    missing = set(acked) - set(bodies)
    assert not missing, f"acknowledged but lost: {sorted(missing)[:5]}"
    assert len(bodies) == len(set(bodies)), "a message was stored twice"


pytestmark = pytest.mark.slow
