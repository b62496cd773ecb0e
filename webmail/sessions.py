"""Webmail sessions: the unlocked key kept server-side, sealed under a cookie-held secret.

The cookie is `<session id>.<secret>`, both 32 random bytes. The store keeps SHA-256 of the
id and the private key sealed under the secret; the secret is never written anywhere on the
server, so a copy of the disk and the database (sessions included) opens no mailbox. The
CSRF token is an HMAC of the id under the same secret: only the cookie holder can know it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto import CryptoError, UnlockedKey, open_with_secret, seal_with_secret
from mailserver.auth import Login
from mailserver.store.websessions import WebSessionStore

TOKEN_BYTES = 32
_AAD = b"mssante/websession/v1|"


@dataclass(frozen=True)
class WebUser:
    """A logged-in request: the login (account and unlocked key) and its session."""

    login: Login
    session_digest: str
    csrf_token: str

    @property
    def address(self) -> str:
        return self.login.account.address


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _digest(session_id: bytes) -> str:
    return hashlib.sha256(session_id).hexdigest()


def _aad(digest: str, account_id: str) -> bytes:
    return _AAD + digest.encode() + b"|" + account_id.encode()


def csrf_for(secret: bytes, session_id: bytes) -> str:
    return hmac.new(secret, b"csrf|" + session_id, hashlib.sha256).hexdigest()


def parse_cookie(value: str) -> tuple[bytes, bytes] | None:
    sid_text, sep, secret_text = value.partition(".")
    if not sep or len(value) > 100:
        return None
    try:
        sid, secret = _unb64(sid_text), _unb64(secret_text)
    except ValueError:
        return None
    if len(sid) != TOKEN_BYTES or len(secret) != TOKEN_BYTES:
        return None
    return sid, secret


class SessionManager:
    def __init__(self, table: WebSessionStore) -> None:
        self.table = table

    async def open(self, login: Login) -> str:
        """Store a new session for this login; returns the cookie value."""
        sid, secret = secrets.token_bytes(TOKEN_BYTES), secrets.token_bytes(TOKEN_BYTES)
        digest, account = _digest(sid), login.account
        raw_key = login.key.private_key.private_bytes_raw()
        sealed = seal_with_secret(secret, raw_key, _aad(digest, account.id))
        await self.table.create(digest, account.id, sealed)
        return f"{_b64(sid)}.{_b64(secret)}"

    async def resume(self, cookie: str) -> WebUser | None:
        parsed = parse_cookie(cookie)
        if parsed is None:
            return None
        sid, secret = parsed
        digest = _digest(sid)
        found = await self.table.resume(digest)
        if found is None:
            return None
        record, account = found
        try:
            raw_key = open_with_secret(secret, record.sealed_key, _aad(digest, account.id))
        except CryptoError:
            return None  # a forged or mismatched secret opens nothing
        key = UnlockedKey(X25519PrivateKey.from_private_bytes(raw_key))
        return WebUser(Login(account, key, "webmail"), digest, csrf_for(secret, sid))

    async def alive(self, user: WebUser) -> bool:
        return await self.table.alive(user.session_digest)

    async def close(self, user: WebUser) -> None:
        await self.table.delete(user.session_digest)

    async def end_all(self, account_id: str) -> int:
        return await self.table.delete_account(account_id)
