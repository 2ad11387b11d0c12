"""Headless Chromium against Django's live server.

Browser tests must be transactional (the live server runs in another thread and only sees
committed rows) and should ask for serialized rollback, so the catalogue the data migration
installed is back for whatever test runs next:

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True,
                                                             serialized_rollback=True)]
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop on this thread; Django would otherwise refuse
# ORM calls from the test body (factories) as if they came from async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "shots"
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium to run browser tests"
        # A CI run without a browser is a broken CI image, not a reason to go green.
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A page 375 px wide, the narrowest phone the screens are built for."""
    # Many Russian users' browsers are set to English; the interface stays Russian anyway.
    context = browser.new_context(viewport=PHONE, locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(exist_ok=True)
    return SHOTS
