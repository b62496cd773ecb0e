"""Login and logout pages."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from webmail.deps import (
    WebContext,
    client_address,
    optional_user,
    require_csrf,
    require_login_csrf,
    web,
)
from webmail.login import Refused, TryLater, check_password
from webmail.sessions import WebUser
from webmail.templating import render

router = APIRouter()
HOME = "/"


def safe_next(target: str) -> str:
    """Only a path of our own origin: never `//other.host` or `https://…` (open redirect)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and len(target) < 500:
        return target
    return HOME


def set_session_cookie(response: Response, ctx: WebContext, cookie: str) -> None:
    response.set_cookie(ctx.settings.session_cookie, cookie, secure=True, httponly=True,
                        samesite="strict", path="/", max_age=ctx.settings.absolute_lifetime)


def _login_page(request: Request, ctx: WebContext, *, next_url: str, address: str = "",
                error: str = "", status_code: int = 200,
                retry_after: int = 0) -> Response:
    token = request.cookies.get(ctx.settings.login_cookie) or secrets.token_urlsafe(32)
    response = render(request, "login.html", {
        "next": next_url, "address": address, "error": error, "login_token": token,
        "retry_minutes": max(1, (retry_after + 59) // 60)}, status_code=status_code)
    response.set_cookie(ctx.settings.login_cookie, token, secure=True, httponly=True,
                        samesite="strict", path="/")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, next: str = HOME, ctx: WebContext = Depends(web),
                     user: WebUser | None = Depends(optional_user)) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, ctx, next_url=safe_next(next))


@router.post("/login", include_in_schema=False, dependencies=[Depends(require_login_csrf)])
async def login(request: Request, address: str = Form("", max_length=320),
                password: str = Form("", max_length=1024), next: str = Form(HOME),
                ctx: WebContext = Depends(web),
                _user: WebUser | None = Depends(optional_user)) -> Response:
    next_url = safe_next(next)
    if not address.strip() or not password:
        return _login_page(request, ctx, next_url=next_url, address=address,
                           error="missing", status_code=400)
    answer = await check_password(ctx.services.auth, address, password,
                                  client_address(request))
    if isinstance(answer, TryLater):
        return _login_page(request, ctx, next_url=next_url, address=address,
                           error="throttled", status_code=429,
                           retry_after=answer.retry_after)
    if isinstance(answer, Refused):
        return _login_page(request, ctx, next_url=next_url, address=address,
                           error="refused", status_code=401)
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, ctx, await ctx.sessions.open(answer))
    response.delete_cookie(ctx.settings.login_cookie, secure=True, httponly=True,
                           samesite="strict", path="/")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(user: WebUser = Depends(require_csrf),
                 ctx: WebContext = Depends(web)) -> Response:
    await ctx.sessions.close(user)
    response = RedirectResponse("/login?done=logout", status_code=303)
    response.delete_cookie(ctx.settings.session_cookie, secure=True, httponly=True,
                           samesite="strict", path="/")
    return response
