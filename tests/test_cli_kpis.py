"""`salespulse kpis` on a tiny company whose every figure is worked out by hand below.

November 2026 has 20 working days: 4 November (Wednesday) is National Unity Day.
As of Tuesday 10 November, 6 of them have passed (2, 3, 5, 6, 9, 10) and 14 are left.

- ann: calls plan 2000 for the month -> 100 a working day, plan to date 600. She logged
  95 + 105 + 10 (on the holiday: figures from days off count) + 110 + 120 + 80 + 100 =
  620 calls by the 10th, and 500 more on the 11th (after the date: not counted).
  Deals: 2 for 10 000,50 ₽ on the 2nd, 1 for 5 000,00 ₽ on the 5th (3 for 99 999 ₽ on
  the 12th, not counted); average check plan 4 500 ₽.
- bob: hired on Monday 9 November, so his month has 16 working days, 2 passed; calls
  plan 1600 -> 100 a day, plan to date 200; 50 + 70 = 120 calls; no deals, no check plan.
"""

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from salespulse.kpis.models import DailyFact, Kpi, Plan, Role, RoleKpi
from salespulse.lib import fmt
from salespulse.reports.models import DayReport
from tests.factories import ensure_catalogue, make_department, make_seller

pytestmark = pytest.mark.django_db

MONTH = date(2026, 11, 1)
# --date picks the cut-off: the 11th is "today", so the month is judged up to the 10th and
# the 11th's 500 calls are today's progress (in the required pace, not in completion).
AS_OF = "2026-11-11"


def fact(seller, code, day, value):
    DailyFact.objects.create(
        employee=seller, kpi=Kpi.objects.get(code=code), day=date(2026, 11, day), value=value
    )


@pytest.fixture
def company():
    ensure_catalogue()
    role = Role.objects.create(code="caller_closer", name_ru="Звонки и сделки")
    RoleKpi.objects.create(role=role, kpi=Kpi.objects.get(code="calls"), order=0)
    RoleKpi.objects.create(role=role, kpi=Kpi.objects.get(code="avg_check"), order=1)
    north = make_department("north", "Север")
    make_department("empty", "Пустой")
    ann = make_seller("ann", north, "caller_closer", first_name="Анна", last_name="Петрова")
    bob = make_seller(
        "bob", north, "caller_closer", first_name="Борис", last_name="Орлов",
        hired_on=date(2026, 11, 9),
    )  # fmt: skip
    for day, calls in [(2, 95), (3, 105), (4, 10), (5, 110), (6, 120), (9, 80), (10, 100)]:
        fact(ann, "calls", day, calls)
    fact(ann, "calls", 11, 500)
    fact(ann, "deals_count", 2, 2)
    fact(ann, "deals_sum", 2, Decimal("10000.50"))
    fact(ann, "deals_count", 5, 1)
    fact(ann, "deals_sum", 5, Decimal("5000.00"))
    fact(ann, "deals_count", 12, 3)
    fact(ann, "deals_sum", 12, Decimal("99999.00"))
    fact(bob, "calls", 9, 50)
    fact(bob, "calls", 10, 70)
    for seller, code, value in [
        (ann, "calls", 2000),
        (ann, "avg_check", 4500),
        (bob, "calls", 1600),
    ]:
        Plan.objects.create(
            employee=seller, kpi=Kpi.objects.get(code=code), start=MONTH, value=value
        )
    return {"ann": ann, "bob": bob}


