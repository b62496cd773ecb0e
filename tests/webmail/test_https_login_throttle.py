"""Login throttling at the HTTPS wire: `429` with `Retry-After` (RFC 6585 §4) for the
client address that failed, while the same account from another address is served."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
from collections.abc import AsyncIterator, Generator

import httpx
import pytest
import uvicorn

from mailserver.services import MailServices
from mailserver.throttle import LoginThrottle
from tests.conftest import DOCTOR, PASSWORD, free_ports
from webmail import create_app

SQLITE_ONLY = pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@pytest.fixture
async def https(services: MailServices, accounts: dict[str, str]) -> AsyncIterator[int]:
    auth = services.auth
    auth.throttle = LoginThrottle(dataclasses.replace(auth.settings, backoff_start=600))
    port = free_ports(1)[0]
    s = services.settings
    server = _Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port,
                                    ssl_certfile=str(s.tls.certificate),
                                    ssl_keyfile=str(s.tls.private_key), log_level="warning",
                                    lifespan="off", access_log=False))
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        assert not task.done(), task.result()
        await asyncio.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def client(services: MailServices, port: int, source: str, password: str
           ) -> httpx.AsyncClient:
    ctx = ssl.create_default_context(cafile=str(services.settings.tls.client_ca))
    ctx.check_hostname = False
    return httpx.AsyncClient(base_url=f"https://127.0.0.1:{port}", auth=(DOCTOR, password),
                             transport=httpx.AsyncHTTPTransport(verify=ctx,
                                                                local_address=source))


@SQLITE_ONLY
async def test_throttled_address_gets_429_with_retry_after(services: MailServices,
                                                           https: int) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    async with client(services, https, "127.0.0.1", "wrong") as c:
        for _ in range(limit):
            r = await c.get("/api/directory/search", params={"q": "x"})
            assert r.status_code == 401
    async with client(services, https, "127.0.0.1", PASSWORD) as c:
        r = await c.get("/api/directory/search", params={"q": "x"})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
    async with client(services, https, "127.0.0.4", PASSWORD) as c:
        r = await c.get("/api/directory/search", params={"q": "x"})
        assert r.status_code == 200
