"""The board, the director's view and the seller page: who gets them, and their exports."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from salespulse.kpis.models import DailyFact, Kpi, Plan
from tests.factories import make_admin, make_department, make_director, make_head, make_seller

pytestmark = pytest.mark.django_db

MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def org():
    north = make_department("north", "Север")
    south = make_department("south", "Юг")
    ann = make_seller("ann", north, first_name="Анна", last_name="Петрова")
    cat = make_seller("cat", south, first_name="Катя", last_name="Юрьева")
    deals = Kpi.objects.get(code="deals_sum")
    for seller, value in ((ann, "150000.50"), (cat, "99000")):
        Plan.objects.create(employee=seller, kpi=deals, start=date(2026, 3, 1), value=300000)
        DailyFact.objects.create(employee=seller, kpi=deals, day=date(2026, 3, 2), value=value)
    return {
        "ann": ann,
        "cat": cat,
        "head_n": make_head("head_n", [north]),
        "head_s": make_head("head_s", [south]),
        "director": make_director("director"),
        "admin": make_admin("admin"),
    }


def board(code):
    return reverse("department", kwargs={"code": code})


def seller(login):
    return reverse("seller", kwargs={"login": login})


XLSX = {**MARCH, "export": "sellers", "format": "xlsx"}
CSV = {**MARCH, "export": "sellers", "format": "csv"}


@pytest.mark.parametrize("query", [MARCH, XLSX, CSV])
def test_it_checks_ownership_head_of_another_department(client, org, query):
    client.force_login(org["head_s"])
    assert client.get(board("north"), query).status_code == 404
    assert client.get(seller("ann"), query if query is MARCH else {**MARCH, "export": "reports"}
                      ).status_code == 404  # fmt: skip
    assert client.get(board("south"), query).status_code == 200


@pytest.mark.parametrize("query", [MARCH, XLSX])
def test_it_checks_ownership_seller(client, org, query):
    client.force_login(org["ann"].user)
    assert client.get(board("north"), query).status_code == 404
    assert client.get(reverse("departments"), query).status_code == 404
    assert client.get(seller("cat"), query).status_code == 404
    # Their own page is theirs, export included.
    assert (
        client.get(seller("ann"), {**MARCH, "export": "reports", "format": "csv"}).status_code
        == 200
    )


def test_it_checks_ownership_anonymous(client, org):
    for url in (board("north"), reverse("departments"), seller("ann")):
        response = client.get(url, XLSX)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["director", "admin"])
def test_director_sees_every_department_once(client, org, who):
    client.force_login(org[who])
    response = client.get(reverse("departments"), MARCH)
    assert response.status_code == 200
    assert [r["board"].department.code for r in response.context["rows"]] == ["north", "south"]


def test_a_head_sees_only_their_department_in_the_overview(client, org):
    client.force_login(org["head_n"])
    response = client.get(reverse("departments"), MARCH)
    assert [r["board"].department.code for r in response.context["rows"]] == ["north"]
    assert "Юрьева" not in response.content.decode()


def test_the_sellers_export_has_the_screens_figures(client, org):
    client.force_login(org["head_n"])
    page = client.get(board("north"), MARCH)
    cell = next(c for c in page.context["board"].lines[0].cells if c.kpi.code == "deals_sum")
    assert cell.result.fact == 150000.50
    assert "150\u00a0000,50\u00a0₽" in page.content.decode()
    response = client.get(board("north"), XLSX)
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    fact = header.index("Сумма сделок: факт")
    assert rows[0][0] == "Анна Петрова" and rows[0][fact] == 150000.5
    assert rows[-1][0] == "Отдел" and rows[-1][fact] == 150000.5
    assert sheet.cell(row=2, column=fact + 1).number_format.endswith('"₽"')


def test_csv_export_is_for_a_russian_excel(client, org):
    client.force_login(org["head_n"])
    content = client.get(board("north"), CSV).content
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "Анна Петрова;" in text and "150000,50" in text


def test_director_export(client, org):
    client.force_login(org["director"])
    response = client.get(
        reverse("departments"), {**MARCH, "export": "departments", "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    departments = {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert departments == {"Север", "Юг"}


@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_seller_page_by_day_week_month(client, org, by):
    client.force_login(org["head_n"])
    response = client.get(seller("ann"), {**MARCH, "kpi": "deals_sum", "by": by})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.grain == by and page.kpi.code == "deals_sum"
    assert {"day": 31, "week": 13, "month": 12}[by] == len(page.points)
    assert '<svg class="chart"' in response.content.decode()
    facts = [fact for _label, fact, _plan in page.points if fact is not None]
    assert sum(facts) == 150000.5