def run(*args: str) -> str:
    out = StringIO()
    call_command("kpis", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--format", "json"))


def by_key(data: dict) -> dict[tuple, dict]:
    return {(row["seller"], row["kpi"]): row for row in data["rows"]}


ANN_CALLS = {
    "seller": "ann",
    "department": "north",
    "kpi": "calls",
    "unit": "count",
    "plan": 2000,
    "plan_to_date": 600,
    "fact": 620,
    "completion": 1.0333,  # 620 / 600
    "forecast": 2066.67,  # 620 / 6 × 20
    "required_pace": 62.86,  # (2000 − 620 − 500 today) / 14, today included
}
ANN_CHECK = {
    "seller": "ann",
    "department": "north",
    "kpi": "avg_check",
    "unit": "money",
    "plan": "4500.00",
    "plan_to_date": "4500.00",
    "fact": "5000.17",  # 15 000,50 / 3
    "completion": 1.1111,
    "forecast": "5000.17",  # a ratio's forecast is its current level
    "required_pace": None,
}
BOB_CALLS = {
    "seller": "bob",
    "department": "north",
    "kpi": "calls",
    "unit": "count",
    "plan": 1600,
    "plan_to_date": 200,
    "fact": 120,
    "completion": 0.6,
    "forecast": 960,  # 120 / 2 × 16: his own calendar, not the company's 20 days
    "required_pace": 105.71,  # (1600 − 120) / 14
}
BOB_CHECK = {
    "seller": "bob",
    "department": "north",
    "kpi": "avg_check",
    "unit": "money",
    "plan": None,
    "plan_to_date": None,
    "fact": None,  # no deals: 0 / 0 is not a figure
    "completion": None,
    "forecast": None,
    "required_pace": None,
}


def test_month_with_a_holiday(company):
    data = run_json("--scope", "department:north", "--date", AS_OF)
    assert data["period"] == {
        "kind": "month", "start": "2026-11-01", "end": "2026-11-30", "as_of": "2026-11-10"
    }  # fmt: skip
    assert data["rows"] == [ANN_CALLS, ANN_CHECK, BOB_CALLS, BOB_CHECK]


def test_json_types(company):
    data = run_json("--date", AS_OF)
    assert list(data) == ["period", "rows"]
    for row in data["rows"]:
        assert list(row) == [
            "seller", "department", "kpi", "unit", "plan", "plan_to_date", "fact",
            "completion", "forecast", "required_pace",
        ]  # fmt: skip
        for name in ("plan", "plan_to_date", "fact", "forecast", "required_pace"):
            value = row[name]
            if row["unit"] == "money":
                assert value is None or (isinstance(value, str) and len(value.split(".")[1]) == 2)
            else:
                assert value is None or isinstance(value, int | float)
        assert row["completion"] is None or isinstance(row["completion"], float)


def test_totals(company):
    data = run_json("--scope", "department:north", "--date", AS_OF, "--totals")
    rows = by_key(data)
    assert rows[(None, "calls")] == {
        "seller": None,
        "department": "north",
        "kpi": "calls",
        "unit": "count",
        "plan": 3600,
        "plan_to_date": 800,
        "fact": 740,
        "completion": 0.925,
        "forecast": 3026.67,  # each member's own forecast: 2066.67 + 960
        "required_pace": 168.57,  # (3600 − 740 − 500) / 14 days left on the company calendar
    }
    check = rows[(None, "avg_check")]
    assert (check["fact"], check["plan"], check["completion"]) == ("5000.17", "4500.00", 1.1111)
    assert [r["seller"] for r in data["rows"]] == ["ann", "ann", "bob", "bob", None, None]


def test_seller_scope_and_range(company):
    data = run_json(
        "--scope", "seller:ann", "--date", "2026-11-02", "--to", "2026-11-06"
    )  # fmt: skip
    assert data["period"] == {
        "kind": "range", "start": "2026-11-02", "end": "2026-11-06", "as_of": "2026-11-06"
    }  # fmt: skip
    calls = by_key(data)[("ann", "calls")]
    # Four working days around the holiday: 400 planned, 440 done (10 on the holiday).
    assert calls["plan"] == 400 and calls["plan_to_date"] == 400
    assert calls["fact"] == 440 and calls["completion"] == 1.1
    assert calls["forecast"] == 440 and calls["required_pace"] is None
    assert {r["seller"] for r in data["rows"]} == {"ann"}
    # `--period range` spelled out means the same.
    assert run_json(
        "--scope", "seller:ann", "--period", "range", "--date", "2026-11-02", "--to", "2026-11-06"
    ) == data  # fmt: skip


def test_other_periods(company):
    week = run_json("--scope", "seller:ann", "--period", "week", "--date", "2026-11-05")
    # A week that is over is judged whole, whichever of its days is named.
    assert week["period"] == {
        "kind": "week", "start": "2026-11-02", "end": "2026-11-08", "as_of": "2026-11-08"
    }  # fmt: skip
    calls = by_key(week)[("ann", "calls")]
    # Four working days around the holiday (400 planned), 440 calls including its 10.
    assert (calls["plan"], calls["plan_to_date"], calls["fact"]) == (400, 400, 440)
    day = run_json("--scope", "seller:ann", "--period", "day", "--date", "2026-11-11")
    # A day that is over is finished: judged whole.
    assert by_key(day)[("ann", "calls")]["fact"] == 500
    assert by_key(day)[("ann", "calls")]["plan"] == 100
    assert by_key(day)[("ann", "calls")]["completion"] == 5


def test_today_is_judged_once_closed(company):
    """On the 11th at noon the day is in progress; once ann closes it, it is finished."""
    with time_machine.travel(datetime(2026, 11, 11, 9, 0, tzinfo=UTC), tick=False):
        day = by_key(run_json("--scope", "seller:ann", "--period", "day"))[("ann", "calls")]
        assert (day["fact"], day["completion"], day["plan"]) == (0, None, 100)
        assert day["required_pace"] == 0  # 500 done today against 100
        month = run_json("--scope", "seller:ann")
        assert month["period"]["as_of"] == "2026-11-10"
        assert by_key(month)[("ann", "calls")]["required_pace"] == 62.86
        at = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
        DayReport.objects.create(
            employee=company["ann"], day=date(2026, 11, 11), status=DayReport.Status.SUBMITTED,
            first_submitted_at=at, submitted_at=at,
        )  # fmt: skip
        day = by_key(run_json("--scope", "seller:ann", "--period", "day"))[("ann", "calls")]
        assert (day["fact"], day["completion"]) == (500, 5)
        month = run_json("--scope", "seller:ann")
        assert month["period"]["as_of"] == "2026-11-11"
        # (2000 − 1120) over the 13 working days after the 11th.
        assert by_key(month)[("ann", "calls")]["required_pace"] == 67.69


def test_empty_department(company):
    assert run_json("--scope", "department:empty", "--date", AS_OF)["rows"] == []
    assert "Нет продавцов" in run("--scope", "department:empty", "--date", AS_OF)


def test_csv(company):
    text = run("--scope", "department:north", "--date", AS_OF, "--format", "csv", "--totals")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "seller", "department", "kpi", "unit", "plan", "plan_to_date", "fact",
        "completion", "forecast", "required_pace",
    ]  # fmt: skip
    assert rows[1] == [
        "ann", "north", "calls", "count", "2000", "600", "620", "1.0333", "2066.67", "62.86",
    ]  # fmt: skip
    assert rows[2] == [
        "ann", "north", "avg_check", "money", "4500.00", "4500.00", "5000.17", "1.1111",
        "5000.17", "",
    ]  # fmt: skip
    assert rows[5][:3] == ["", "north", "calls"]
    assert rows[3][7] == "0.6000"
    assert len(rows) == 1 + 6


