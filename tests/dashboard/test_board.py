"""The head's board on a small real department: who is behind, silent, falling, mistyping."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salespulse.dashboard.board import build
from salespulse.dashboard.tables import reason
from salespulse.kpis.models import DailyFact, Kpi, Plan
from salespulse.lib.cutoff import Cutoff
from salespulse.lib.periods import Period, days_between
from salespulse.reports.models import DayReport
from tests.factories import make_department, make_head, make_seller

pytestmark = pytest.mark.django_db

# Friday 20 March 2026; the board judges the month up to Thursday the 19th.
TODAY = date(2026, 3, 20)
MARCH = Period.of("month", TODAY)
# Defender of the Fatherland Day, and 8 March (a Sunday) moved to Monday the 9th.
HOLIDAYS = {date(2026, 2, 23), date(2026, 3, 9)}


def fact(seller, code, day, value, auto=None):
    DailyFact.objects.create(
        employee=seller,
        kpi=Kpi.objects.get(code=code),
        day=day,
        value=Decimal(value),
        auto_value=None if auto is None else Decimal(auto),
    )


def report(seller, day, status=DayReport.Status.SUBMITTED):
    at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=14)
    DayReport.objects.create(
        employee=seller, day=day, status=status, first_submitted_at=at, submitted_at=at
    )


def working(start, end):
    return [d for d in days_between(start, end) if d.weekday() < 5 and d not in HOLIDAYS]


@pytest.fixture
def team():
    head = make_head("boss")
    dept = make_department("north", "Север", heads=[head])
    steady = make_seller("steady", dept, "cold_caller", last_name="Ровный")
    fading = make_seller("fading", dept, "cold_caller", last_name="Спадающий")
    silent = make_seller("silent", dept, "cold_caller", last_name="Молчащий")
    calls = Kpi.objects.get(code="calls")
    for seller in (steady, fading, silent):
        Plan.objects.create(employee=seller, kpi=calls, start=MARCH.start, value=Decimal(2100))
    # Five weeks of 100 calls a day, the fading seller drops to 50 in the last week.
    for day in working(date(2026, 2, 9), TODAY - timedelta(days=1)):
        recent = day > TODAY - timedelta(days=8)
        fact(steady, "calls", day, 100)
        fact(fading, "calls", day, 50 if recent else 100)
        report(steady, day)
        report(fading, day)
        if day < TODAY - timedelta(days=2):  # silent since Wednesday
            fact(silent, "calls", day, 100)
            report(silent, day)
    return {"dept": dept, "steady": steady, "fading": fading, "silent": silent, "head": head}


def board_of(team):
    return build([team["dept"]], MARCH, TODAY)[0]


def test_the_month_is_judged_up_to_yesterday():
    cut = Cutoff(TODAY)
    assert cut.finished_end(MARCH) == date(2026, 3, 19)
    # Today alone: nothing finished yet, today's progress is what is shown.
    assert cut.finished_end(Period.of("day", TODAY)) < TODAY
    assert cut.shown_end(Period.of("day", TODAY)) == TODAY
    assert cut.finished_end(Period.of("month", date(2026, 2, 1))) == date(2026, 2, 28)


def test_silent_seller_is_listed_with_the_days_in_a_row(team):
    board = board_of(team)
    silent = [ln for ln in board.not_reported]
    assert [ln.seller.login for ln in silent] == ["silent"]
    assert silent[0].streak == 2 and silent[0].last_day == date(2026, 3, 19)
    first = board.attention_by_seller[0]
    assert first[0].login == "silent"
    assert reason(first[1][0]) == "no daily report for 2 working days in a row"


def test_falling_seller_against_their_own_weeks(team):
    board = board_of(team)
    fading = dict((s.login, items) for s, items in board.attention_by_seller)["fading"]
    kinds = {a.kind for a in fading}
    assert "falling" in kinds
    falling = next(a for a in fading if a.kind == "falling")
    assert falling.detail["drop"].drop == Decimal("0.5")
    assert "steady" not in {s.login for s, _items in board.attention_by_seller}


def test_behind_plan_in_units_and_days(team):
    board = board_of(team)
    # March 2026 has 21 working days (8 March moved to Monday the 9th): 100 a day of plan.
    behind = {s.login: gap for s, _kpi, gap in board.behind}
    assert behind["fading"].units == Decimal(250)  # five days at 50 instead of 100
    assert behind["fading"].days == Decimal("2.5")
    assert "steady" not in behind
    line = next(ln for ln in board.lines if ln.seller.login == "steady")
    assert line.cells[0].kpi.code == "calls" and line.cells[0].pace == "ahead"


def test_totals_are_sums_and_ratios_of_sums(team):
    steady, fading = team["steady"], team["fading"]
    day = date(2026, 3, 2)
    fact(steady, "conversations", day, 10)
    fact(steady, "talk_time", day, 1000)
    fact(fading, "conversations", day, 30)
    fact(fading, "talk_time", day, 600)
    board = board_of(team)
    totals = {c.kpi.code: c.result for c in board.totals}
    # 1600 s over 40 conversations: 40 s, not the mean of 100 s and 20 s.
    assert totals["avg_talk_time"].fact == Decimal(40)
    assert totals["calls"].fact == sum(ln.cells[0].result.fact for ln in board.lines)


def test_a_typed_figure_far_from_telephony_is_flagged(team):
    day = date(2026, 3, 19)
    DailyFact.objects.filter(employee=team["steady"], kpi__code="calls", day=day).update(
        value=Decimal(160), auto_value=Decimal(100)
    )
    board = board_of(team)
    steady = dict((s.login, items) for s, items in board.attention_by_seller)["steady"]
    mismatch = next(a for a in steady if a.kind == "mismatch")
    assert mismatch.detail["typed"] == 160 and mismatch.detail["recorded"] == 100
    assert "typed 160, the system recorded 100" in reason(mismatch)


def test_a_returned_report_waiting_for_correction_is_listed(team):
    DayReport.objects.filter(employee=team["steady"], day=date(2026, 3, 17)).update(
        status=DayReport.Status.RETURNED
    )
    board = board_of(team)
    steady = dict((s.login, items) for s, items in board.attention_by_seller)["steady"]
    assert [a.kind for a in steady] == ["returned"]


def test_pace_too_low_to_make_the_month(team):
    Plan.objects.filter(employee=team["steady"]).update(value=Decimal(4000))
    board = board_of(team)
    steady = dict((s.login, items) for s, items in board.attention_by_seller)["steady"]
    pace = next(a for a in steady if a.kind == "pace")
    # 13 working days at 100 a day: 2100 by the end of a 21-day month, 53 % of 4000.
    assert pace.detail["pace"].forecast == Decimal(2100)
    assert "at this pace 53% of the plan (2,100 of 4,000)" in reason(pace)


def test_board_queries_do_not_grow_with_sellers(team):
    with CaptureQueriesContext(connection) as few:
        build([team["dept"]], MARCH, TODAY)
    for i in range(6):
        seller = make_seller(f"extra{i}", team["dept"], "cold_caller")
        fact(seller, "calls", date(2026, 3, 2), 10)
        report(seller, date(2026, 3, 2))
    with CaptureQueriesContext(connection) as many:
        boards = build([team["dept"]], MARCH, TODAY)
    assert len(boards[0].lines) == 9
    assert len(many.captured_queries) == len(few.captured_queries)
