"""Downloads of a page's tables, and the table partial with its export links."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from salespulse.dashboard.exporting import export_response
from salespulse.dashboard.templatetags.sp_tables import cell, export_url
from salespulse.lib.periods import Period
from salespulse.lib.table import Column, Table
from tests.factories import make_department, make_head

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOVEMBER = Period.of("month", date(2026, 11, 10))


def sellers() -> Table:
    table = Table(
        "sellers",
        "Менеджеры",
        [
            Column("seller", "Менеджер"),
            Column("sum", "Сумма", "money"),
            Column("done", "%", "percent"),
        ],
    )
    table.add("Волков Иван", Decimal("1234.5"), Decimal("0.875"))
    table.add_footer("Отдел", Decimal("1234.5"), None)
    return table


def attention() -> Table:
    table = Table("attention", "Внимание", [Column("seller", "Менеджер"), Column("why", "Причина")])
    table.add("Попова Анна", "падает 15 % в неделю")
    return table


def page(request: HttpRequest) -> HttpResponse:
    """A screen with two tables, the way dashboard views use export_response."""
    response = export_response(request, [sellers(), attention()], period=NOVEMBER)
    if response is not None:
        return response
    return HttpResponse("the page")


def get(query: str) -> HttpRequest:
    return RequestFactory().get("/board/" + query)


def test_no_export_asked_renders_the_page():
    assert export_response(get("?period=month"), [sellers()]) is None
    assert page(get("")).content == b"the page"


def test_csv_of_one_table():
    with translation.override("ru"):
        response = page(get("?period=month&export=sellers&format=csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="salespulse-sellers-2026-11-01_2026-11-30.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows == [
        ["Менеджер", "Сумма", "%"],
        ["Волков Иван", "1234,50", "87,50"],
        ["Отдел", "1234,50", ""],
    ]


def test_csv_follows_the_active_language():
    with translation.override("en"):
        response = page(get("?export=sellers&format=csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["Волков Иван", "1234.50", "87.50"]


def test_xlsx_of_one_table():
    response = page(get("?export=attention&format=xlsx"))
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="salespulse-attention-2026-11-01_2026-11-30.xlsx"'
    )
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Внимание"]


def test_xlsx_is_the_default_format():
    response = page(get("?export=sellers"))
    assert response["Content-Type"] == XLSX


def test_xlsx_of_all_tables_in_one_workbook():
    response = page(get("?export=all&format=xlsx"))
    assert "salespulse-all-2026-11-01_2026-11-30.xlsx" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Менеджеры", "Внимание"]
    assert wb["Менеджеры"]["B2"].value == 1234.5
    assert wb["Менеджеры"]["B2"].number_format == '#,##0.00 "₽"'


def test_without_a_period_the_file_name_has_no_dates():
    response = export_response(get("?export=sellers&format=csv"), [sellers()])
    assert response["Content-Disposition"] == 'attachment; filename="salespulse-sellers.csv"'


@pytest.mark.parametrize(
    "query",
    ["?export=nobody&format=csv", "?export=sellers&format=pdf", "?export=all&format=csv"],
)
def test_unknown_table_or_format_is_not_found(query):
    with pytest.raises(Http404):
        page(get(query))


@pytest.mark.django_db
def test_unknown_table_is_a_404_page(client):
    head = make_head("boss")
    make_department("north", "Север", heads=[head])
    client.force_login(head)
    assert client.get("/departments/north/?export=nobody&format=xlsx").status_code == 404
    assert client.get("/departments/north/?export=sellers&format=csv").status_code == 200


# --- the partial and its tags ---------------------------------------------------------


def test_cell_formats_by_unit_in_the_active_language():
    with translation.override("ru"):
        assert cell(Decimal("1234.5"), "money") == "1\u00a0234,50\u00a0₽"
        assert cell(Decimal("0.875"), "percent") == "88\u00a0%"
        assert cell(3725, "duration") == "1:02:05"
        assert cell(Decimal("2.5"), "count") == "2,5"
        assert cell(date(2026, 11, 30), "date") == "30.11.2026"
        assert cell(None, "money") == "—"
        assert cell(None, "text") == ""
        assert cell("Волков", "text") == "Волков"
    with translation.override("en"):
        assert cell(Decimal("1234.5"), "money") == "1,234.50\u00a0₽"
        assert cell(Decimal("0.875"), "percent") == "88%"


def test_export_url_keeps_the_other_parameters():
    request = get("?period=custom&start=2026-11-01&end=2026-11-15&export=old")
    url = export_url(request, "sellers", "csv")
    assert url.startswith("/board/?")
    query = url.split("?", 1)[1].split("&")
    assert sorted(query) == sorted(
        ["period=custom", "start=2026-11-01", "end=2026-11-15", "export=sellers", "format=csv"]
    )


def test_export_url_without_a_request_is_relative():
    assert export_url(None, "sellers", "xlsx") == "?export=sellers&format=xlsx"


def test_table_partial_renders_head_body_footer_and_links():
    request = get("?period=month")
    with translation.override("ru"):
        html = render_to_string("dashboard/_table.html", {"table": sellers()}, request=request)
    assert '<table class="grid" data-table="sellers">' in html
    assert '<th scope="col" class="num">Сумма</th>' in html
    assert '<td class="text">Волков Иван</td>' in html
    assert '<td class="num">1\u00a0234,50\u00a0₽</td>' in html
    assert '<td class="num">88\u00a0%</td>' in html
    tfoot = html.split("<tfoot>", 1)[1]
    assert "Отдел" in tfoot and "Волков" not in tfoot
    assert "Скачать:" in html
    assert 'href="/board/?period=month&amp;export=sellers&amp;format=xlsx"' in html
    assert 'href="/board/?period=month&amp;export=sellers&amp;format=csv"' in html


def test_table_partial_without_rows_says_so_and_can_hide_links():
    empty = Table("empty", "Пусто", [Column("x", "X"), Column("n", "N", "count")])
    with translation.override("ru"):
        html = render_to_string(
            "dashboard/_table.html", {"table": empty, "no_exports": True}, request=get("")
        )
    assert 'colspan="2"' in html
    assert "Нет данных за период." in html
    assert "Скачать" not in html and "<tfoot>" not in html
