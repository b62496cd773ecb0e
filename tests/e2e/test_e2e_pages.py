"""Every foundation page in Chromium at 1280 and 375 px: axe-core finds no serious or
critical violation, nothing is requested outside our origin, and a screenshot is kept
(tests/e2e/screenshots/, not committed) for a person to look at."""

from __future__ import annotations

import re

import pytest

from tests.conftest import DOCTOR
from tests.e2e.browser import assert_accessible, screenshot
from tests.e2e.conftest import Visit


def check(visit: Visit, name: str) -> None:
    assert_accessible(visit.page)
    width = visit.page.viewport_size["width"]
    screenshot(visit.page, f"{name}-{width}")
    assert not visit.foreign_requests(), visit.foreign_requests()


def test_login_page(visit: Visit) -> None:
    visit.goto("/login")
    assert visit.page.locator("html").get_attribute("lang") == "fr"
    assert visit.page.get_by_role("heading", level=1).inner_text().startswith("Connexion")
    check(visit, "login")


def test_login_error_is_announced(visit: Visit) -> None:
    visit.log_in(DOCTOR, "wrong password")
    alert = visit.page.get_by_role("alert")
    assert "Adresse ou mot de passe incorrect" in alert.inner_text()
    check(visit, "login-error")


def test_skip_link_reaches_main_by_keyboard(visit: Visit) -> None:
    visit.goto("/login")
    visit.page.keyboard.press("Tab")
    skip = visit.page.get_by_role("link", name="Aller au contenu principal")
    assert skip.evaluate("el => el === document.activeElement")
    visit.page.keyboard.press("Enter")
    assert visit.page.evaluate("document.activeElement.id") == "main"


def test_home_and_settings_after_login(visit: Visit) -> None:
    visit.log_in()
    assert visit.page.get_by_role("banner").is_visible()
    assert visit.page.get_by_role("navigation", name="Menu principal").is_visible()
    check(visit, "home")
    visit.page.get_by_role("link", name="Paramètres").click()
    visit.page.wait_for_load_state()
    assert visit.page.get_by_role("heading", level=1).inner_text() == "Paramètres"
    check(visit, "settings")


def test_password_errors_say_how_to_fix(visit: Visit) -> None:
    visit.log_in()
    visit.goto("/settings")
    visit.page.get_by_label("Mot de passe actuel").fill("x")
    visit.page.get_by_label("Nouveau mot de passe", exact=True).fill("short")
    visit.page.get_by_label("Confirmez le nouveau mot de passe").fill("other")
    visit.page.get_by_role("button", name="Changer le mot de passe").click()
    visit.page.wait_for_load_state()
    assert visit.page.get_by_role("alert").is_visible()
    assert "au moins 12 caractères" in visit.page.content()
    check(visit, "settings-errors")


def test_language_setting_switches_to_english(visit: Visit) -> None:
    visit.log_in()
    visit.goto("/settings")
    visit.page.get_by_label("English").check()
    visit.page.get_by_role("button", name="Enregistrer la langue").click()
    visit.page.wait_for_load_state()
    assert visit.page.locator("html").get_attribute("lang") == "en"
    assert visit.page.get_by_role("status").inner_text() == "Language saved."
    check(visit, "settings-en")
    visit.page.get_by_label("Français").check()
    visit.page.get_by_role("button", name="Save the language").click()
    visit.page.wait_for_load_state()
    assert visit.page.locator("html").get_attribute("lang") == "fr"


def test_accessibility_statement(visit: Visit) -> None:
    visit.goto("/accessibilite")
    assert visit.page.get_by_role("heading", level=1).inner_text() == \
        "Déclaration d'accessibilité"
    assert "partiellement conforme" in visit.page.content()
    check(visit, "accessibility")


@pytest.mark.parametrize("path", ["/nowhere", "/static/../mssante.toml"])
def test_error_page(visit: Visit, path: str) -> None:
    response = visit.goto(path)
    assert response.status == 404
    assert visit.page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    check(visit, "error-404")


def test_logout(visit: Visit) -> None:
    visit.log_in()
    visit.page.get_by_role("button", name="Se déconnecter").click()
    visit.page.wait_for_load_state()
    assert visit.page.get_by_role("status").inner_text() == "Déconnexion effectuée."
    visit.goto("/settings")
    assert re.search(r"/login\?next=", visit.page.url)


def test_api_docs_work_offline(visit: Visit) -> None:
    visit.goto("/docs")
    visit.page.get_by_role("heading", name=re.compile("mssante")).first.wait_for(
        timeout=15000)
    assert visit.page.get_by_text("/api/directory/search").first.is_visible()
    screenshot(visit.page, f"docs-{visit.page.viewport_size['width']}")
    assert not visit.foreign_requests(), visit.foreign_requests()
