"""The month as a head runs it, in a real browser on a 1366×768 laptop: next month's plans
(copy last month, +5 %, one typed cell, one save), a new seller, a vacation, a returned
report and its correction arriving on the board."""

import time
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from salespulse.kpis.models import Kpi, Plan, PlanChange
from salespulse.lib.periods import month_end, next_month
from salespulse.org.models import Absence, Employee
from salespulse.reports.closing import Submission, submit
from salespulse.reports.models import DayReport
from tests.browser.test_login import assert_fits_the_phone, click_and_load, log_in
from tests.factories import PASSWORD, make_department, make_head, make_seller

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def laptop(browser, live_server):
    context = browser.new_context(viewport=LAPTOP, locale="ru-RU", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def team():
    department = make_department("cold", "Холодные звонки")
    make_head("boss", [department])
    petrov = make_seller("petrov", department, "cold_caller", first_name="Пётр", last_name="Петров")
    sidorova = make_seller(
        "sidorova", department, "cold_caller", first_name="Анна", last_name="Сидорова"
    )
    today = timezone.now().astimezone(ZoneInfo(petrov.timezone)).date()
    this_month = today.replace(day=1)
    for seller, calls in ((petrov, 2000), (sidorova, 1800)):
        for code, value in (
            ("calls", calls),
            ("conversations", calls // 4),
            ("talk_time", 30 * 3600),
            ("leads", 40),
        ):
            Plan.objects.create(
                employee=seller,
                kpi=Kpi.objects.get(code=code),
                start=this_month,
                value=Decimal(value),
            )
    # Petrov closed a day: the head will return it.
    day = today - timedelta(days=1)
    submit(petrov, day, Submission(values={"leads": "6"}, comment="обычный день"), petrov.user)
    return {"petrov": petrov, "sidorova": sidorova, "today": today, "day": day}


def cell(seller, code: str) -> str:
    return f"input[name=p_{seller.pk}_{code}]"


def test_the_head_runs_the_month(laptop, browser, live_server, team, shots):
    petrov, sidorova, day = team["petrov"], team["sidorova"], team["day"]
    following = next_month(team["today"])
    log_in(laptop, "boss", PASSWORD)
    # From the 20th the board says who has no plan for next month (everyone, now).
    if team["today"].day >= 20:
        assert "Петров" in laptop.locator("#no-plan-next").inner_text()

    # Next month's plans: copy last month, +5 %, one typed cell, one save.
    laptop.click("header nav a:has-text('Планы')")
    click_and_load(laptop, "nav.months a[aria-label='Следующий месяц']")
    assert f"{following:%m.%Y}" in laptop.locator("nav.months").inner_text()
    started = time.monotonic()
    click_and_load(laptop, "button[value=copy]")
    laptop.fill("input[name=percent]", "5")
    click_and_load(laptop, "button[value=scale]")
    laptop.fill(cell(petrov, "talk_time"), "33:00")
    click_and_load(laptop, "button[value=save]")
    seconds = time.monotonic() - started
    print(f"\nplan-setting: {seconds:.1f} s of clicks for next month's plans")
    assert seconds < 20
    plans = {
        (p.employee_id, p.kpi.code): p.value
        for p in Plan.objects.filter(start=following).select_related("kpi")
    }
    assert plans[(petrov.pk, "calls")] == 2100 and plans[(sidorova.pk, "calls")] == 1890
    assert plans[(petrov.pk, "talk_time")] == 33 * 3600  # typed as h:mm
    assert plans[(sidorova.pk, "talk_time")] == Decimal(31.5 * 3600)  # 30:00 + 5 %
    assert PlanChange.objects.filter(month=following).count() == len(plans)
    assert laptop.input_value(cell(petrov, "talk_time")) == "33:00"
    laptop.screenshot(path=str(shots / "plans-1366.png"), full_page=True)

    # A new seller in one form, with a link to set a password.
    laptop.click("header nav a:has-text('Команда')")
    laptop.fill("input[name=login]", "novikov")
    laptop.fill("input[name=name]", "Олег Новиков")
    laptop.select_option("select[name=role]", label="Холодные звонки")
    laptop.fill("input[name=extension]", "214")
    laptop.fill("input[name=email]", "novikov@example.com")
    laptop.select_option("select[name=timezone]", "Asia/Omsk")
    laptop.fill("input[name=hired_on]", following.isoformat())
    click_and_load(laptop, "form.team-add button.primary")
    link = laptop.input_value("#set-password-link input")
    assert "/password/" in link
    novikov = Employee.objects.get(user__username="novikov")
    assert (novikov.extension, novikov.timezone) == ("214", "Asia/Omsk")
    laptop.screenshot(path=str(shots / "team-1366.png"), full_page=True)

    # A vacation for Sidorova next month: her working days drop at once.
    laptop.goto(f"/departments/cold/plans/?month={following:%Y-%m}")
    row = laptop.locator("tr", has=laptop.locator("a[href='/sellers/sidorova/']"))
    days_before = int(row.locator("td.days").inner_text())
    laptop.select_option("form.absence select[name=employee]", str(sidorova.pk))
    laptop.select_option("form.absence select[name=kind]", "vacation")
    first = following + timedelta(days=7)
    laptop.fill("form.absence input[name=start]", first.isoformat())
    laptop.fill("form.absence input[name=end]", (first + timedelta(days=6)).isoformat())
    click_and_load(laptop, "form.absence button.primary")
    assert Absence.objects.get().employee == sidorova
    days_after = int(row.locator("td.days").inner_text())
    assert days_after < days_before
    assert first <= month_end(following)

    # Return Petrov's report; he corrects it on his phone; the board shows it arrived.
    laptop.goto(f"/reports/sellers/petrov/{day.isoformat()}/")
    laptop.fill("form[action$='/return/'] textarea", "Лиды не сходятся с CRM")
    click_and_load(laptop, "form[action$='/return/'] button.primary")
    assert DayReport.objects.get().status == DayReport.Status.RETURNED

    context = browser.new_context(viewport=PHONE, locale="ru-RU", base_url=live_server.url)
    phone = context.new_page()
    log_in(phone, "petrov", PASSWORD)
    phone.goto(f"/reports/day/{day.isoformat()}/")
    assert "Лиды не сходятся с CRM" in phone.locator(".notice.returned").first.inner_text()
    phone.fill("input[name=v_leads]", "4")
    phone.fill("textarea[name=comment]", "Два лида были дублями")
    click_and_load(phone, "button.primary")
    context.close()

    laptop.goto("/departments/cold/")
    notice = laptop.locator("#corrected")
    assert "Исправлено после возврата" in notice.inner_text()
    laptop.screenshot(path=str(shots / "board-corrected-1366.png"))
    with laptop.expect_navigation():
        notice.locator("a").first.click()
    trail = laptop.locator("ol.trail").inner_text()
    assert trail.index("Версия 1") < trail.index("Лиды не сходятся") < trail.index("Версия 2")
    assert "Два лида были дублями" in trail
    laptop.screenshot(path=str(shots / "report-trail-1366.png"), full_page=True)
    click_and_load(laptop, "#mark-seen")
    laptop.goto("/departments/cold/")
    assert laptop.locator("#corrected").count() == 0


def test_the_heads_new_pages_fit_a_phone(browser, live_server, team, shots):
    context = browser.new_context(viewport=PHONE, locale="ru-RU", base_url=live_server.url)
    phone = context.new_page()
    log_in(phone, "boss", PASSWORD)
    for name, url in [
        ("plans", f"/departments/cold/plans/?month={next_month(team['today']):%Y-%m}"),
        ("team", "/departments/cold/team/"),
        ("report", f"/reports/sellers/petrov/{team['day'].isoformat()}/"),
    ]:
        phone.goto(url)
        assert_fits_the_phone(phone)
        phone.screenshot(path=str(shots / f"{name}-375.png"), full_page=True)
    context.close()
