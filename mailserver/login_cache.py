"""Remembers successful password logins in process memory, so a client that reconnects
pays an HMAC and an HKDF instead of Argon2 (design brief §4).

What an entry holds, and why a memory dump without the password opens nothing:
* a verifier, HMAC-SHA256 under a per-process random secret of (account, password),
  compared in constant time;
* the account's private key sealed (AES-256-GCM) under a key derived by HKDF, with a fresh
  salt per entry, from a second HMAC of (account, password) under the same secret;
* a fingerprint of what the login was checked against (the password wrap, the public key,
  the unlock stamp), so the caller can tell the entry is stale after a password change,
  recovery, key rotation or `mssante account unlock` made by any process.

Only successful logins are stored. Entries expire `ttl` seconds after the Argon2 check
that made them (a hit does not extend them) and the cache holds at most `size` accounts,
least recently used dropped first. Nothing here ever touches the disk.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto import CryptoError, UnlockedKey, open_with_secret, seal_with_secret

_VERIFY = b"mssante/login-cache/verify/v1\0"
_SEAL = b"mssante/login-cache/seal/v1\0"


def wrap_fingerprint(wrap: bytes, public_key: bytes, unlock_stamp: float) -> bytes:
    """What a cached login stays valid for: this password wrap, this key, no unlock since."""
    return hashlib.sha256(wrap + b"\0" + public_key + b"\0" + repr(unlock_stamp).encode()
                          ).digest()


@dataclass
class _Entry:
    verifier: bytes
    sealed_key: bytes
    fingerprint: bytes
    expires: float


class LoginCache:
    def __init__(self, ttl: float, size: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._secret = os.urandom(32)   # never leaves this process
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.size > 0

    def _mac(self, label: bytes, account_id: str, password: str) -> bytes:
        data = label + account_id.encode() + b"\0" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, data, hashlib.sha256).digest()

    @staticmethod
    def _aad(account_id: str) -> bytes:
        return b"mssante/login-cache/key/v1|" + account_id.encode()

    def remember(self, account_id: str, password: str, key: UnlockedKey,
                 fingerprint: bytes) -> None:
        """Store a login that Argon2 has just verified (never call it for a failure)."""
        if not self.enabled:
            return
        sealed = seal_with_secret(self._mac(_SEAL, account_id, password),
                                  key.private_key.private_bytes_raw(), self._aad(account_id))
        self._entries[account_id] = _Entry(self._mac(_VERIFY, account_id, password), sealed,
                                           fingerprint, self.clock() + self.ttl)
        self._entries.move_to_end(account_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def recall(self, account_id: str, password: str, fingerprint: bytes) -> UnlockedKey | None:
        """The key of a remembered login with this very password, else None (go to Argon2).

        A wrong password leaves the entry in place: a guesser must not be able to evict the
        real user's entry. A stale fingerprint or an expired entry drops it.
        """
        entry = self._entries.get(account_id)
        if entry is None:
            return None
        if self.clock() >= entry.expires or not hmac.compare_digest(entry.fingerprint,
                                                                    fingerprint):
            self.forget(account_id)
            return None
        if not hmac.compare_digest(entry.verifier, self._mac(_VERIFY, account_id, password)):
            return None
        try:
            raw = open_with_secret(self._mac(_SEAL, account_id, password), entry.sealed_key,
                                   self._aad(account_id))
        except CryptoError:
            self.forget(account_id)
            return None
        self._entries.move_to_end(account_id)
        return UnlockedKey(X25519PrivateKey.from_private_bytes(raw))

    def forget(self, account_id: str) -> None:
        self._entries.pop(account_id, None)

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)
