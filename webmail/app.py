"""The HTTPS application served by `mssante serve`: the webmail pages and the API.

Server-rendered pages (Jinja2) with every asset served by us: our CSS and scripts under
/static, Swagger UI vendored under /static/vendor (see its README).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from mailserver.services import MailServices
from mailserver.store.websessions import WebSessionStore
from webmail import errors
from webmail.auth import basic_authenticator
from webmail.deps import WebContext
from webmail.routes import account, apidocs, auth, live, mail, pages
from webmail.security import SecurityHeaders
from webmail.sessions import SessionManager
from webmail.settings import WebmailSettings

STATIC = Path(__file__).parent / "static"


def create_app(services: MailServices, settings: WebmailSettings | None = None) -> FastAPI:
    settings = settings or WebmailSettings()
    app = FastAPI(title="mssante", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Secure health messaging: directory and FHIR API.")
    sessions = SessionManager(WebSessionStore(services.store, settings.lifetimes))
    app.state.web = WebContext(services=services, settings=settings, sessions=sessions)

    from directory.api import build_router

    app.include_router(build_router(services.store.sessions, basic_authenticator(services)))
    for module in (pages, auth, account, mail, live, apidocs):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    return app
