"""Error pages in the reader's language; JSON for the API. No detail of the failure
(stack, identifiers, message content) ever reaches the page."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from webmail.deps import LoginRequired, request_language
from webmail.templating import render

log = logging.getLogger(__name__)
KNOWN = {400, 401, 403, 404, 405, 413, 429, 500}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/openapi.json"))


def error_page(request: Request, status: int, detail: str = "",
               headers: Mapping[str, str] | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": detail or "error"}, status_code=status,
                            headers=dict(headers or {}))
    if not hasattr(request.state, "language"):
        request.state.language = request_language(request, None)
    response = render(request, "error.html", {"status": status if status in KNOWN else 400},
                      status_code=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_page(request, exc.status_code, str(exc.detail), exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": exc.errors()}, status_code=422)
    return error_page(request, 400)


async def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path if request.method == "GET" else "/"
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("webmail request failed path=%s", request.url.path)
    return error_page(request, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Exception, _crash)
