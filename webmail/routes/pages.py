"""Pages that need no mailbox: home and the accessibility statement."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from webmail.deps import optional_user
from webmail.sessions import WebUser
from webmail.templating import render

router = APIRouter()


@router.get("/", include_in_schema=False)
async def home(request: Request, user: WebUser | None = Depends(optional_user)) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "home.html")


@router.get("/accessibilite", include_in_schema=False)
async def accessibility(request: Request,
                        user: WebUser | None = Depends(optional_user)) -> Response:
    return render(request, "accessibility.html")


@router.get("/healthz", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}
