"""Debian's Chromium under Playwright (Playwright's own browser download is not used), and
the checks every page gets: axe-core, requests that stay on our origin, screenshots."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("MSSANTE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_VERSION = "4.14.1"
SCREENSHOTS = Path(__file__).parent / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 375}
BLOCKING_IMPACTS = {"serious", "critical"}


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which(CHROMIUM.name) is None:
        return f"Chromium not found at {CHROMIUM} (run scripts/install-test-deps.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the current page.

    The script is evaluated through the DevTools protocol, which the page's CSP does not
    govern, so the application keeps its strict policy while it is audited."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return [v for v in result if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page: Any) -> None:
    violations = run_axe(page)
    assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
