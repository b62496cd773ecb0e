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
        """Professionals who wrote to this patient: addresses read from their own mail
        (through the mailbox seam), kept only when a delivery to the patient recorded them,
        so content the patient controls (an APPENDed message) adds nobody."""
        if self._correspondents is None:
            mailbox = self.services.open_mailbox(self.login)
            candidates: set[str] = set()
            for folder in await mailbox.list_folders():
                metas = await mailbox.list_messages(folder)
                raws = await mailbox.read_messages([m.id for m in metas])
                for raw in raws.values():
                    h = parse_headers(raw)
                    candidates.update(a.strip().lower() for a in h.from_addresses)
                    candidates.update(a.strip().lower() for a in h.reply_to)
            candidates.discard(mailbox.account.address.lower())
            self._correspondents = await self.services.patients.delivered_correspondents(
                mailbox.account, candidates)
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
