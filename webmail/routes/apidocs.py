"""/docs: Swagger UI served from our own copy (npm swagger-ui-dist, vendored), so it works
offline and under our CSP: no CDN, no inline script (the start-up script is a static file)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from webmail.deps import optional_user
from webmail.security import DOCS_CSP
from webmail.sessions import WebUser
from webmail.templating import render

router = APIRouter()


@router.get("/docs", include_in_schema=False)
async def swagger_ui(request: Request,
                     user: WebUser | None = Depends(optional_user)) -> Response:
    response = render(request, "docs.html", {"openapi_url": request.app.openapi_url})
    response.headers["content-security-policy"] = DOCS_CSP
    return response
