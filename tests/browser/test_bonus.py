"""The bonus on a phone: the seller's panel and the head's payroll fit 375 px."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from salespulse.bonus import schemes
from salespulse.core.demo_bonus import SALESPERSON
from salespulse.kpis.models import DailyFact, Kpi, Plan
from salespulse.lib import bonus_spec
from tests.browser.test_login import assert_fits_the_phone, log_in
from tests.factories import PASSWORD, make_department, make_head, make_seller

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def star():
    department = make_department("sales", "Отдел продаж")
    seller = make_seller(
        "volkov", department, "salesperson", first_name="Павел", last_name="Волков"
    )
    make_head("boss", [department])
    today = timezone.now().astimezone(ZoneInfo(seller.timezone)).date()
    month = today.replace(day=1)
    deals_sum = Kpi.objects.get(code="deals_sum")
    Plan.objects.create(employee=seller, kpi=deals_sum, start=month, value=Decimal(2_160_000))
    # A big month already on its first day: the panel's longest figures.
    DailyFact.objects.create(employee=seller, kpi=deals_sum, day=month, value=Decimal("2793304.08"))
    schemes.save(schemes.target_of("salesperson"), bonus_spec.loads(SALESPERSON), date(2020, 1, 1))
    return seller


def test_the_seller_s_panel_and_the_head_s_payroll_fit_a_phone(phone, star, shots):
    log_in(phone, "volkov", PASSWORD)
    phone.goto("/reports/day/")
    assert "Премия" in phone.locator("section.bonus h2").inner_text()
    phone.click("section.bonus summary")
    assert_fits_the_phone(phone)
    phone.screenshot(path=shots / "bonus-day-375.png", full_page=True)

    phone.context.clear_cookies()
    log_in(phone, "boss", PASSWORD)
    phone.goto("/bonus/sales/")
    assert "Павел Волков" in phone.locator("table.payroll").inner_text()
    assert_fits_the_phone(phone)
    phone.goto("/bonus/sales/scheme/")
    assert_fits_the_phone(phone)
    phone.screenshot(path=shots / "bonus-scheme-375.png", full_page=True)