def cells(line: str) -> list[str]:
    # Split on ASCII spaces only: figures hold no-break spaces between digit groups.
    return [cell for cell in line.split(" ") if cell]


def test_table_in_russian_formats(company):
    out = run("--scope", "department:north", "--date", AS_OF, "--totals")
    lines = out.splitlines()
    assert lines[0] == "Север · месяц 01.11.2026–30.11.2026, итоги по 10.11.2026"
    ann = next(line for line in lines if line.startswith("Анна Петрова"))
    assert ann.split("  ")[0] == "Анна Петрова"
    # Through salespulse.lib.fmt, whatever its rounding rules: 2 000, 103 %, 2 066,67.
    forecast = fmt.value(Decimal(620) / 6 * 20, "count", "ru")
    assert "2\u00a0000" in ann and "103\u00a0%" in ann and forecast in cells(ann)
    check = next(line for line in lines if "Средний чек" in line)
    assert "5\u00a0000,17\u00a0₽" in check and "4\u00a0500,00\u00a0₽" in check
    assert any(line.startswith("Итого: Север") for line in lines)
    bob = next(i for i, line in enumerate(lines) if line.startswith("Борис Орлов"))
    assert fmt.value(Decimal(1480) / 14, "count", "ru") in cells(lines[bob])
    # His average check has neither fact nor plan: dashes, not zeros.
    assert lines[bob + 1].startswith(" ") and cells(lines[bob + 1])[2:] == ["—"] * 6


@pytest.mark.parametrize(
    "args, message",
    [
        (["--date", "2026-13-01"], "Bad date for --date: '2026-13-01' (use YYYY-MM-DD)"),
        (["--date", "10.11.2026"], "Bad date for --date"),
        (["--to", "tomorrow"], "Bad date for --to"),
        (["--period", "fortnight"], "Unknown period: fortnight (expected one of: day, week,"),
        (["--period", "range", "--date", AS_OF], "A date range needs --to YYYY-MM-DD"),
        (
            ["--period", "week", "--date", AS_OF, "--to", "2026-11-20"],
            "--to goes with --period range only",
        ),
        (
            ["--date", AS_OF, "--to", "2026-11-09"],
            "--to (2026-11-09) is before --date (2026-11-11)",
        ),
        (["--scope", "team:north"], "Unknown scope 'team:north'"),
        (["--scope", "department:nope"], "Unknown department: nope"),
        (["--scope", "seller:nobody"], "Unknown seller: nobody"),
        (["--format", "xml"], "Unknown format: xml"),
    ],
)
def test_bad_input(company, args, message):
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("kpis", *args, stdout=out)
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)
    assert out.getvalue() == ""


def test_bad_input_exits_non_zero_from_the_shell(tmp_path):
    # A scratch data directory with its embedded database (never the DATABASE_URL of a
    # PostgreSQL run: the command would set that database up).
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["SALESPULSE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "salespulse", "kpis", "--period", "fortnight"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    # The new database is set up first (one line), then the error is one line.
    setup, error = done.stderr.strip().splitlines()
    assert setup.startswith("salespulse: set up a new database")
    assert "Unknown period: fortnight" in error


def test_help_says_that_date_picks_the_period_and_the_cut_off():
    from salespulse.core.management.commands.kpis import Command

    text = " ".join(Command().create_parser("salespulse", "kpis").format_help().split())
    assert "--date picks the period and the cut-off" in text
    assert "YYYY-MM-DD: picks the period and the cut-off" in text
