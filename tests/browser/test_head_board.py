"""The head of the demo's cold-calling department opens the board on a 1366×768 laptop and
finds the day's problems above the fold; the export holds the numbers the screen shows."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from salespulse.core import demo
from salespulse.dashboard.board import build
from salespulse.org.models import Department
from salespulse.reports.status import local_today
from tests.browser.test_login import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def laptop(browser, live_server):
    context = browser.new_context(
        viewport=LAPTOP, locale="ru-RU", base_url=live_server.url, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def company():
    # Seeded at the real moment, as `salespulse demo` does: "yesterday" is the seller's own.
    demo.seed(timezone.now())


def above_the_fold(page, selector: str) -> str:
    """The element's text, failing unless the whole element is on the first screen."""
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["y"] + box["height"] <= LAPTOP["height"], f"{selector} is below the fold: {box}"
    return page.locator(selector).inner_text()


def test_the_head_sees_the_days_problems_without_scrolling(laptop, company, shots):
    log_in(laptop, "egorov", demo.password_for("egorov"))
    assert laptop.url.endswith("/departments/cold/")
    laptop.screenshot(path=str(shots / "board-1366.png"))

    # 2. The seller who missed his last working day's report.
    missing = above_the_fold(laptop, "#missing")
    assert "Кузнецов" in missing
    # 5. The seller trending down against her own weeks, with the reason on the line.
    attention = above_the_fold(laptop, "#attention")
    popova = next(line for line in attention.splitlines() if "Попова" in line)
    assert "спад" in popova and "4 неделям" in popova
    assert "Кузнецов" in attention
    # 1. Who is behind plan, in units and days of work.
    behind = above_the_fold(laptop, "#behind")
    assert "Попова" in behind and "дн." in behind
    # 3. Will the department make the month: the forecast against plan.
    forecast = above_the_fold(laptop, "#forecast")
    assert "Звонки" in forecast and "%" in forecast
    board = build([Department.objects.get(code="cold")], _month(), _today())[0]
    calls = next(c for c in board.forecast if c.kpi.code == "calls")
    assert _ru(calls.result.forecast) in forecast


def test_the_export_holds_the_screens_numbers(laptop, company):
    log_in(laptop, "egorov", demo.password_for("egorov"))
    with laptop.expect_download() as download:
        laptop.click("p.exports a[href*='export=sellers'][href*='format=xlsx']")
    content = download.value.path().read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "Менеджер"
    assert "Звонки: факт" in header
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    popova = rows["Ольга Попова"]
    fact_on_screen = laptop.locator(
        "table.board tbody tr:has(th a:has-text('Ольга Попова')) td.cell .fact"
    ).first.inner_text()
    assert _ru(Decimal(popova[header.index("Звонки: факт")])) == fact_on_screen
    assert rows["Отдел"][header.index("Звонки: факт")] == sum(
        r[header.index("Звонки: факт")] for name, r in rows.items() if name != "Отдел"
    )


def _today():
    from salespulse.org.models import Employee

    return local_today(Employee.objects.get(user__username="egorov"))


def _month():
    from salespulse.lib.periods import Period

    return Period.of("month", _today())


def _ru(value: Decimal) -> str:
    from salespulse.lib import fmt

    return fmt.number(value, 0, "ru")
