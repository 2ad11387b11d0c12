"""One truth: every surface shows the same plan, fact, completion, forecast and pace.

The demo is seeded at three moments (a mid-month working morning, the morning of the last
working day of a month, a Sunday) and, for every seller × KPI × {day, week, month, quarter},
each surface's own output is read: its page's context (what its template renders), its CSV
export, the `kpis` command's JSON, the morning digest's figures. Every figure a surface
shows must equal every other surface's figure for the same seller, KPI, period and field.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from salespulse.core import demo
from salespulse.lib import fmt
from salespulse.org.models import Department, Employee
from salespulse.reports.notify.digest import sections
from salespulse.reports.notify.reminders import due_reminders

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MOMENTS = {
    "mid-month working morning": datetime(2026, 11, 18, 8, 4, tzinfo=MSK),
    "last working day of the month": datetime(2026, 11, 30, 8, 4, tzinfo=MSK),
    "a day off": datetime(2026, 11, 29, 12, 0, tzinfo=MSK),
}
# The board's and seller page's names for the periods; `kpis --period` takes the other.
PERIODS = {"day": "today", "week": "week", "month": "month", "quarter": "quarter"}
FIELDS = ("plan", "plan_to_date", "fact", "completion", "forecast", "required_pace")
CENT = Decimal("0.01")


def norm(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    d = Decimal(str(value))
    if field == "completion":
        return d.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return d.quantize(CENT, ROUND_HALF_UP)


class Seen:
    """(seller, kpi, period, field) -> {surface: value}."""

    def __init__(self) -> None:
        self.values: dict[tuple, dict[str, Decimal | None]] = defaultdict(dict)

    def result(self, surface: str, login: str, code: str, period: str, result, fields=FIELDS):
        for field in fields:
            self.add(surface, login, code, period, field, getattr(result, field))

    def add(self, surface, login, code, period, field, value) -> None:
        self.values[(login, code, period, field)][surface] = norm(value, field)

    def disagreements(self) -> list[str]:
        out = []
        for key, by_surface in sorted(self.values.items()):
            if len(set(by_surface.values())) > 1:
                out.append(f"{key}: {by_surface}")
        return out

    def surfaces(self) -> set[str]:
        return {s for by in self.values.values() for s in by}


def read_command(seen: Seen) -> None:
    for kind in PERIODS:
        out = StringIO()
        call_command("kpis", "--period", kind, "--format", "json", stdout=out)
        for row in json.loads(out.getvalue())["rows"]:
            for field in FIELDS:
                seen.add("kpis command", row["seller"], row["kpi"], kind, field, row[field])


def csv_number(text: str, title: str) -> Decimal | None:
    text = text.replace("\u00a0", "").replace(" ", "").replace("₽", "").replace(",", ".")
    if not text:
        return None
    if "%" in title:
        return Decimal(text) / 100
    return Decimal(text)  # a percentage KPI's own values: percent units, as on screen


def read_board(seen: Seen, client: Client, dept: Department) -> None:
    for kind, name in PERIODS.items():
        url = f"/departments/{dept.code}/"
        response = client.get(url, {"period": name})
        board = response.context["board"]
        for line in board.lines:
            for cell in line.cells:
                if cell is not None:
                    seen.result("board", line.seller.login, cell.kpi.code, kind, cell.result)
        # The export holds what the screen shows: the finished part, except for today's
        # own view, which shows today's progress (compared with the board's cells below).
        export = client.get(url, {"period": name, "export": "sellers", "format": "csv"})
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
        header, body = rows[0], rows[1:-1]
        kpis = {k.name: k for k in board.kpis}
        lines = {ln.seller.user.get_full_name(): ln for ln in board.lines}
        for row in body:
            line = lines[row[0]]
            for title, text in zip(header[1:], row[1:], strict=False):
                kpi_name, _, what = title.rpartition(": ")
                kpi = kpis.get(kpi_name)
                if kpi is None or kpi.unit == "duration" or not text:
                    continue
                cell = next(c for c in line.cells if c is not None and c.kpi == kpi)
                value = csv_number(text, title)
                login = line.seller.login
                if what in ("план", "plan"):
                    seen.add("board CSV", login, kpi.code, kind, "plan", value)
                elif what in ("прогноз", "forecast"):
                    seen.add("board CSV", login, kpi.code, kind, "forecast", value)
                elif kind != "day" and what in ("факт", "fact"):
                    seen.add("board CSV", login, kpi.code, kind, "fact", value)
                elif kind != "day":
                    seen.add("board CSV", login, kpi.code, kind, "completion", value)
                else:
                    # Today's view: today's progress, the same as the cell on the screen.
                    shown = cell.shown_fact if what in ("факт", "fact") else cell.shown_pct
                    assert norm(value, "x") == norm(shown, "x"), (login, kpi.code, what)


def read_leaderboard_and_funnel(seen: Seen, client: Client, dept: Department) -> None:
    codes = {c.kpi.code for c in client.get(f"/departments/{dept.code}/").context["board"].totals}
    for kind in ("week", "month", "quarter"):
        for code in codes:
            response = client.get(
                f"/departments/{dept.code}/leaderboard/", {"kpi": code, "period": kind}
            )
            for line in response.context["board"].lines:
                seen.result("leaderboard", line.seller.login, code, kind, line.result)
        funnel = client.get(f"/departments/{dept.code}/funnel/", {"period": kind})
        for row in funnel.context["funnel"].sellers:
            for code, value in row.values.items():
                if value is not None:
                    seen.add("funnel", row.key.login, code, kind, "fact", value)


def read_seller_pages(seen: Seen, client: Client, seller: Employee) -> None:
    login = seller.login
    for kind, name in PERIODS.items():
        page = client.get(f"/sellers/{login}/", {"period": name}).context["page"]
        for cell in page.cells:
            seen.result("seller page", login, cell.kpi.code, kind, cell.result)


def read_own_pages(seen: Seen, client: Client, seller: Employee) -> None:
    login = seller.login
    for line in client.get("/reports/day/").context["page"].lines:
        seen.result("my day", login, line.kpi.code, "month", line.month)
    for kpi, result in client.get("/reports/month/").context["page"].summary:
        seen.result("my month", login, kpi.code, "month", result)
    for cell in client.get(f"/sellers/{login}/").context["page"].cells:
        seen.result("own seller page", login, cell.kpi.code, "month", cell.result)


def read_overview(seen: Seen, client: Client) -> None:
    for kind, name in PERIODS.items():
        for row in client.get("/departments/", {"period": name}).context["rows"]:
            board = row["board"]
            for line in board.lines:
                for cell in line.cells:
                    if cell is not None:
                        login = line.seller.login
                        seen.result("director", login, cell.kpi.code, kind, cell.result)


def read_digest(seen: Seen, sellers: list[Employee], moment: datetime) -> None:
    """The digest tells each head who is behind the month, by how much: plan to date − fact."""
    day = moment.date()
    for section in sections(sellers, day, moment).values():
        for behind in section.behind:
            for item in behind.items:
                seen.add(
                    "digest", behind.seller.login, item.kpi.code, "month", "shortfall", item.behind
                )


@pytest.mark.parametrize("moment", list(MOMENTS.values()), ids=list(MOMENTS))
def test_every_surface_shows_the_same_figures(moment):
    with time_machine.travel(moment, tick=False):
        demo.seed(moment)
        seen = Seen()
        read_command(seen)
        sellers = list(Employee.objects.filter(position=Employee.Position.SELLER))
        head_client = Client()
        for dept in Department.objects.all():
            head_client.force_login(dept.heads.first())
            read_board(seen, head_client, dept)
            read_leaderboard_and_funnel(seen, head_client, dept)
            for seller in sellers:
                if seller.department_id == dept.pk:
                    read_seller_pages(seen, head_client, seller)
        director = Client()
        director.force_login(Employee.objects.get(user__username="stepanov").user)
        read_overview(seen, director)
        for seller in sellers:
            own = Client()
            own.force_login(seller.user)
            read_own_pages(seen, own, seller)
        read_digest(seen, sellers, moment)
        # The digest's shortfall is what every other surface says: plan to date − fact.
        for (login, code, period, field), by in list(seen.values.items()):
            if field == "fact" and period == "month" and "kpis command" in by:
                plan = seen.values[(login, code, period, "plan_to_date")]["kpis command"]
                fact = by["kpis command"]
                if plan is not None and fact is not None and fact < plan:
                    shortfall = seen.values.get((login, code, period, "shortfall"))
                    if shortfall is not None:
                        seen.add("kpis command", login, code, period, "shortfall", plan - fact)

    assert seen.surfaces() >= {
        "kpis command", "board", "board CSV", "leaderboard", "funnel", "seller page",
        "my day", "my month", "own seller page", "director",
    }  # fmt: skip
    assert not seen.disagreements(), "\n".join(seen.disagreements()[:30])
    # Every seller × KPI × period is read, from several surfaces each.
    keys = {(login, code, period) for login, code, period, _f in seen.values}
    assert len({k[2] for k in keys}) == 4
    assert len({k[0] for k in keys}) == 13


def test_the_last_working_day_says_what_is_left_of_the_month():
    """30.11.2026 at 08:04: smirnova's day is not over; her pages say what the month needs."""
    moment = MOMENTS["last working day of the month"]
    with time_machine.travel(moment, tick=False):
        demo.seed(moment)
        seller = Employee.objects.get(user__username="smirnova")
        client = Client()
        client.force_login(seller.user)
        response = client.get("/reports/day/")
        calls = next(ln for ln in response.context["page"].lines if ln.kpi.code == "calls")
        r = calls.month
        assert r.in_progress and r.last_day and r.working_days_left == 1
        assert r.required_pace == r.plan - r.fact_so_far > 0
        page = response.content.decode()
        assert "до плана месяца" in page
        head = Client()
        head.force_login(seller.department.heads.first())
        board = head.get(f"/departments/{seller.department.code}/").context["board"]
        line = next(ln for ln in board.lines if ln.seller == seller)
        cell = next(c for c in line.cells if c is not None and c.kpi.code == "calls")
        assert cell.result.completion == r.completion
        assert cell.result.forecast == r.forecast
        # «Сегодня» before the deadline: progress shown, nobody coloured.
        today = head.get(f"/departments/{seller.department.code}/", {"period": "today"})
        cells = [c for ln in today.context["board"].lines for c in ln.cells if c is not None]
        assert cells and all(c.pace == "none" for c in cells if c.kpi.is_additive)


