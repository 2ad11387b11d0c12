"""Every XLSX/CSV goes through one exporter: the director's overview, a department's board,
the funnel, the leaderboard and the client report answer the same ?export= parameter with
the screen's number formats, and text a spreadsheet would run stays text."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from salespulse.kpis.models import DailyFact, Kpi, Plan
from tests.factories import make_department, make_director, make_head, make_seller

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
MARCH = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def org():
    north = make_department("north", "Север")
    make_head("head", [north])
    # A name a spreadsheet would run as a formula if it were written as it is.
    seller = make_seller("ann", north, "salesperson", first_name="=HYPERLINK(1)", last_name="")
    kpis = {k.code: k for k in Kpi.objects.filter(code__in=["deals_count", "deals_sum"])}
    Plan.objects.create(employee=seller, kpi=kpis["deals_sum"], start=MARCH, value=2500000)
    Plan.objects.create(employee=seller, kpi=kpis["deals_count"], start=MARCH, value=40)
    for d in range(19):
        day = MARCH + timedelta(days=d)
        DailyFact.objects.create(employee=seller, kpi=kpis["deals_count"], day=day, value=2)
        DailyFact.objects.create(
            employee=seller, kpi=kpis["deals_sum"], day=day, value=Decimal("123456.78")
        )
    return {"director": make_director("dir")}


@pytest.mark.parametrize(
    "url, table",
    [
        ("/departments/", "departments"),
        ("/departments/north/", "sellers"),
        ("/departments/north/funnel/", "funnel"),
        ("/departments/north/leaderboard/", "leaderboard"),
        ("/crm/clients/ann/", "clients"),
    ],
)
def test_every_page_exports_through_the_one_exporter(client, org, url, table):
    client.force_login(org["director"])
    xlsx = client.get(url, {"export": table, "format": "xlsx"})
    assert xlsx.status_code == 200, url
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx["Content-Disposition"].startswith("attachment")
    csv = client.get(url, {"export": table, "format": "csv"})
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.content.startswith("\ufeff".encode())
    text = csv.content.decode("utf-8-sig")
    assert "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    for c in cells:
        if isinstance(c.value, str) and "HYPERLINK" in c.value:
            assert c.data_type == "s"  # text, never a formula
    formats = {c.number_format for c in cells if isinstance(c.value, int | float)}
    if table in ("departments", "sellers", "leaderboard"):
        assert formats & {'#,##0.00 "₽"', "0%", "#,##0"}, formats
