"""Login throttling at the SMTP wire: `454 4.7.0` (RFC 4954 §6) for the client that failed,
while the same account from another address still authenticates and submits."""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib
import ssl

import pytest

from mailserver.services import MailServices
from mailserver.smtp import codes
from mailserver.throttle import LoginThrottle
from tests.conftest import DOCTOR, NURSE, PASSWORD
from tests.mailserver.smtp.smtp_helpers import message, tls_client

SQLITE_ONLY = pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)


@pytest.fixture
def slow_backoff(services: MailServices) -> None:
    auth = services.auth
    auth.throttle = LoginThrottle(dataclasses.replace(auth.settings, backoff_start=600))


def auth_reply(port: int, ctx: ssl.SSLContext, source: str, user: str,
               password: str) -> tuple[int, bytes]:
    with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, source_address=(source, 0),
                          timeout=30) as s:
        s.ehlo("client.test")
        s.user, s.password = user, password
        try:  # PLAIN alone: login() would retry with LOGIN, counting two failures
            code, text = s.auth("PLAIN", s.auth_plain)
        except smtplib.SMTPAuthenticationError as exc:
            return exc.smtp_code, exc.smtp_error
        s.sendmail(user, [NURSE], message(user, NURSE))
        return code, text


@SQLITE_ONLY
async def test_throttled_client_gets_454_others_submit(services: MailServices,
                                                       ports: dict[str, int],
                                                       slow_backoff: None) -> None:
    ctx = tls_client(services.settings)
    limit = services.settings.auth.max_failures_per_client_account
    for _ in range(limit):
        code, _ = await asyncio.to_thread(auth_reply, ports["tls"], ctx, "127.0.0.1",
                                          DOCTOR, "wrong")
        assert code == 535
    code, text = await asyncio.to_thread(auth_reply, ports["tls"], ctx, "127.0.0.1",
                                         DOCTOR, PASSWORD)
    assert f"{code} {text.decode()}" == codes.AUTH_THROTTLED
    assert text.startswith(b"4.7.0 ")
    code, _ = await asyncio.to_thread(auth_reply, ports["tls"], ctx, "127.0.0.3",
                                      DOCTOR, PASSWORD)
    assert code == 235
