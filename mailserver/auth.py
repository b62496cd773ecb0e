"""Logins for every protocol: password (SASL PLAIN/LOGIN, IMAP LOGIN, webmail) and client
certificates for applicative mailboxes. A login unlocks the account's key for that session.

Failed logins are throttled per client address and per account; an unknown account costs
the same Argon2 work as a known one so timing does not reveal which addresses exist.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from cryptography import x509

from config import AuthSettings
from crypto import (
    Argon2Params,
    UnlockedKey,
    WrongSecret,
    certificate_addresses,
    generate_key,
    unwrap_with_master,
    unwrap_with_password_async,
    wrap_with_password_async,
)
from mailserver.accounts import key_aad
from mailserver.store import AccountInfo, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Login:
    account: AccountInfo
    key: UnlockedKey
    method: str


class Throttle:
    """Counts failures in a sliding window; `blocked` once a key exceeds its limit."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._fails: dict[str, deque[float]] = defaultdict(deque)

    def _trim(self, key: str, now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        q = self._trim(key, time.monotonic())
        if not q:
            self._fails.pop(key, None)
            return False
        return len(q) >= self.limit

    def fail(self, key: str) -> None:
        self._trim(key, time.monotonic()).append(time.monotonic())

    def reset(self, key: str) -> None:
        self._fails.pop(key, None)


class Authenticator:
    def __init__(self, store: Store, settings: AuthSettings, *, master_key: bytes,
                 argon2: Argon2Params = Argon2Params()) -> None:
        self.store = store
        self.settings = settings
        self.master_key = master_key
        self.by_client = Throttle(settings.max_failures_per_client, settings.failure_window)
        self.by_account = Throttle(settings.max_failures_per_account, settings.failure_window)
        # Same cost parameters as real wraps, so a miss takes as long as a hit.
        self._argon2 = argon2
        self._decoy: bytes | None = None  # made at the first miss, not at every start-up

    def throttled(self, client: str, address: str | None = None) -> bool:
        return self.by_client.blocked(client) or (
            address is not None and self.by_account.blocked(address.lower()))

    async def password_login(self, address: str, password: str, client: str,
                             protocol: str) -> Login | None:
        """Check a password; None (after a delay) on any failure, without saying why."""
        address = address.strip().lower()
        if self.throttled(client, address):
            await self.store.audit("login.throttled", peer=client,
                                   detail={"protocol": protocol})
            await asyncio.sleep(self.settings.failure_delay)
            return None
        account = await self.store.get_account(address)
        blob = None
        if account is not None:
            blob = await self.store.get_wrap(account.id, "password")
        try:
            if account is None or blob is None:
                if self._decoy is None:
                    self._decoy = await wrap_with_password_async(
                        generate_key(), "decoy", self._argon2, aad=b"decoy")
                await unwrap_with_password_async(self._decoy, password + "\0", aad=b"decoy")
                raise WrongSecret("unknown account")
            key = await unwrap_with_password_async(blob, password, aad=key_aad(account.id))
        except WrongSecret:
            await self._failed(address, client, protocol, account)
            return None
        if account.state != "active":
            await self._failed(address, client, protocol, account, reason=account.state)
            return None
        self.by_account.reset(address)
        await self.store.audit("login.ok", account_id=account.id, peer=client,
                               detail={"protocol": protocol, "method": "password"})
        return Login(account, key, "password")

    async def certificate_login(self, cert: x509.Certificate, client: str, protocol: str,
                                address: str | None = None) -> Login | None:
        """Log in an applicative mailbox with the TLS client certificate it presented.

        The certificate was already verified against the client CA by the TLS layer; here
        we map it to an account that allows certificate logins.
        """
        names = certificate_addresses(cert)
        if address is not None:
            names = [n for n in names if n == address.lower()]
        for name in names:
            account = await self.store.get_account(name)
            if account is None or not account.settings.get("certificate"):
                continue
            if account.state != "active":
                break
            blob = await self.store.get_wrap(account.id, "master")
            if blob is None:
                break
            key = unwrap_with_master(blob, self.master_key, aad=key_aad(account.id))
            await self.store.audit("login.ok", account_id=account.id, peer=client,
                                   detail={"protocol": protocol, "method": "certificate"})
            return Login(account, key, "certificate")
        await self.store.audit("login.failed", peer=client,
                               detail={"protocol": protocol, "method": "certificate"})
        return None

    async def _failed(self, address: str, client: str, protocol: str,
                      account: AccountInfo | None, reason: str = "credentials") -> None:
        self.by_client.fail(client)
        self.by_account.fail(address)
        log.info("login failed protocol=%s client=%s reason=%s", protocol, client, reason)
        await self.store.audit("login.failed", account_id=account.id if account else None,
                               peer=client, detail={"protocol": protocol, "reason": reason})
        await asyncio.sleep(self.settings.failure_delay)