def test_the_evening_reminder_and_the_board_after_the_deadline():
    """18.11 at 18:40 the reminder tells a seller today's plan and fact as My day does; at
    19:05, past the deadline, «Сегодня» colours those behind."""
    morning = MOMENTS["mid-month working morning"]
    with time_machine.travel(morning, tick=False) as traveller:
        demo.seed(morning)
        evening = morning.replace(hour=18, minute=40)
        traveller.move_to(evening)
        jobs = due_reminders(evening)
        assert jobs, "somebody has not closed the day yet"
        for job in jobs:
            seller = Employee.objects.get(user_id=job.user_id)
            client = Client()
            client.force_login(seller.user)
            lines = client.get("/reports/day/").context["page"].lines
            with translation.override("ru"):
                sent = {f["kpi"]: (f["plan"], f["fact"]) for f in job.context()["figures"]}
                shown = {
                    ln.kpi.name: (
                        fmt.value(ln.month.today_plan, ln.kpi.unit, "ru"),
                        fmt.value(ln.month.today_fact or 0, ln.kpi.unit, "ru"),
                    )
                    for ln in lines
                    if ln.month.today_plan is not None
                }
            assert sent == shown
        traveller.move_to(morning.replace(hour=19, minute=5))
        dept = Department.objects.get(code="cold")
        head = Client()
        head.force_login(dept.heads.first())
        board = head.get(f"/departments/{dept.code}/", {"period": "today"}).context["board"]
        open_lines = [ln for ln in board.lines if ln.today_status == "missing"]
        assert open_lines
        for line in open_lines:
            cells = [c for c in line.cells if c is not None and c.kpi.is_additive]
            assert all(c.pace != "none" for c in cells if c.result.today_plan)


