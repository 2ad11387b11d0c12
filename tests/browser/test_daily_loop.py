"""The daily loop in a real browser: a seller closes the day on a phone, the head sees it,
returns it with a comment, the seller corrects it."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from salespulse.kpis.facts import set_auto_facts
from salespulse.reports.models import DayReport
from tests.browser.test_login import assert_fits_the_phone, click_and_load, log_in
from tests.factories import PASSWORD, make_department, make_head, make_seller

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def caller():
    department = make_department("cold", "Холодные звонки")
    seller = make_seller("petrov", department, "cold_caller", first_name="Пётр", last_name="Петров")
    make_head("boss", [department])
    today = timezone.now().astimezone(ZoneInfo(seller.timezone)).date()
    # Telephony has already filled the call KPIs for today.
    set_auto_facts(
        [
            (seller.pk, "calls", today, Decimal(84)),
            (seller.pk, "conversations", today, Decimal(31)),
            (seller.pk, "talk_time", today, Decimal(3725)),
        ]
    )
    return seller, today


def test_close_the_day_then_the_head_returns_it_and_the_seller_corrects_it(phone, caller, shots):
    seller, today = caller
    log_in(phone, "petrov", PASSWORD)
    # Open (the seller's home is the day form), type, submit: three actions.
    assert phone.url.endswith("/reports/day/")
    assert phone.locator(".kpihead .auto").first.inner_text().strip() == "84"
    phone.fill("input[name=v_leads]", "6")
    assert_fits_the_phone(phone)
    click_and_load(phone, "button.primary")
    assert phone.locator(".badge.on_time, .badge.late").count() == 1
    phone.screenshot(path=shots / "day-closed-375.png", full_page=True)
    report = DayReport.objects.get(employee=seller, day=today)
    assert report.versions.get().values == {"leads": "6.00"}

    phone.context.clear_cookies()
    log_in(phone, "boss", PASSWORD)
    phone.goto(f"/reports/sellers/petrov/?month={today:%Y-%m}&kpi=leads")
    assert_fits_the_phone(phone)
    click_and_load(phone, f"a[href='/reports/sellers/petrov/{today.isoformat()}/']")
    assert phone.locator("li.step.version").count() == 1
    phone.fill("form[action$='/return/'] textarea[name=comment]", "Лиды не сходятся с CRM")
    click_and_load(phone, "form[action$='/return/'] button.primary")
    report.refresh_from_db()
    assert report.status == DayReport.Status.RETURNED

    phone.context.clear_cookies()
    log_in(phone, "petrov", PASSWORD)
    assert "Лиды не сходятся с CRM" in phone.locator(".notice.returned").inner_text()
    assert phone.locator(".badge.returned").count() == 1
    assert phone.input_value("input[name=v_leads]") == "6.00"
    phone.fill("input[name=v_leads]", "4")
    click_and_load(phone, "button.primary")
    report.refresh_from_db()
    assert report.status == DayReport.Status.SUBMITTED
    assert [v.values["leads"] for v in report.versions.order_by("number")] == ["6.00", "4.00"]


def test_a_bad_figure_is_refused_in_the_page_and_nothing_is_saved(phone, caller):
    seller, today = caller
    log_in(phone, "petrov", PASSWORD)
    phone.fill("input[name=v_leads]", "-3")
    click_and_load(phone, "button.primary")
    assert phone.locator("p.error").count() >= 1
    assert phone.input_value("input[name=v_leads]") == "-3"
    assert not DayReport.objects.filter(employee=seller).exists()
