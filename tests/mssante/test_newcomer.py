"""Follow the README as a newcomer: init, add accounts, serve, send with STARTTLS and AUTH,
find the message stored (sealed) for its recipient; then stop cleanly with SIGTERM."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from pathlib import Path

from config import load_settings
from mailserver.services import build_services
from mailserver.store import copy_aad
from tests.conftest import free_ports
from tests.mssante.serverproc import ServerProcess, mssante

DOCTOR = "jean.martin@hopital.test"
NURSE = "claire.durand@hopital.test"


def test_readme_walkthrough(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    offset = free_ports(1)[0] % 20000 + 10000  # a random region of free-ish ports
    out = mssante("init", "--data-dir", str(data), "--domain", "hopital.test",
                  "--patient-domain", "patient.test", "--port-offset", str(offset))
    assert "initialised" in out.stdout
    config = data / "mssante.toml"
    # The Argon2 defaults are for production; the test keeps its own config smaller.
    text = config.read_text().replace("memory_kib = 65536", "memory_kib = 8192")
    config.write_text(text)
    for address, pw in ((DOCTOR, "pw-doctor"), (NURSE, "pw-nurse")):
        res = mssante("account", "add", address, "--kind", "per", "--password-stdin",
                      config=config, stdin=pw + "\n")
        assert "Recovery key" in res.stdout
    listed = mssante("account", "list", config=config).stdout
    assert DOCTOR in listed and NURSE in listed
    settings = load_settings(config)
    sub = settings.listeners.submission_starttls
    assert sub and sub.port == 2587 + offset
    server = ServerProcess(config, [(sub.host, sub.port)]).start()
    try:
        ctx = ssl.create_default_context(cafile=str(settings.tls.client_ca))
        with smtplib.SMTP(sub.host, sub.port, timeout=30) as smtp:
            smtp.starttls(context=ctx)
            smtp.login(DOCTOR, "pw-doctor")
            smtp.sendmail(DOCTOR, [NURSE], (
                f"From: {DOCTOR}\r\nTo: {NURSE}\r\nSubject: Newcomer\r\n"
                "Message-ID: <newcomer@hopital.test>\r\n\r\nHello from the README.\r\n"
            ).encode())
    finally:
        assert server.stop() == 0, server.log.read_text()

    async def check() -> None:
        services = await build_services(settings)
        try:
            nurse = await services.store.get_account(NURSE)
            inbox = await services.store.get_folder(nurse.id, "INBOX")
            (meta,) = await services.store.list_messages(inbox.id)
            key = await services.accounts.unlock_with_password(nurse, "pw-nurse")
            raw = key.open(await services.store.get_sealed(nurse.id, meta.id),
                           copy_aad(nurse.id, meta.id))
            assert b"Hello from the README." in raw and b"Received:" in raw
        finally:
            await services.close()

    asyncio.run(check())
