"""Account settings: language, password change (which ends every other session)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from crypto import WrongSecret
from webmail.deps import WebContext, require_csrf, require_user, web
from webmail.i18n import parse_language
from webmail.routes.auth import set_session_cookie
from webmail.sessions import WebUser
from webmail.templating import render

router = APIRouter()
MIN_PASSWORD_LENGTH = 12
STATUS = {"language", "password"}


@router.get("/settings", include_in_schema=False)
async def settings_page(request: Request, done: str = "",
                        user: WebUser = Depends(require_user)) -> Response:
    return render(request, "settings.html", {"done": done if done in STATUS else "",
                                             "errors": {}})


@router.post("/settings/language", include_in_schema=False)
async def save_language(language: str = Form(""), user: WebUser = Depends(require_csrf),
                        ctx: WebContext = Depends(web)) -> Response:
    chosen = parse_language(language)
    if chosen is not None:
        await ctx.services.store.update_account_settings(user.login.account.id,
                                                         language=chosen.value)
    return RedirectResponse("/settings?done=language", status_code=303)


def password_errors(current: str, new: str, confirm: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not current:
        errors["current"] = "current_missing"
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new"] = "too_short"
    elif new == current:
        errors["new"] = "unchanged"
    if new != confirm:
        errors["confirm"] = "mismatch"
    return errors


@router.post("/settings/password", include_in_schema=False)
async def change_password(request: Request, current: str = Form("", max_length=1024),
                          new: str = Form("", max_length=1024),
                          confirm: str = Form("", max_length=1024),
                          user: WebUser = Depends(require_csrf),
                          ctx: WebContext = Depends(web)) -> Response:
    errors = password_errors(current, new, confirm)
    if not errors:
        try:
            await ctx.services.accounts.change_password(user.address, current, new)
        except WrongSecret:
            errors["current"] = "wrong"
    if errors:
        return render(request, "settings.html", {"done": "", "errors": errors},
                      status_code=400)
    # A password change ends every session of the account, this one included; the
    # browser that made the change gets a fresh one.
    await ctx.sessions.end_all(user.login.account.id)
    response = RedirectResponse("/settings?done=password", status_code=303)
    set_session_cookie(response, ctx, await ctx.sessions.open(user.login))
    return response
