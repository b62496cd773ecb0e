"""SMTP listeners started on the test's own loop, over the shared data-folder fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mailserver.services import MailServices
from mailserver.smtp import ListenerKind, SmtpServers, start_smtp


@pytest.fixture
async def smtp(services: MailServices, accounts: dict[str, str]) -> AsyncIterator[SmtpServers]:
    servers = await start_smtp(services)
    try:
        yield servers
    finally:
        await servers.close(grace=1.0)


@pytest.fixture
def ports(smtp: SmtpServers) -> dict[str, int]:
    return {"mx": smtp.port(ListenerKind.MX),
            "tls": smtp.port(ListenerKind.SUBMISSION_TLS),
            "starttls": smtp.port(ListenerKind.SUBMISSION_STARTTLS)}
