"""Logins for every protocol: password (SASL PLAIN/LOGIN, IMAP LOGIN, webmail) and client
certificates for applicative mailboxes. A login unlocks the account's key for that session.

Invariants of a password login, in order:
* the throttle is consulted before any hash runs (`mailserver/throttle.py`), per (client,
  account) and per client, never per account alone;
* a repeated login with the same password is answered from the in-memory login cache
  (`mailserver/login_cache.py`) after checking the account row has not changed;
* otherwise Argon2 runs in the bounded pool (`mailserver/argon2_pool.py`), and an unknown
  account costs the same Argon2 work as a known one (a decoy wrap), through the same pool,
  so timing does not reveal which addresses exist;
* only a success is cached; every refusal says only "failed" or "try later".
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509

from config import AuthSettings
from crypto import (
    Argon2Params,
    UnlockedKey,
    WrongSecret,
    certificate_addresses,
    generate_key,
    unwrap_with_master,
    unwrap_with_password,
    wrap_with_password,
)
from mailserver.accounts import key_aad
from mailserver.argon2_pool import Argon2Pool, PoolBusy
from mailserver.login_cache import LoginCache, wrap_fingerprint
from mailserver.store import AccountInfo, NotFound, Store
from mailserver.throttle import LoginThrottle

log = logging.getLogger(__name__)

# Account setting written by `mssante account unlock` (any process, any node): failures
# counted before this wall-clock time no longer hold the account back, and cached logins
# made before it are dropped.
UNLOCK_STAMP = "throttle_cleared_at"
# Seconds a client is told to wait when every Argon2 worker is busy.
BUSY_RETRY_AFTER = 1


@dataclass(frozen=True)
class Login:
    account: AccountInfo
    key: UnlockedKey
    method: str


class Refusal(StrEnum):
    FAILED = "failed"        # wrong password, unknown or inactive account: nothing more said
    THROTTLED = "throttled"  # too many failures from this client on this account or at all
    BUSY = "busy"            # every Argon2 worker busy and the queue full


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    retry_after: int = 0     # seconds, for the temporary refusals

    @property
    def temporary(self) -> bool:
        return self.reason is not Refusal.FAILED


FAILED = Refused(Refusal.FAILED)


def printable(text: str, limit: int = 80) -> str:
    """Client-supplied text made safe for one log line: no control characters, bounded."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
    return clean + ("…" if len(text) > limit else "")


def _unlock_stamp(account: AccountInfo) -> float:
    value = account.settings.get(UNLOCK_STAMP, 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


class Authenticator:
    def __init__(self, store: Store, settings: AuthSettings, *, master_key: bytes,
                 argon2: Argon2Params = Argon2Params()) -> None:
        self.store = store
        self.settings = settings
        self.master_key = master_key
        self.throttle = LoginThrottle(settings)
        self.cache = LoginCache(settings.login_cache_ttl, settings.login_cache_size)
        self.pool = Argon2Pool(settings.argon2_workers, settings.argon2_queue)
        # Same cost parameters as real wraps, so a miss takes as long as a hit.
        self._argon2 = argon2
        self._decoy: bytes | None = None  # made at the first miss, not at every start-up

    def close(self) -> None:
        self.pool.close()
        self.cache.clear()

    def forget(self, account: AccountInfo) -> None:
        """Drop a cached login (password change, recovery, state change, key rotation)."""
        self.cache.forget(account.id)

    async def password_login(self, address: str, password: str, client: str,
                             protocol: str) -> Login | None:
        """`login_with_password` for callers that need no reason: None on any refusal."""
        result = await self.login_with_password(address, password, client, protocol)
        return result if isinstance(result, Login) else None

    async def login_with_password(self, address: str, password: str, client: str,
                                  protocol: str) -> Login | Refused:
        """Check a password; a refusal says only failed / throttled / busy, never why."""
        address = address.strip().lower()
        account = await self.store.get_account(address)
        refused = await self._check_throttle(address, client, protocol, account)
        if refused is not None:
            return refused
        blob = await self.store.get_wrap(account.id, "password") if account else None
        fingerprint = b""
        key = None
        if account is not None and blob is not None:
            fingerprint = wrap_fingerprint(blob, account.public_key, _unlock_stamp(account))
            key = self.cache.recall(account.id, password, fingerprint)
        cached = key is not None
        try:
            if key is None:
                key = await self._unwrap(account, blob, password)
        except PoolBusy:
            log.warning("login refused protocol=%s client=%s: argon2 pool busy", protocol,
                        printable(client))
            return Refused(Refusal.BUSY, BUSY_RETRY_AFTER)
        except WrongSecret:
            return await self._failed(address, client, protocol, account)
        assert account is not None  # _unwrap raised WrongSecret otherwise
        if account.state != "active":
            self.cache.forget(account.id)
            return await self._failed(address, client, protocol, account, reason=account.state)
        self.throttle.succeeded(client, address)
        if not cached:
            self.cache.remember(account.id, password, key, fingerprint)
        await self.store.audit("login.ok", account_id=account.id, peer=client,
                               detail={"protocol": protocol, "method": "password",
                                       "cached": cached})
        return Login(account, key, "password")

    async def _unwrap(self, account: AccountInfo | None, blob: bytes | None,
                      password: str) -> UnlockedKey:
        """Argon2 in the pool; WrongSecret for a wrong password or an unknown account."""
        if account is None or blob is None:
            if self._decoy is None:
                self._decoy = await self.pool.run(functools.partial(
                    wrap_with_password, generate_key(), "decoy", self._argon2, aad=b"decoy"))
            await self.pool.run(functools.partial(
                unwrap_with_password, self._decoy, password + "\0", aad=b"decoy"))
            raise WrongSecret("unknown account")
        return await self.pool.run(functools.partial(
            unwrap_with_password, blob, password, aad=key_aad(account.id)))

    async def _check_throttle(self, address: str, client: str, protocol: str,
                              account: AccountInfo | None) -> Refused | None:
        if account is not None:
            since = self.throttle.pair_failing_since(client, address)
            if since is not None and _unlock_stamp(account) >= since:
                self.throttle.unlock(address)   # an operator unlocked it since
        wait = self.throttle.retry_after(client, address)
        if wait <= 0:
            return None
        retry = max(1, math.ceil(wait))
        log.warning("login throttled protocol=%s client=%s account=%s retry_after=%ds",
                    protocol, printable(client), printable(address), retry)
        await self.store.audit("login.throttled", account_id=account.id if account else None,
                               peer=client, detail={"protocol": protocol, "retry_after": retry})
        await asyncio.sleep(self.settings.failure_delay)
        return Refused(Refusal.THROTTLED, retry)

    async def unlock(self, address: str) -> AccountInfo:
        """Clear an account's throttle state for every node and process that shares the
        store: the stamp is read by `_check_throttle` whenever a login would be held back."""
        account = await self.store.get_account(address.strip().lower())
        if account is None:
            raise NotFound(f"no account {address}")
        await self.store.update_account_settings(account.id, **{UNLOCK_STAMP: time.time()})
        await self.store.audit("account.unlock", account_id=account.id)
        self.throttle.unlock(account.address)
        self.cache.forget(account.id)
        return account

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
                      account: AccountInfo | None, reason: str = "credentials") -> Refused:
        self.throttle.failed(client, address)
        log.info("login failed protocol=%s client=%s reason=%s", protocol, printable(client),
                 reason)
        await self.store.audit("login.failed", account_id=account.id if account else None,
                               peer=client, detail={"protocol": protocol, "reason": reason})
        await asyncio.sleep(self.settings.failure_delay)
        return FAILED
