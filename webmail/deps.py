"""Request dependencies: who is logged in, in which language, and the CSRF check.

Every state-changing route depends on `require_csrf` (logged in) or `require_login_csrf`
(the login form, before any session exists: a double-submit cookie).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request

from mailserver.services import MailServices
from webmail.i18n import Language, negotiate, parse_language
from webmail.sessions import SessionManager, WebUser
from webmail.settings import WebmailSettings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass
class WebContext:
    """What every route needs, kept on `app.state.web`."""

    services: MailServices
    settings: WebmailSettings
    sessions: SessionManager


class LoginRequired(Exception):
    """No live session: the handler sends the browser to the login page."""


def web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def request_language(request: Request, user: WebUser | None) -> Language:
    if user is not None:
        chosen = parse_language(user.login.account.settings.get("language", ""))
        if chosen is not None:
            return chosen
    ctx: WebContext = request.app.state.web
    default = parse_language(ctx.settings.default_language) or Language.FR
    return negotiate(request.headers.get("accept-language", ""), default)


async def optional_user(request: Request, ctx: WebContext = Depends(web)) -> WebUser | None:
    if hasattr(request.state, "user"):
        user: WebUser | None = request.state.user
        return user
    cookie = request.cookies.get(ctx.settings.session_cookie)
    user = await ctx.sessions.resume(cookie) if cookie else None
    request.state.user = user
    request.state.csrf_token = user.csrf_token if user else ""
    request.state.language = request_language(request, user)
    return user


async def require_user(user: WebUser | None = Depends(optional_user)) -> WebUser:
    if user is None:
        raise LoginRequired()
    return user


async def _submitted_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _same_token(expected: str, submitted: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), submitted.encode())


def _refuse_cross_site(request: Request) -> None:
    # Browsers say where a request comes from; a cross-site POST is never ours.
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "cross-site request refused")


async def require_csrf(request: Request, user: WebUser = Depends(require_user)) -> WebUser:
    _refuse_cross_site(request)
    if not _same_token(user.csrf_token, await _submitted_token(request)):
        raise HTTPException(403, "missing or wrong CSRF token")
    return user


async def require_login_csrf(request: Request, ctx: WebContext = Depends(web)) -> None:
    _refuse_cross_site(request)
    expected = request.cookies.get(ctx.settings.login_cookie, "")
    if not _same_token(expected, await _submitted_token(request)):
        raise HTTPException(403, "missing or wrong CSRF token")
