"""HTTP authentication for the API: HTTP Basic over TLS, checked by the mail Authenticator.

The webmail's own cookie sessions come with the webmail issue; API clients (and the
directory's address completion) use Basic over HTTPS, throttled like every other login.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from fastapi import HTTPException, Request

from mailserver.auth import Login
from mailserver.headers import parse_headers
from mailserver.services import MailServices
from mailserver.store import copy_aad

CHALLENGE = {"WWW-Authenticate": 'Basic realm="mssante", charset="UTF-8"'}


@dataclass
class WebPrincipal:
    """Who is calling; satisfies directory.api.Principal."""

    login: Login
    services: MailServices
    _correspondents: set[str] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return self.login.account.address

    @property
    def kind(self) -> str:
        return self.login.account.kind

    async def correspondents(self) -> set[str]:
        """Professionals of this user's own conversations, read from their own mailbox
        (decrypted with the key this login unlocked; nothing else knows them in clear)."""
        if self._correspondents is None:
            found: set[str] = set()
            store, acc = self.services.store, self.login.account
            for folder in await store.list_folders(acc.id):
                ids = [meta.id for meta in await store.list_messages(folder.id)]
                blobs = await store.get_sealed_many(acc.id, ids)
                for copy_id, blob in blobs.items():
                    h = parse_headers(self.login.key.open(blob, copy_aad(acc.id, copy_id)))
                    found.update(h.from_addresses)
                    found.update(h.reply_to)
            found.discard(acc.address)
            self._correspondents = found
        return self._correspondents


def basic_authenticator(services: MailServices):  # type: ignore[no-untyped-def]
    async def authenticate(request: Request) -> WebPrincipal:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            raise HTTPException(401, "authentication required", headers=CHALLENGE)
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "malformed Basic credentials") from None
        if not sep:
            raise HTTPException(400, "malformed Basic credentials")
        client = request.client.host if request.client else "unknown"
        login = await services.auth.login_with_password(user, password, client, "https")
        if isinstance(login, Login):
            return WebPrincipal(login, services)
        if login.temporary:  # RFC 6585 §4
            raise HTTPException(429, "login temporarily refused, try again later",
                                headers={"Retry-After": str(login.retry_after)})
        raise HTTPException(401, "authentication failed", headers=CHALLENGE)

    return authenticate
