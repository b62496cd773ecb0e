"""Wrapped-key blob layout, shared by the three credential kinds.

Blob: version (1) | kind (1) | kind-specific params | salt (16) | nonce (12) | ct+tag (48).
Everything before the nonce is the header; it is authenticated (GCM associated data)
together with the caller's aad, so params, salt and kind cannot be edited or swapped.
"""

import struct
from dataclasses import dataclass

from crypto import _aead
from crypto.errors import CryptoError, UnsupportedFormat, WrongSecret

VERSION = 1
KIND_PASSWORD = 1
KIND_RECOVERY = 2
KIND_MASTER = 3
_KIND_NAMES = {KIND_PASSWORD: "password", KIND_RECOVERY: "recovery", KIND_MASTER: "master"}
_PARAMS_LEN = {KIND_PASSWORD: struct.calcsize(">III"), KIND_RECOVERY: 0, KIND_MASTER: 0}
_LABEL = b"mssante/keyring/v1|"
PRIVATE_LEN = 32


@dataclass(frozen=True)
class Parsed:
    header: bytes
    params: bytes
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def build(kind: int, params: bytes, salt: bytes, kek: bytes, private: bytes, aad: bytes) -> bytes:
    header = bytes([VERSION, kind]) + params + salt
    nonce, ciphertext = _aead.encrypt(kek, private, _LABEL + header + aad)
    return header + nonce + ciphertext


def parse(blob: bytes, kind: int) -> Parsed:
    if len(blob) < 2:
        raise CryptoError("malformed key blob: too short")
    if blob[0] != VERSION:
        raise UnsupportedFormat(f"key blob has unknown format version {blob[0]}")
    if blob[1] not in _KIND_NAMES:
        raise UnsupportedFormat(f"key blob has unknown kind {blob[1]}")
    if blob[1] != kind:
        raise CryptoError(
            f"key blob is {_KIND_NAMES[blob[1]]}-wrapped, not {_KIND_NAMES[kind]}-wrapped"
        )
    plen = _PARAMS_LEN[kind]
    header_len = 2 + plen + _aead.SALT_LEN
    if len(blob) != header_len + _aead.NONCE_LEN + PRIVATE_LEN + _aead.TAG_LEN:
        raise CryptoError("malformed key blob: wrong length")
    return Parsed(
        header=blob[:header_len],
        params=blob[2 : 2 + plen],
        salt=blob[2 + plen : header_len],
        nonce=blob[header_len : header_len + _aead.NONCE_LEN],
        ciphertext=blob[header_len + _aead.NONCE_LEN :],
    )


def open_private(parsed: Parsed, kek: bytes, aad: bytes) -> bytes:
    private = _aead.decrypt(kek, parsed.nonce, parsed.ciphertext, _LABEL + parsed.header + aad)
    if private is None:  # GCM cannot tell a wrong KEK from an edited blob; both are refusals
        raise WrongSecret()
    return private
