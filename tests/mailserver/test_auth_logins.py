"""Password logins through the Authenticator on the real store: the login cache, the
throttle checked before Argon2, the bounded Argon2 pool, and `unlock` reaching another
process's throttle through the store."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from mailserver.auth import Login, Refusal, Refused
from mailserver.services import MailServices, build_services
from mailserver.throttle import LoginThrottle
from tests.conftest import DOCTOR, NURSE, PASSWORD

CLIENT, OTHER = "203.0.113.9", "198.51.100.7"


class CountingPool:
    """Counts the Argon2 jobs that really reach the pool."""

    def __init__(self, services: MailServices) -> None:
        self.jobs = 0
        self._run = services.auth.pool.run
        services.auth.pool.run = self.run  # type: ignore[method-assign]

    async def run(self, fn: Callable[[], Any]) -> Any:
        self.jobs += 1
        return await self._run(fn)


@pytest.fixture
def pool(services: MailServices, accounts: dict[str, str]) -> CountingPool:
    # Long back-off, so "still blocked" never depends on how fast the machine is.
    auth = services.auth
    auth.throttle = LoginThrottle(dataclasses.replace(auth.settings, backoff_start=600))
    return CountingPool(services)


@pytest.fixture
async def second(services: MailServices) -> AsyncIterator[MailServices]:
    """Another process's services on the same data folder and database (the CLI)."""
    other = await build_services(services.settings)
    other.accounts.on_change = None
    try:
        yield other
    finally:
        await other.close()


async def login(services: MailServices, password: str = PASSWORD, user: str = DOCTOR,
                client: str = CLIENT) -> Login | Refused:
    return await services.auth.login_with_password(user, password, client, "imap")


async def test_repeat_login_is_answered_without_argon2(services: MailServices,
                                                        pool: CountingPool) -> None:
    first = await login(services)
    assert isinstance(first, Login) and pool.jobs == 1
    again = await login(services, client=OTHER)
    assert isinstance(again, Login) and pool.jobs == 1
    assert again.key.public_bytes == first.key.public_bytes
    assert again.account.id == first.account.id


async def test_wrong_password_is_never_cached(services: MailServices,
                                              pool: CountingPool) -> None:
    assert await login(services, "wrong") == Refused(Refusal.FAILED)
    assert len(services.auth.cache) == 0
    assert isinstance(await login(services), Login)
    assert await login(services, "wrong") == Refused(Refusal.FAILED)
    assert pool.jobs == 3     # the wrong guess went to Argon2 again, not to the cache


async def test_password_change_in_another_process_invalidates(
        services: MailServices, second: MailServices, pool: CountingPool) -> None:
    assert isinstance(await login(services), Login)
    await second.accounts.change_password(DOCTOR, PASSWORD, "a new secret")
    assert await login(services) == Refused(Refusal.FAILED)
    assert isinstance(await login(services, "a new secret"), Login)


async def test_password_change_in_this_process_drops_the_entry(
        services: MailServices, pool: CountingPool) -> None:
    ok = await login(services)
    assert isinstance(ok, Login) and ok.account.id in services.auth.cache
    await services.accounts.change_password(DOCTOR, PASSWORD, "a new secret")
    assert ok.account.id not in services.auth.cache


async def test_suspension_refuses_a_cached_login(services: MailServices, second: MailServices,
                                                 pool: CountingPool) -> None:
    assert isinstance(await login(services), Login)
    await second.accounts.set_state(DOCTOR, "suspended")
    assert await login(services) == Refused(Refusal.FAILED)
    await second.accounts.set_state(DOCTOR, "active")
    assert isinstance(await login(services), Login)


async def test_throttle_is_checked_before_argon2(services: MailServices,
                                                 pool: CountingPool) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    for _ in range(limit):
        assert await login(services, "wrong") == Refused(Refusal.FAILED)
    jobs = pool.jobs
    refused = await login(services)
    assert isinstance(refused, Refused) and refused.reason is Refusal.THROTTLED
    assert refused.retry_after > 0 and pool.jobs == jobs
    # The real user elsewhere, and this client on another account, are not affected.
    assert isinstance(await login(services, client=OTHER), Login)
    assert isinstance(await login(services, user=NURSE), Login)


async def test_unknown_accounts_are_throttled_and_cost_a_pool_job(
        services: MailServices, pool: CountingPool) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    for _ in range(limit):
        assert await login(services, user="nobody@hopital.test") == Refused(Refusal.FAILED)
    assert pool.jobs >= limit
    refused = await login(services, user="nobody@hopital.test")
    assert isinstance(refused, Refused) and refused.reason is Refusal.THROTTLED


async def test_throttled_login_is_logged_without_the_password(
        services: MailServices, pool: CountingPool, caplog: pytest.LogCaptureFixture) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    for _ in range(limit):
        await login(services, "wrong-guess-123")
    with caplog.at_level(logging.INFO, logger="mailserver.auth"):
        await login(services, "right-or-wrong-456", user=DOCTOR.upper() + "\r\nforged")
        await login(services, "right-or-wrong-456")
    text = caplog.text
    assert "login throttled" in text and DOCTOR in text and CLIENT in text
    assert "right-or-wrong-456" not in text and "wrong-guess-123" not in text
    assert "\r\nforged" not in text      # client text cannot forge log lines


async def test_unlock_from_another_process_clears_the_back_off(
        services: MailServices, second: MailServices, pool: CountingPool) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    for _ in range(limit):
        await login(services, "wrong")
    assert isinstance(await login(services), Refused)
    await second.auth.unlock(DOCTOR)
    assert isinstance(await login(services), Login)


async def test_unlock_drops_cached_logins(services: MailServices, second: MailServices,
                                          pool: CountingPool) -> None:
    assert isinstance(await login(services), Login)
    await second.auth.unlock(DOCTOR)
    assert isinstance(await login(services), Login)
    assert pool.jobs == 2


async def test_a_saturated_pool_refuses_at_once(services: MailServices,
                                                accounts: dict[str, str]) -> None:
    from mailserver.argon2_pool import Argon2Pool

    auth = services.auth
    auth.pool.close()
    auth.pool = Argon2Pool(workers=1, queue=0)
    release = threading.Event()
    blocker = asyncio.ensure_future(auth.pool.run(lambda: release.wait(10)))
    await asyncio.sleep(0)
    try:
        refused = await login(services)
        assert refused == Refused(Refusal.BUSY, 1) and refused.temporary
        assert len(auth.throttle.pairs) == 0          # not counted as a failure
    finally:
        release.set()
        await blocker
    assert isinstance(await login(services), Login)


async def test_unlock_also_forgets_failures_below_the_limit(
        services: MailServices, second: MailServices, pool: CountingPool) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    for _ in range(limit - 1):
        await login(services, "wrong")
    await second.auth.unlock(DOCTOR)
    for _ in range(limit - 1):
        assert await login(services, "wrong") == Refused(Refusal.FAILED)
    assert isinstance(await login(services), Login)
