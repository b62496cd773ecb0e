"""Account lifecycle: creation with a fresh keyring, password change, recovery, states."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from crypto import (
    Argon2Params,
    UnlockedKey,
    WrongSecret,
    generate_key,
    new_recovery_key,
    unwrap_with_password_async,
    unwrap_with_recovery,
    wrap_with_master,
    wrap_with_password_async,
    wrap_with_recovery,
)
from directory.identifiers import ins_problem, rpps_problem
from mailserver.store import AccountInfo, NotFound, Store, StoreError
from mailserver.store.models import new_id

KINDS = {"per": "PER", "org": "ORG", "cab": "CAB", "app": "APP", "patient": "PATIENT",
         "admin": "ADMIN"}
# A patient's address is their 15-character INS matricule (NIR/NIA + key) at the patient
# domain; Corsican NIRs carry 2A/2B in the département position (directory.identifiers).
ADDRESS_RE = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,}$")

# Hook called after an account changes, to publish it in the directory (or unpublish it).
AccountHook = Callable[[AccountInfo], Awaitable[None]]
# Hook called when an account's credentials or state change (drops cached logins).
CredentialsHook = Callable[[AccountInfo], None]


class AccountError(StoreError):
    pass


def key_aad(account_id: str) -> bytes:
    """Binds every key wrap to its account: a wrap copied to another account won't open."""
    return f"mssante/key/v1|{account_id}".encode()


@dataclass(frozen=True)
class NewAccount:
    account: AccountInfo
    recovery_key: str


class AccountService:
    def __init__(self, store: Store, *, master_key: bytes,
                 argon2: Argon2Params = Argon2Params(), patient_domain: str = "",
                 on_change: AccountHook | None = None) -> None:
        self.store = store
        self.master_key = master_key
        self.argon2 = argon2
        self.patient_domain = patient_domain.lower()
        self.on_change = on_change
        self.on_credentials: CredentialsHook | None = None

    async def add(self, address: str, kind: str, password: str | None, *,
                  display_name: str = "", rpps: str | None = None, ins: str | None = None,
                  national_id_type: str | None = None, national_id: str | None = None,
                  liste_rouge: bool = False) -> NewAccount:
        code = KINDS.get(kind.lower())
        if code is None:
            raise AccountError(f"unknown kind {kind!r} (use: {', '.join(KINDS)})")
        address = address.strip().lower()
        if not ADDRESS_RE.match(address):
            raise AccountError(f"not a valid address: {address!r}")
        local, _, domain = address.partition("@")
        if code == "PATIENT":
            if not self.patient_domain or domain != self.patient_domain:
                raise AccountError(f"a patient's address must be at the patient domain "
                                   f"{self.patient_domain or '(none configured)'}")
            ins = (ins or local).upper()
            problem = ins_problem(local)
            if problem or ins != local.upper():
                raise AccountError("a patient's address is their 15-character INS "
                                   f"at the patient domain ({problem or 'not the INS given'})")
            national_id_type, national_id = "INS", ins
        elif domain == self.patient_domain:
            raise AccountError("only patients have addresses at the patient domain")
        if rpps:
            problem = rpps_problem(rpps)
            if problem:
                raise AccountError(problem)
            national_id_type, national_id = "RPPS", rpps
        if password is None and code != "APP":
            raise AccountError("a password is required (only APP accounts may use a "
                               "client certificate alone)")
        key = generate_key()
        recovery = new_recovery_key()
        # The id is chosen first because it is bound into every wrap.
        account_id = new_id()
        aad = key_aad(account_id)
        wraps = {"recovery": await asyncio.to_thread(wrap_with_recovery, key, recovery, aad=aad)}
        settings: dict[str, bool] = {"recovery": True}
        if password is not None:
            wraps["password"] = await wrap_with_password_async(key, password, self.argon2,
                                                               aad=aad)
            settings["password"] = True
        if code == "APP":
            wraps["master"] = wrap_with_master(key, self.master_key, aad=aad)
            settings["certificate"] = True
        info = await self.store.create_account(
            address, code, public_key=key.public_bytes, wraps=wraps, display_name=display_name,
            national_id_type=national_id_type, national_id=national_id,
            liste_rouge=liste_rouge, settings=settings, account_id=account_id)
        await self._changed(info)
        return NewAccount(info, recovery)

    async def unlock_with_password(self, account: AccountInfo, password: str) -> UnlockedKey:
        blob = await self.store.get_wrap(account.id, "password")
        if blob is None:
            raise WrongSecret("this account has no password")
        return await unwrap_with_password_async(blob, password, aad=key_aad(account.id))

    async def change_password(self, address: str, old_password: str,
                              new_password: str) -> None:
        account = await self._get(address)
        key = await self.unlock_with_password(account, old_password)
        await self._set_password(account, key, new_password)

    async def recover(self, address: str, recovery_key: str, new_password: str) -> None:
        """Open the key with the recovery key and set a new password (nothing re-encrypted)."""
        account = await self._get(address)
        blob = await self.store.get_wrap(account.id, "recovery")
        if blob is None:
            raise WrongSecret("this account has no recovery key")
        key = await asyncio.to_thread(unwrap_with_recovery, blob, recovery_key,
                                      aad=key_aad(account.id))
        await self._set_password(account, key, new_password)
        await self.store.audit("account.recover", account_id=account.id)

    async def set_state(self, address: str, state: str) -> AccountInfo:
        info = await self.store.set_account_state(address, state)
        self._credentials_changed(info)
        await self._changed(info)
        return info

    async def _set_password(self, account: AccountInfo, key: UnlockedKey, password: str) -> None:
        blob = await wrap_with_password_async(key, password, self.argon2,
                                              aad=key_aad(account.id))
        await self.store.set_wrap(account.id, "password", blob)
        await self.store.update_account_settings(account.id, password=True)
        self._credentials_changed(account)

    def _credentials_changed(self, info: AccountInfo) -> None:
        if self.on_credentials is not None:
            self.on_credentials(info)

    async def _get(self, address: str) -> AccountInfo:
        account = await self.store.get_account(address)
        if account is None:
            raise NotFound(f"no account {address}")
        return account

    async def _changed(self, info: AccountInfo) -> None:
        if self.on_change is not None:
            await self.on_change(info)
