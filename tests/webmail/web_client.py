"""A small client for the webmail pages over the real ASGI app: log in through the form,
read CSRF tokens from the pages as a browser would."""

from __future__ import annotations

import re

import httpx

from mailserver.services import MailServices
from webmail import create_app
from webmail.settings import WebmailSettings

TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')
SESSION_COOKIE = WebmailSettings().session_cookie


def web_client(services: MailServices, settings: WebmailSettings | None = None,
               **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services, settings)),
                             base_url="https://testserver", headers=headers)


def csrf_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def log_in(c: httpx.AsyncClient, address: str, password: str) -> httpx.Response:
    page = await c.get("/login")
    return await c.post("/login", data={"address": address, "password": password,
                                        "csrf_token": csrf_token(page.text)})


async def page_token(c: httpx.AsyncClient, path: str = "/settings") -> str:
    r = await c.get(path)
    assert r.status_code == 200, r.text
    return csrf_token(r.text)
