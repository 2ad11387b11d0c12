"""A report's trail: versions with what changed, the return and the seller's answer, comments,
"seen"; the board and the digest flag a correction until a head has seen it."""

from datetime import UTC, date, datetime

import pytest

from salespulse.kpis.models import DailyFact, Kpi, Plan
from salespulse.reports.closing import Submission, return_report, submit
from salespulse.reports.models import DayReport, ReportEvent
from salespulse.reports.notify.digest import sections
from salespulse.reports.trail import corrected_unseen
from tests.factories import make_department, make_head, make_seller

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 19)  # Thursday
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
REPORT = "/reports/sellers/petrov/2026-03-19/"


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def org():
    cold, other = make_department("cold", "Холодные"), make_department("other")
    petrov = make_seller("petrov", cold, "cold_caller", first_name="Пётр", last_name="Петров")
    head = make_head("boss", [cold])
    submit(petrov, DAY, Submission(values={"leads": "7"}, comment="день"), petrov.user)
    return {"cold": cold, "petrov": petrov, "head": head, "outsider": make_head("x", [other])}


def correct(org, clock, leads="5", answer="Исправил: два лида дубли"):
    report = DayReport.objects.get()
    clock.shift(600)
    return_report(report, org["head"], "Лиды не сходятся с CRM")
    report.refresh_from_db()
    clock.shift(600)
    submit(
        org["petrov"],
        DAY,
        Submission(values={"leads": leads}, comment=answer, base_version=report.version),
        org["petrov"].user,
    )


def test_versions_are_numbered_one_two_with_the_return_between(client, org, _now):
    correct(org, _now)
    report = DayReport.objects.get()
    assert list(report.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
    client.force_login(org["head"])
    page = client.get(REPORT).content.decode()
    v1, returned, v2 = (
        page.index("Версия 1"),
        page.index("Лиды не сходятся"),
        page.index("Версия 2"),
    )
    assert v1 < returned < v2
    assert "Исправил: два лида дубли" in page  # the seller's answer
    assert "7 → <b>5</b>" in page  # what changed
    assert "boss" in page and "20.03.2026" in page  # who and when


def test_the_board_and_the_digest_flag_a_correction_until_seen(client, org, _now):
    correct(org, _now)
    client.force_login(org["head"])
    board = client.get("/departments/cold/").content.decode()
    assert 'id="corrected"' in board and "Исправлено после возврата" in board
    section = sections([org["petrov"]], DAY, NOW)[org["cold"].pk]
    assert section.corrected == ["Пётр Петров 19.03.2026"]
    assert client.post(REPORT + "seen/").status_code == 302
    assert corrected_unseen([org["cold"]]) == []
    assert 'id="corrected"' not in client.get("/departments/cold/").content.decode()
    assert ReportEvent.objects.filter(kind="seen", author=org["head"]).exists()


def test_a_head_comments_without_returning(client, org):
    client.force_login(org["head"])
    client.post(REPORT + "comment/", {"comment": "Отлично, так держать"})
    report = DayReport.objects.get()
    assert report.status == "submitted"
    assert ReportEvent.objects.get(kind="comment").text == "Отлично, так держать"
    assert "Отлично, так держать" in client.get(REPORT).content.decode()


def test_only_the_sellers_heads_comment_or_mark_seen(client, org):
    for user in (org["outsider"], org["petrov"].user):
        client.force_login(user)
        assert client.post(REPORT + "comment/", {"comment": "x"}).status_code == 404
        assert client.post(REPORT + "seen/").status_code == 404
    assert not ReportEvent.objects.exists()


def test_the_page_shows_the_days_recorded_figures_and_plan(client, org):
    calls = Kpi.objects.get(code="calls")
    Plan.objects.create(employee=org["petrov"], kpi=calls, start=date(2026, 3, 1), value=2200)
    DailyFact.objects.create(
        employee=org["petrov"], kpi=calls, day=DAY, value=97, auto_value=97, source="auto"
    )
    client.force_login(org["head"])
    page = client.get(REPORT).content.decode()
    assert "Записано телефонией / CRM" in page
    # 2 200 calls over March's 21 working days (the 9th is a holiday): about 105 a day
    row = page.split('<th scope="row">Звонки</th>')[1].split("</tr>")[0]
    assert "97" in row and "10" in row
