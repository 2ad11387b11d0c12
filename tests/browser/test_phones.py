"""Every page of every role at 375 px: the page never scrolls sideways (a wide table may
scroll inside its own box). Pages are those the role's navigation leads to, and one step
further (a seller's page, month, report, client report)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from salespulse.core import demo
from tests.browser.test_login import WIDTH, click_and_load

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLES = {
    "smirnova": [],  # cold caller
    "novikova": [],  # account manager
    "volkov": [],  # salesperson
    "egorov": ["/sellers/smirnova/", "/reports/sellers/smirnova/", "{report:smirnova}"],
    "pavlova": ["/sellers/novikova/", "/reports/sellers/novikova/", "/crm/clients/novikova/"],
    "kozlov": ["/sellers/volkov/", "/reports/sellers/volkov/", "{report:volkov}"],
    "stepanov": ["/departments/cold/", "/departments/accounts/plans/", "/departments/sales/team/"],
    "admin": ["/departments/sales/", "/crm/clients/fedorov/"],
}


@pytest.fixture
def company():
    demo.seed(timezone.now())


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def nav_links(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header.top nav a", "els => els.map(e => e.getAttribute('href'))"
    )
    return [h for h in hrefs if h and h.startswith("/") and not h.startswith("/admin/")]


@pytest.mark.parametrize("login", list(ROLES))
def test_every_page_of_every_role_fits_375_px(browser, live_server, company, login, shots):
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 812}, locale="ru-RU", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", demo.password_for(login))
    click_and_load(page, "button.primary")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    urls = [page.url.replace(live_server.url, ""), *nav_links(page)]
    urls += [
        re.sub(r"\{report:(\w+)\}", rf"/reports/sellers/\1/{yesterday}/", u) for u in ROLES[login]
    ]
    if login in ("novikova", "volkov", "smirnova"):
        urls.append(f"/reports/day/{yesterday}/")
    wide = {}
    for url in dict.fromkeys(urls):
        response = page.goto(url)
        assert response.status == 200, url
        if login == "pavlova" and url.startswith(("/crm/clients/", "/reports/sellers/")):
            name = re.sub(r"\W+", "-", url).strip("-")
            page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)
        if (width := sideways(page)) > WIDTH:
            wide[url] = width
            name = re.sub(r"\W+", "-", url).strip("-")
            page.screenshot(path=str(shots / f"wide-{login}-{name}.png"), full_page=True)
    context.close()
    assert not wide, f"{login}: pages scroll sideways at {WIDTH} px: {wide}"
