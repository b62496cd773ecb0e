"""The HTTPS application served by `mssante serve`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from mailserver.services import MailServices
from webmail.auth import basic_authenticator

LANDING = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>mssante</title></head><body><h1>mssante</h1>
<p>Messagerie sécurisée de santé. Use your mail client (IMAP/SMTP) to read and send.</p>
<p>API: <a href="/docs">/docs</a></p></body></html>"""


def create_app(services: MailServices) -> FastAPI:
    app = FastAPI(title="mssante", version="0.1.0",
                  description="Secure health messaging: directory and FHIR API.")
    authenticate = basic_authenticator(services)
    from directory.api import build_router

    app.include_router(build_router(services.store.sessions, authenticate))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing() -> str:
        return LANDING

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.middleware("http")
    async def security_headers(request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
