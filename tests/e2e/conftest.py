"""Browser fixtures: one live HTTPS webmail per module, Debian's Chromium, and a fresh
browser context per test that records every request the page makes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mailserver.services import MailServices
from tests.conftest import DOCTOR, PASSWORD, PATIENT
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing
from tests.e2e.server import LiveWebmail

MISSING = chromium_missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if MISSING is not None:
        for item in items:
            if "tests/e2e" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=MISSING))


async def create_cast(services: MailServices) -> None:
    await services.accounts.add(DOCTOR, "per", PASSWORD, display_name="Dr Jean MARTIN",
                                rpps="10001045367")
    await services.accounts.add(PATIENT, "patient", PASSWORD, display_name="Paul VIAL")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveWebmail]:
    server = LiveWebmail(tmp_path_factory.mktemp("e2e") / "data", create_cast)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Visit:
    """A browser context at one width, with the list of URLs its pages requested."""

    def __init__(self, browser: Any, live: LiveWebmail, width: int) -> None:
        self.live = live
        self.requests: list[str] = []
        self.context = browser.new_context(ignore_https_errors=True, locale="fr-FR",
                                           viewport={"width": width, "height": 900})
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()

    def goto(self, path: str) -> Any:
        return self.page.goto(self.live.base_url + path)

    def log_in(self, address: str = DOCTOR, password: str = PASSWORD) -> None:
        self.goto("/login")
        self.page.get_by_label("Adresse").fill(address)
        self.page.get_by_label("Mot de passe").fill(password)
        self.page.get_by_role("button", name="Se connecter").click()
        self.page.wait_for_load_state()

    def foreign_requests(self) -> list[str]:
        own = self.live.base_url + "/"
        return [u for u in self.requests if not u.startswith((own, "data:", "about:"))]

    def close(self) -> None:
        self.context.close()


@pytest.fixture(params=[1280, 375], ids=["desktop", "phone"])
def visit(request: pytest.FixtureRequest, browser: Any, live: LiveWebmail) -> Iterator[Visit]:
    v = Visit(browser, live, int(request.param))
    try:
        yield v
    finally:
        v.close()
