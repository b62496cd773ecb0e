"""Home (the inbox once logged in) and the accessibility statement."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from webmail.deps import WebContext, optional_user, web
from webmail.routes.mail import show_folder
from webmail.sessions import WebUser
from webmail.templating import render

router = APIRouter()


@router.get("/", include_in_schema=False)
async def home(request: Request, page: int = 1, user: WebUser | None = Depends(optional_user),
               ctx: WebContext = Depends(web)) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return await show_folder(request, ctx, user, "INBOX", page)


@router.get("/accessibilite", include_in_schema=False)
async def accessibility(request: Request,
                        user: WebUser | None = Depends(optional_user)) -> Response:
    return render(request, "accessibility.html")


@router.get("/healthz", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}
