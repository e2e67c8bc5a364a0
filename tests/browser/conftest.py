"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium, never a
downloaded browser) at 1366x768 against pytest-django's live server.

Without Chromium (or Playwright) the tests are skipped, saying why; under
PLN123_REQUIRE_SERVICES=1 (CI, whose .ci/run installs Chromium from Debian) they fail.
Each test saves screenshots under var/screenshots/ (or PLN123_SCREENSHOTS), printed at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.services import services_required

CHROMIUM = os.environ.get("PLN123_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 768}
WIDE = {"width": 1920, "height": 1080}
PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("PLN123_SCREENSHOTS") or ROOT / "var" / "screenshots")
_saved: list[Path] = []


def _unavailable(reason: str):
    if services_required():
        pytest.fail(f"{reason}; CI (PLN123_REQUIRE_SERVICES=1) requires the browser tests to run", pytrace=False)
    pytest.skip(f"{reason}: browser tests skipped (install Debian's chromium, or run .ci/run)")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    # The sync API runs an event loop in this thread; the test's own ORM calls (setting
    # up users and rows) are still plain synchronous calls, as Django's docs allow for Playwright.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    # In Indonesian, the staff's language (issue 11): the browser asks for it in its
    # Accept-Language, as a PLN laptop's does, though the test settings default to English.
    context = browser.new_context(viewport=LAPTOP, locale="id-ID", timezone_id="Asia/Jakarta")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


def shoot(page, name: str, *, wide: bool = True) -> Path:
    """Save what a person sees at 1366x768 (the whole page), and at 1920 px wide."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    _saved.append(path)
    if wide:
        page.set_viewport_size(WIDE)
        wide_path = SHOTS / f"{name}-wide.png"
        page.screenshot(path=str(wide_path), full_page=True)
        _saved.append(wide_path)
        page.set_viewport_size(LAPTOP)
    return path


def pytest_terminal_summary(terminalreporter):
    if _saved:
        terminalreporter.write_sep("-", f"browser screenshots in {SHOTS}")
        for path in _saved:
            terminalreporter.write_line(str(path))


def login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    assert page.locator("html").get_attribute("lang") == "id", "the admin should answer in Indonesian"


@pytest.fixture
def browser_page(page):
    """The 1366x768 page under the name the what-if browser test uses."""
    return page


@pytest.fixture
def screenshot_dir() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