def test_ratio_kpis_are_judged_on_their_level_in_the_headline_cards():
    """Account managers behind on retention and repeat share are on the cards, in p.p."""
    moment = MOMENTS["last working day of the month"]
    with time_machine.travel(moment, tick=False):
        demo.seed(moment)
        dept = Department.objects.get(code="accounts")
        head = Client()
        head.force_login(dept.heads.first())
        response = head.get(f"/departments/{dept.code}/")
        board = response.context["board"]
        levels = [a for a in board.attention if a.kind == "level"]
        assert {a.kpi.code for a in levels} & {"retention_pct", "repeat_buyers_pct"}
        for item in levels:
            result = next(
                c.result
                for ln in board.lines
                if ln.seller == item.seller
                for c in ln.cells
                if c is not None and c.kpi == item.kpi
            )
            assert item.detail["gap"] == result.plan_to_date - result.fact > 0
        assert any(gap.level for _s, _k, gap in board.behind)
        assert "п.п." in response.content.decode()
        # The forecast card judges them on their level too.
        forecast = {c.kpi.code for c, _share in response.context["forecast"]}
        assert "retention_pct" in forecast
        director = Client()
        director.force_login(Employee.objects.get(user__username="stepanov").user)
        rows = director.get("/departments/").context["rows"]
        accounts = next(r for r in rows if r["board"].department == dept)
        assert accounts["attention"]
