"""Sealed-box core: ephemeral X25519 + HKDF-SHA256 + AES-256-GCM.

Kept apart from ``sealing`` and ``keyring`` so both can use it without an import cycle.
Blob: version (1) | ephemeral public key (32) | nonce (12) | ciphertext + tag.
"""

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from crypto import _aead
from crypto.errors import SealError, UnsupportedFormat

VERSION = 1
_LABEL = b"mssante/seal/v1"
_PUB_LEN = 32
_HEADER_LEN = 1 + _PUB_LEN + _aead.NONCE_LEN


def _key(shared: bytes, ephemeral_pub: bytes, recipient_pub: bytes) -> bytes:
    # Both public keys go into info: X25519 ignores the top bit of a public key, so without
    # them an edited ephemeral key could still open (malleability); with them, it cannot.
    return _aead.hkdf(shared, info=_LABEL + ephemeral_pub + recipient_pub)


def _aad(aad: bytes) -> bytes:
    # The version byte is authenticated so a blob cannot be replayed under another format.
    return bytes([VERSION]) + aad


def seal_raw(recipient_pub: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if len(recipient_pub) != _PUB_LEN:
        raise ValueError("recipient public key must be 32 raw bytes")
    recipient = X25519PublicKey.from_public_bytes(recipient_pub)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_pub = ephemeral.public_key().public_bytes_raw()
    key = _key(ephemeral.exchange(recipient), ephemeral_pub, recipient_pub)
    nonce, ciphertext = _aead.encrypt(key, plaintext, _aad(aad))
    return bytes([VERSION]) + ephemeral_pub + nonce + ciphertext


def open_raw(private: X25519PrivateKey, blob: bytes, aad: bytes) -> bytes:
    if not blob:
        raise SealError("sealed data is empty")
    if blob[0] != VERSION:
        raise UnsupportedFormat(f"sealed data has unknown format version {blob[0]}")
    if len(blob) < _HEADER_LEN + _aead.TAG_LEN:
        raise SealError("sealed data is truncated")
    ephemeral_pub = blob[1 : 1 + _PUB_LEN]
    nonce = blob[1 + _PUB_LEN : _HEADER_LEN]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_pub))
    except ValueError as exc:  # low-order point: all-zero shared secret
        raise SealError() from exc
    recipient_pub = private.public_key().public_bytes_raw()
    key = _key(shared, ephemeral_pub, recipient_pub)
    plaintext = _aead.decrypt(key, nonce, blob[_HEADER_LEN:], _aad(aad))
    if plaintext is None:
        raise SealError()
    return plaintext
