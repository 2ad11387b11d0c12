"""The head's payroll: who sees it, what it says, its XLSX, and closing the month."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from openpyxl import load_workbook

from salespulse.bonus.models import ClosedMonth
from tests.bonus.conftest import fact
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
URL = "/bonus/north/"


def test_it_checks_ownership(client, org):
    with time_machine.travel(NOON, tick=False):
        for outsider in ("ann", "bob", "south_head"):
            client.login(username=outsider, password=PASSWORD)
            assert client.get(URL).status_code == 404
            assert client.post(URL + "close/", {"month": "2026-10"}).status_code == 404
        for insider in ("north_head", "director"):
            client.login(username=insider, password=PASSWORD)
            assert client.get(URL).status_code == 200
    assert not ClosedMonth.objects.exists()


def test_anonymous_is_sent_to_log_in(client, org):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_the_table_shows_base_components_bonus_and_the_facts(client, org):
    client.login(username="north_head", password=PASSWORD)
    with time_machine.travel(NOON, tick=False):
        page = client.get(URL, HTTP_ACCEPT_LANGUAGE="ru")
    (row,) = page.context["rows"]
    assert (row.seller, row.base, row.bonus, row.to_pay, row.projected) == (
        "ann", 30000, 2500, 32500, 30000,
    )  # fmt: skip
    text = page.content.decode().replace("&nbsp;", "\u00a0")
    assert "Анна Петрова" in text and "32\u00a0500\u00a0₽" in text
    assert "За лиды · 15 · 38\u00a0%: 2\u00a0500\u00a0₽" in text
    assert "Закрыть месяц" not in text  # November is not over


def test_the_xlsx_holds_the_screen_s_numbers(client, org):
    client.login(username="north_head", password=PASSWORD)
    with time_machine.travel(NOON, tick=False):
        response = client.get(URL + "?export=payroll&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    ann = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert sheet.title == "Премии" and ann["Менеджер"] == "Анна Петрова"
    assert (ann["Оклад"], ann["За лиды"], ann["За план по лидам"]) == (30000, 2500, 0)
    assert (ann["Премия"], ann["К выплате"], ann["Премия в текущем темпе"]) == (2500, 32500, 30000)
    assert (ann["Лиды: факт"], ann["Лиды: план"], ann["Лиды: выполнение"]) == (15, 40, 0.375)
    assert sheet["B2"].number_format == '#,##0.00 "₽"'
    footer = [c.value for c in sheet[3]]
    assert footer[0] == "Итого" and footer[header.index("К выплате")] == 32500


def test_the_head_closes_a_month_and_it_stays_as_paid(client, org):
    client.login(username="north_head", password=PASSWORD)
    with time_machine.travel(DECEMBER, tick=False):
        page = client.get(URL + "?month=2026-11")
        assert page.context["can_close"]
        response = client.post(URL + "close/", {"month": "2026-11"})
        assert response.status_code == 302 and response.url == URL + "?month=2026-11"
        fact(org["ann"], "leads", datetime(2026, 11, 12).date(), 10)
        november = client.get(URL + "?month=2026-11").context["rows"][0]
        december = client.get(URL + "?month=2026-12").context["rows"][0]
    assert november.closed and november.bonus == (19 - 10) * 500
    assert december.adjustment == 10000


def test_the_current_month_cannot_be_closed(client, org):
    client.login(username="north_head", password=PASSWORD)
    with time_machine.travel(NOON, tick=False):
        client.post(URL + "close/", {"month": "2026-11"})
    assert not ClosedMonth.objects.exists()


@pytest.mark.parametrize(
    "url", ["/admin/bonus/scheme/", "/admin/bonus/scheme/add/", "/admin/bonus/closedmonth/"]
)
def test_the_admin_lists_schemes_and_closed_months(client, org, url):
    from tests.factories import make_admin

    client.force_login(make_admin("root"))
    assert client.get(url).status_code == 200
