"""Login, logout and the session cookie over the real app and store."""

from __future__ import annotations

from mailserver.services import MailServices
from tests.conftest import DOCTOR, PASSWORD
from tests.webmail.web_client import SESSION_COOKIE, csrf_token, log_in, web_client


async def test_login_sets_a_strict_cookie_and_logout_ends_the_session(
        services: MailServices, accounts: dict) -> None:
    async with web_client(services) as c:
        r = await log_in(c, DOCTOR, PASSWORD)
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = next(h for h in r.headers.get_list("set-cookie")
                      if h.startswith(SESSION_COOKIE))
        for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
            assert attribute.lower() in cookie.lower()
        home = await c.get("/")
        assert home.status_code == 200 and "Dr Jean MARTIN" in home.text
        stolen = c.cookies[SESSION_COOKIE]
        r = await c.post("/logout", data={"csrf_token": csrf_token(home.text)})
        assert r.status_code == 303
    async with web_client(services) as other:
        other.cookies.set(SESSION_COOKIE, stolen, domain="testserver")
        r = await other.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_wrong_password_is_refused_in_french(services: MailServices,
                                                   accounts: dict) -> None:
    async with web_client(services) as c:
        r = await log_in(c, DOCTOR, "wrong")
        assert r.status_code == 401
        assert "Adresse ou mot de passe incorrect" in r.text
        assert SESSION_COOKIE not in c.cookies


async def test_login_without_its_token_is_refused(services: MailServices,
                                                  accounts: dict) -> None:
    async with web_client(services) as c:
        await c.get("/login")
        r = await c.post("/login", data={"address": DOCTOR, "password": PASSWORD})
        assert r.status_code == 403
        r = await c.post("/login", data={"address": DOCTOR, "password": PASSWORD,
                                         "csrf_token": "forged"})
        assert r.status_code == 403


async def test_throttled_login_answers_429(services: MailServices, accounts: dict) -> None:
    limit = services.settings.auth.max_failures_per_client_account
    async with web_client(services) as c:
        for _ in range(limit):
            await log_in(c, DOCTOR, "wrong")
        r = await log_in(c, DOCTOR, PASSWORD)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "Trop de tentatives" in r.text


async def test_open_redirect_is_refused(services: MailServices, accounts: dict) -> None:
    async with web_client(services) as c:
        page = await c.get("/login")
        r = await c.post("/login", data={"address": DOCTOR, "password": PASSWORD,
                                         "next": "//evil.example/",
                                         "csrf_token": csrf_token(page.text)})
        assert r.status_code == 303 and r.headers["location"] == "/"


async def test_anonymous_page_redirects_to_login(services: MailServices) -> None:
    async with web_client(services) as c:
        r = await c.get("/settings")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/settings"
