"""`mssante account unlock`, run as an operator would (a separate process), reaches the
throttle of a running server through the store."""

from __future__ import annotations

import asyncio
import dataclasses

from mailserver.auth import Login, Refusal, Refused
from mailserver.services import MailServices
from mailserver.throttle import LoginThrottle
from tests.conftest import DOCTOR, NURSE, PASSWORD
from tests.mssante.serverproc import mssante


async def test_unlock_command_clears_a_running_servers_back_off(
        services: MailServices, accounts: dict[str, str]) -> None:
    auth = services.auth
    auth.throttle = LoginThrottle(dataclasses.replace(auth.settings, backoff_start=600))
    for _ in range(services.settings.auth.max_failures_per_client_account):
        await auth.login_with_password(DOCTOR, "wrong", "192.0.2.1", "imap")
    refused = await auth.login_with_password(DOCTOR, PASSWORD, "192.0.2.1", "imap")
    assert isinstance(refused, Refused) and refused.reason is Refusal.THROTTLED
    await auth.login_with_password(NURSE, "wrong", "192.0.2.1", "imap")

    cfg = services.settings.config_file
    res = await asyncio.to_thread(mssante, "account", "unlock", DOCTOR.upper(), config=cfg)
    assert DOCTOR in res.stdout
    assert isinstance(await auth.login_with_password(DOCTOR, PASSWORD, "192.0.2.1", "imap"),
                      Login)
    # Only that account: the nurse's failure from that address is still counted.
    assert auth.throttle.pairs.failing_since(("192.0.2.1", NURSE)) is not None

    res = await asyncio.to_thread(mssante, "account", "unlock", "nobody@hopital.test",
                                  config=cfg, check=False)
    assert res.returncode == 1 and "no account" in res.stderr
