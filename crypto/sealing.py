"""Sealing of stored objects for their owner, secret-keyed sealing and keyed digests.

Every blob starts with a version byte so formats can change without a flag day.
"""

import functools
import hashlib
import hmac
import os

from crypto import _aead
from crypto._x25519seal import open_raw, seal_raw
from crypto.errors import SealError, UnsupportedFormat
from crypto.keyring import UnlockedKey
from crypto.masterkey import load_master_key, new_master_key, write_master_key

__all__ = [
    "keyed_digest",
    "load_master_key",
    "new_master_key",
    "open_sealed",
    "open_with_secret",
    "seal",
    "seal_with_secret",
    "write_master_key",
]

_SECRET_VERSION = 1
_SECRET_INFO = b"mssante/secret-seal/v1"
_SECRET_HEADER = 1 + _aead.SALT_LEN + _aead.NONCE_LEN
_DIGEST_INFO = b"mssante/digest/v1|"


def seal(public_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt for the holder of ``public_key``; no secret needed (delivery path).

    ``aad`` names the row (e.g. ``b"mssante/copy/v1|" + account_id + b"|" + copy_id``) so a
    blob moved to another row or account fails to open.
    """
    return seal_raw(public_key, plaintext, aad)


def open_sealed(key: UnlockedKey, blob: bytes, aad: bytes) -> bytes:
    """Raise SealError on any mismatch, UnsupportedFormat for an unknown version."""
    return open_raw(key.private_key, blob, aad)


def _secret_key(secret: bytes, salt: bytes) -> bytes:
    # A random salt per blob gives each blob its own key, so nonce reuse is never a concern.
    return _aead.hkdf(secret, salt=salt, info=_SECRET_INFO)


def seal_with_secret(secret: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Symmetric sealing under a server-held secret (relay queue, webmail sessions)."""
    if len(secret) < 16:
        raise ValueError("a sealing secret must be at least 16 bytes")
    salt = os.urandom(_aead.SALT_LEN)
    header = bytes([_SECRET_VERSION]) + salt
    nonce, ciphertext = _aead.encrypt(_secret_key(secret, salt), plaintext, header + aad)
    return header + nonce + ciphertext


def open_with_secret(secret: bytes, blob: bytes, aad: bytes) -> bytes:
    if not blob:
        raise SealError("sealed data is empty")
    if blob[0] != _SECRET_VERSION:
        raise UnsupportedFormat(f"sealed data has unknown format version {blob[0]}")
    if len(blob) < _SECRET_HEADER + _aead.TAG_LEN:
        raise SealError("sealed data is truncated")
    header, nonce = blob[: 1 + _aead.SALT_LEN], blob[1 + _aead.SALT_LEN : _SECRET_HEADER]
    key = _secret_key(secret, header[1:])
    plaintext = _aead.decrypt(key, nonce, blob[_SECRET_HEADER:], header + aad)
    if plaintext is None:
        raise SealError()
    return plaintext


def keyed_digest(secret: bytes, label: str, value: str | bytes) -> str:
    """HMAC-SHA256 hex of ``value``: an index key that does not reveal the value.

    The label picks a separate subkey, so digests of one kind (Message-IDs) cannot be
    matched against another (addresses).
    """
    data = value.encode("utf-8") if isinstance(value, str) else value
    return hmac.new(_digest_key(secret, label), data, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=64)
def _digest_key(secret: bytes, label: str) -> bytes:
    # Derived once per (secret, label): digests are computed on every delivery.
    return _aead.hkdf(secret, info=_DIGEST_INFO + label.encode("utf-8"))
