"""Per-account X25519 key, stored only wrapped: once per credential (design brief §4).

A password change re-wraps the same key; nothing sealed for the account changes.
"""

import asyncio
import os
import struct
from dataclasses import dataclass
from typing import NoReturn

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from crypto import _aead, _keyblob
from crypto._x25519seal import open_raw
from crypto.errors import CryptoError
from crypto.recovery import new_recovery_key, parse_recovery_key

__all__ = [
    "Argon2Params",
    "UnlockedKey",
    "generate_key",
    "load_public_key",
    "new_recovery_key",
    "unwrap_with_master",
    "unwrap_with_password",
    "unwrap_with_password_async",
    "unwrap_with_recovery",
    "wrap_with_master",
    "wrap_with_password",
    "wrap_with_password_async",
    "wrap_with_recovery",
]

_PARAMS = struct.Struct(">III")
_RECOVERY_INFO = b"mssante/keyring/recovery/v1"
_MASTER_INFO = b"mssante/keyring/master/v1"


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 2

    def __post_init__(self) -> None:
        # Bounds also protect unwrap: params are read from the blob, so cap what it may ask.
        if not 1 <= self.parallelism <= 64:
            raise ValueError("argon2 parallelism must be 1..64")
        if not 1 <= self.time_cost <= 64:
            raise ValueError("argon2 time_cost must be 1..64")
        if not 8 * self.parallelism <= self.memory_kib <= 4 * 1024 * 1024:
            raise ValueError("argon2 memory_kib must be 8*parallelism..4 GiB")


class UnlockedKey:
    """An account's private key, in memory for one session. Never printed nor pickled."""

    __slots__ = ("_private", "_public")

    def __init__(self, private_key: X25519PrivateKey) -> None:
        self._private = private_key
        self._public = private_key.public_key().public_bytes_raw()

    @property
    def private_key(self) -> X25519PrivateKey:
        return self._private

    @property
    def public_bytes(self) -> bytes:
        return self._public

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """Same as ``sealing.open_sealed(self, blob, aad)``."""
        return open_raw(self._private, blob, aad)

    def __repr__(self) -> str:
        return f"UnlockedKey(public={self._public.hex()[:16]}…)"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        # Pickling would copy the key into caches, sessions or logs: forbid it outright.
        raise TypeError("UnlockedKey cannot be pickled or copied")


def generate_key() -> UnlockedKey:
    return UnlockedKey(X25519PrivateKey.generate())


def load_public_key(raw: bytes) -> X25519PublicKey:
    if len(raw) != 32:
        raise ValueError("an X25519 public key is 32 raw bytes")
    return X25519PublicKey.from_public_bytes(raw)


def _from_private(raw: bytes) -> UnlockedKey:
    return UnlockedKey(X25519PrivateKey.from_private_bytes(raw))


def _argon2(password: str, salt: bytes, params: Argon2Params) -> bytes:
    return hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=_aead.KEY_LEN,
        type=Type.ID,
    )


def wrap_with_password(
    key: UnlockedKey, password: str, params: Argon2Params = Argon2Params(), *, aad: bytes = b""
) -> bytes:
    """Wrap under Argon2id(password). CPU-heavy: async callers use the ``_async`` form."""
    salt = os.urandom(_aead.SALT_LEN)
    packed = _PARAMS.pack(params.time_cost, params.memory_kib, params.parallelism)
    kek = _argon2(password, salt, params)
    private = key.private_key.private_bytes_raw()
    return _keyblob.build(_keyblob.KIND_PASSWORD, packed, salt, kek, private, aad)


def unwrap_with_password(blob: bytes, password: str, *, aad: bytes = b"") -> UnlockedKey:
    """Raise WrongSecret for a wrong password or another account's aad."""
    parsed = _keyblob.parse(blob, _keyblob.KIND_PASSWORD)
    try:
        params = Argon2Params(*_PARAMS.unpack(parsed.params))
    except ValueError as exc:
        raise CryptoError(f"key blob has unacceptable argon2 parameters: {exc}") from exc
    kek = _argon2(password, parsed.salt, params)
    return _from_private(_keyblob.open_private(parsed, kek, aad))


async def wrap_with_password_async(
    key: UnlockedKey, password: str, params: Argon2Params = Argon2Params(), *, aad: bytes = b""
) -> bytes:
    return await asyncio.to_thread(wrap_with_password, key, password, params, aad=aad)


async def unwrap_with_password_async(
    blob: bytes, password: str, *, aad: bytes = b""
) -> UnlockedKey:
    return await asyncio.to_thread(unwrap_with_password, blob, password, aad=aad)


def _wrap_hkdf(kind: int, key: UnlockedKey, secret: bytes, info: bytes, aad: bytes) -> bytes:
    salt = os.urandom(_aead.SALT_LEN)
    kek = _aead.hkdf(secret, salt=salt, info=info)
    return _keyblob.build(kind, b"", salt, kek, key.private_key.private_bytes_raw(), aad)


def _unwrap_hkdf(kind: int, blob: bytes, secret: bytes, info: bytes, aad: bytes) -> UnlockedKey:
    parsed = _keyblob.parse(blob, kind)
    kek = _aead.hkdf(secret, salt=parsed.salt, info=info)
    return _from_private(_keyblob.open_private(parsed, kek, aad))


def wrap_with_recovery(key: UnlockedKey, recovery_key: str, *, aad: bytes = b"") -> bytes:
    # 256 random bits need no slow KDF: HKDF is enough against guessing.
    secret = parse_recovery_key(recovery_key)
    return _wrap_hkdf(_keyblob.KIND_RECOVERY, key, secret, _RECOVERY_INFO, aad)


def unwrap_with_recovery(blob: bytes, recovery_key: str, *, aad: bytes = b"") -> UnlockedKey:
    secret = parse_recovery_key(recovery_key)
    return _unwrap_hkdf(_keyblob.KIND_RECOVERY, blob, secret, _RECOVERY_INFO, aad)


def _check_master(master_key: bytes) -> bytes:
    if len(master_key) != 32:
        raise ValueError("the server master key must be 32 bytes")
    return master_key


def wrap_with_master(key: UnlockedKey, master_key: bytes, *, aad: bytes = b"") -> bytes:
    """For credentials that reveal no secret (client certificates, tokens)."""
    secret = _check_master(master_key)
    return _wrap_hkdf(_keyblob.KIND_MASTER, key, secret, _MASTER_INFO, aad)


def unwrap_with_master(blob: bytes, master_key: bytes, *, aad: bytes = b"") -> UnlockedKey:
    secret = _check_master(master_key)
    return _unwrap_hkdf(_keyblob.KIND_MASTER, blob, secret, _MASTER_INFO, aad)
