"""The demo company: who is in it, the story its figures tell, and that seeding is safe."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum

from salespulse.core import demo
from salespulse.crm.facts import refresh_deal_facts
from salespulse.crm.models import Client, Deal
from salespulse.crm.portfolio import in_portfolio
from salespulse.kpis.models import DailyFact, Kpi, Plan, RoleKpi
from salespulse.kpis.report import kpi_rows, sellers_for_scope
from salespulse.lib.cutoff import Cutoff
from salespulse.lib.periods import Period
from salespulse.org.calendars import company_calendar, seller_calendar
from salespulse.org.models import Absence, Department, Employee
from salespulse.reports.models import DayReport, ReportVersion
from salespulse.reports.status import DayStatus, statuses
from tests.factories import make_department, make_seller, make_user

pytestmark = pytest.mark.django_db

# A Wednesday; "yesterday", Tuesday 24 November, is a working day.
TODAY = date(2026, 11, 25)
YESTERDAY = date(2026, 11, 24)
ROLES = {"cold_caller", "account_manager", "salesperson", "head", "director", "admin"}

User = get_user_model()


@pytest.fixture
def seeded():
    return demo.seed(TODAY)


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "employees": Employee.objects.count(),
        "facts": DailyFact.objects.count(),
        "deals": Deal.objects.count(),
        "plans": Plan.objects.count(),
        "absences": Absence.objects.count(),
    }


def through(sellers, day: date) -> dict:
    return {s.pk: Cutoff.through(day) for s in sellers}


def completion(login: str, code: str, as_of: date = YESTERDAY) -> Decimal:
    seller = sellers_for_scope(f"seller:{login}")
    rows = kpi_rows(seller, Period.of("month", as_of), through(seller, as_of), as_of)
    return next(r.result.completion for r in rows if r.kpi.code == code)


def test_people_and_structure(seeded):
    assert seeded.created
    departments = {d.code: d for d in Department.objects.all()}
    assert {code: d.name for code, d in departments.items()} == {
        "cold": "Холодные звонки",
        "accounts": "Работа с клиентами",
        "sales": "Отдел продаж",
    }
    sellers = Employee.objects.filter(position=Employee.Position.SELLER)
    assert sellers.count() == 13
    by_department = {
        code: sorted(
            sellers.filter(department__code=code).values_list("sales_role__code", flat=True)
        )
        for code in departments
    }
    assert by_department == {
        "cold": ["cold_caller"] * 6,
        "accounts": ["account_manager"] * 3,
        "sales": ["salesperson"] * 4,
    }
    for department in departments.values():
        heads = list(department.heads.all())
        assert len(heads) == 1
        assert heads[0].employee.position == Employee.Position.HEAD
    director = Employee.objects.get(position=Employee.Position.DIRECTOR)
    assert director.department is None
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert sorted(sellers.filter(department__code="cold").values_list("extension", flat=True)) == [
        "101",
        "102",
        "103",
        "104",
        "105",
        "106",
    ]
    assert sellers.exclude(timezone="Europe/Moscow").count() >= 1
    newcomer = sellers.get(user__username=demo.NEWCOMER)
    assert newcomer.hired_on == date(2026, 10, 15)
    vacation = Absence.objects.get()
    assert vacation.employee.login == demo.ON_VACATION
    assert vacation.kind == Absence.Kind.VACATION
    assert vacation.start.month == vacation.end.month == TODAY.month
    assert all(u.first_name and u.last_name for u in User.objects.all())


def test_second_run_changes_nothing(seeded):
    before = counts()
    again = demo.seed(TODAY)
    assert not again.created
    assert counts() == before
    assert [u["login"] for u in again.users] == [u["login"] for u in seeded.users]
    assert again.users == seeded.users


def test_the_star_is_clearly_above_plan(seeded):
    assert completion(demo.STAR, "deals_count") > Decimal("1.15")
    assert completion(demo.STAR, "deals_sum") > Decimal("1.15")


def test_most_sellers_are_near_plan(seeded):
    sellers = sellers_for_scope("all")
    rows = kpi_rows(sellers, Period.of("month", YESTERDAY), through(sellers, YESTERDAY), YESTERDAY)
    main = {"calls", "repeat_sum", "deals_sum"}
    figures = {
        r.seller.login: r.result.completion
        for r in rows
        if r.kpi.code in main and r.seller.login not in (demo.STAR, demo.FADING)
    }
    near = [login for login, c in figures.items() if Decimal("0.85") <= c <= Decimal("1.15")]
    assert len(near) >= len(figures) - 2, figures


def test_the_fading_seller_trends_down(seeded):
    def per_day(first: date, last: date) -> Decimal:
        facts = DailyFact.objects.filter(
            employee__user__username=demo.FADING, kpi__code="calls", day__range=(first, last)
        )
        return facts.aggregate(total=Sum("value"))["total"] / facts.count()

    weeks = [
        per_day(YESTERDAY - timedelta(days=7 * k + 6), YESTERDAY - timedelta(days=7 * k))
        for k in range(4)
    ]
    assert weeks[0] < weeks[1] < weeks[2] < weeks[3]
    assert weeks[0] < Decimal("0.8") * weeks[2]
    assert completion(demo.FADING, "calls") < Decimal("0.9")


def test_the_silent_seller_missed_yesterday(seeded):
    silent = Employee.objects.get(user__username=demo.SILENT)
    assert silent.sales_role.code == "cold_caller"
    assert not DailyFact.objects.filter(employee=silent, day=YESTERDAY).exists()
    before = YESTERDAY - timedelta(days=1)
    assert DailyFact.objects.filter(employee=silent, day=before, kpi__code="leads").exists()
    # Everybody else reported: the gap is his alone.
    others = Employee.objects.filter(sales_role__code="cold_caller").exclude(pk=silent.pk)
    for other in others.exclude(user__username=demo.ON_VACATION):
        assert DailyFact.objects.filter(employee=other, day=YESTERDAY).count() == 4


def test_figures_only_on_working_days(seeded):
    base = company_calendar()
    # The portfolio size is a snapshot taken on handover days and on every first of the
    # month, working or not; every other figure belongs to a working day.
    daily = DailyFact.objects.exclude(kpi__code="clients_in_work")
    days = set(daily.values_list("day", flat=True))
    days |= set(Deal.objects.values_list("day", flat=True))
    assert days and all(base.is_working(day) for day in days)
    assert max(days) == YESTERDAY
    assert date(2026, 11, 4) not in days  # National Unity Day
    for seller in Employee.objects.filter(position=Employee.Position.SELLER):
        calendar = seller_calendar(seller, base)
        own = set(
            seller.daily_facts.exclude(kpi__code="clients_in_work").values_list("day", flat=True)
        )
        assert all(calendar.is_working(day) for day in own), seller.login
    newcomer = Employee.objects.get(user__username=demo.NEWCOMER)
    assert min(newcomer.daily_facts.values_list("day", flat=True)) >= newcomer.hired_on


def test_deals_and_their_daily_facts(seeded):
    assert Deal.objects.filter(source="demo").count() == Deal.objects.count() > 300
    assert Deal.objects.values("external_id").distinct().count() == Deal.objects.count()
    for deal in Deal.objects.select_related("employee")[:200]:
        assert deal.closed_at.astimezone(ZoneInfo(deal.employee.timezone)).date() == deal.day
        assert deal.amount == deal.amount.quantize(Decimal("0.01")) and deal.amount > 0
    for manager in Employee.objects.filter(sales_role__code="account_manager"):
        deals = manager.deals.all()
        assert deals.filter(is_repeat=True).count() > 0.8 * deals.count()
        repeat_sum = deals.filter(is_repeat=True).aggregate(s=Sum("amount"))["s"]
        facts = manager.daily_facts.filter(kpi__code="repeat_sum")
        assert facts.aggregate(s=Sum("value"))["s"] == repeat_sum
        assert not manager.daily_facts.filter(kpi__code__in=["deals_count", "deals_sum"]).exists()
        assert manager.daily_facts.filter(kpi__code="clients_in_work").exists()
    for seller in Employee.objects.filter(sales_role__code="salesperson"):
        total = seller.deals.aggregate(s=Sum("amount"))["s"]
        assert (
            seller.daily_facts.filter(kpi__code="deals_sum").aggregate(s=Sum("value"))["s"] == total
        )
        assert seller.deals.filter(is_repeat=False).count() > seller.deals.count() / 2


def test_daily_reports(seeded):
    sellers = list(
        Employee.objects.filter(position=Employee.Position.SELLER)
        .select_related("department")
        .prefetch_related("absences")
    )
    fact_days = set(
        DailyFact.objects.exclude(kpi__code="clients_in_work").values_list("employee_id", "day")
    )
    deal_days = set(Deal.objects.values_list("employee_id", "day"))
    report_days = set(DayReport.objects.values_list("employee_id", "day"))
    assert fact_days | deal_days <= report_days
    assert ReportVersion.objects.count() == DayReport.objects.count()
    late = DayReport.objects.filter(late=True).count()
    assert 0 < late < 0.1 * DayReport.objects.count()

    now = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    days = statuses(sellers, YESTERDAY, YESTERDAY, now)
    missing = {s.login for s in sellers if days[s.pk][YESTERDAY] == DayStatus.MISSING}
    assert missing == {demo.SILENT}

    returned = DayReport.objects.get(status=DayReport.Status.RETURNED)
    assert returned.employee.login == demo.RETURNED
    assert returned.returned_by.username == "egorov" and returned.returned_comment
    assert returned.day < YESTERDAY

    # What a cold caller typed is in the report's version, as the closing form saves it.
    version = ReportVersion.objects.filter(
        report__employee__user__username="smirnova", report__day=YESTERDAY
    ).get()
    leads = DailyFact.objects.get(
        employee__user__username="smirnova", day=YESTERDAY, kpi__code="leads"
    )
    assert version.values == {"leads": str(leads.value)}
    assert version.author.username == "smirnova"


def test_portfolios(seeded):
    for manager in Employee.objects.filter(sales_role__code="account_manager"):
        clients = Client.objects.filter(manager=manager)
        assert 58 <= clients.count() <= 74
        assert not clients.filter(handed_over_on__isnull=True).exists()
        assert in_portfolio([manager.pk]).count() == manager.deals.count()
        sizes = list(
            manager.daily_facts.filter(kpi__code="clients_in_work")
            .order_by("day")
            .values_list("value", flat=True)
        )
        assert sizes == sorted(sizes) and sizes[0] < sizes[-1] == clients.count()
    assert not Deal.objects.filter(client__isnull=True).exists()


def test_plans(seeded):
    months = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    for seller in Employee.objects.filter(position=Employee.Position.SELLER):
        role_kpis = {k.code: k for k in seller.sales_role.ordered_kpis()}
        additive = {code for code, k in role_kpis.items() if k.aggregation == "sum"}
        for month in months:
            planned = set(
                seller.plans.filter(kind="month", start=month).values_list("kpi__code", flat=True)
            )
            if seller.hired_on and seller.hired_on >= date(2026, 10, 1) and month.month == 9:
                assert planned == set()
                continue
            assert additive <= planned, (seller.login, month)
            assert planned <= set(role_kpis)
        ratios = {code for code, k in role_kpis.items() if k.aggregation == "ratio"}
        assert ratios <= set(seller.plans.values_list("kpi__code", flat=True))
    role_kpis = RoleKpi.objects.filter(role__code__in=demo.SELLER_ROLES)
    assert not role_kpis.filter(default_plan__isnull=True).exists()


def test_a_moment_gives_each_seller_their_own_yesterday():
    # 23:30 in Moscow is already the next day in Novosibirsk.
    demo.seed(datetime(2026, 11, 24, 23, 30, tzinfo=ZoneInfo("Europe/Moscow")))
    far = Employee.objects.get(user__username="lebedev")
    assert far.timezone == "Asia/Novosibirsk"
    assert max(far.daily_facts.values_list("day", flat=True)) == YESTERDAY
    near = Employee.objects.get(user__username="alekseeva")
    assert max(near.daily_facts.values_list("day", flat=True)) < YESTERDAY


def test_refuses_to_mix_with_existing_people():
    make_user("admin")
    with pytest.raises(demo.DemoConflict, match="admin"):
        demo.seed(TODAY)
    assert not Department.objects.exists()
    with pytest.raises(CommandError, match="Логины демо-компании уже заняты: admin"):
        call_command("demo", "--no-serve", stdout=StringIO())


# --- the command ----------------------------------------------------------------------------


def run_demo(*args: str) -> str:
    out = StringIO()
    moment = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    with time_machine.travel(moment, tick=False):
        call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def test_command_json_lists_every_user_who_can_log_in():
    data = json.loads(run_demo("--json"))
    assert list(data) == ["users"]
    users = data["users"]
    assert len(users) == 18
    assert {u["role"] for u in users} == ROLES
    departments = {"cold", "accounts", "sales"}
    for user in users:
        assert list(user) == ["login", "password", "role", "department"]
        if user["role"] in ("admin", "director"):
            assert user["department"] is None
        else:
            assert user["department"] in departments
        assert authenticate(username=user["login"], password=user["password"]) is not None
    assert sum(u["role"] in demo.SELLER_ROLES for u in users) == 13
    # The JSON is the same when the demo is already there.
    assert json.loads(run_demo("--json")) == data


def test_command_prints_a_table_and_says_when_nothing_changed():
    first = run_demo()
    assert "Демо-компания создана." in first
    assert "http://127.0.0.1:8000/login/" in first
    line = next(line for line in first.splitlines() if line.startswith("volkov "))
    assert "demo-volkov-2026" in line and "Отдел продаж" in line
    before = counts()
    second = run_demo()
    assert "Демо-компания уже есть в базе: ничего не изменено" in second
    assert "demo-volkov-2026" in second
    assert counts() == before


# --- deal facts ------------------------------------------------------------------------------


def test_refresh_deal_facts_is_exact_and_idempotent():
    seller = make_seller("zoe", make_department("north"), "salesperson")
    tz = ZoneInfo("Europe/Moscow")

    def deal(n: int, day: int, amount: str, repeat: bool, **fields) -> Deal:
        return Deal.objects.create(
            employee=seller,
            client_key=f"client-{n % 2}",
            closed_at=datetime(2026, 11, day, 12, 0, tzinfo=tz),
            day=date(2026, 11, day),
            amount=Decimal(amount),
            is_repeat=repeat,
            source="test",
            external_id=str(n),
            **fields,
        )

    deal(1, 2, "0.10", False)
    deal(2, 2, "0.20", True)
    deal(3, 3, "1000.01", False)
    deal(4, 6, "500.00", False, status=Deal.Status.LOST)
    deal(5, 6, "70.00", False, currency="USD")
    count = Kpi.objects.get(code="deals_count")
    stale = DailyFact.objects.create(
        employee=seller, kpi=count, day=date(2026, 11, 5), value=9, source="auto", auto_value=9
    )
    # What the seller typed stays; only what events say beside it follows the deals.
    typed = DailyFact.objects.create(
        employee=seller, kpi=count, day=date(2026, 11, 9), value=4, source="report", auto_value=4
    )
    corrected = DailyFact.objects.create(
        employee=seller, kpi=count, day=date(2026, 11, 3), value=7, source="report"
    )
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    refresh_deal_facts(seller, start, end)

    def table() -> dict[tuple[str, int], Decimal]:
        return {
            (code, day.day): value
            for code, day, value in seller.daily_facts.values_list("kpi__code", "day", "value")
        }

    # Lost deals and deals in another currency count nowhere.
    assert table() == {
        ("deals_count", 2): 2,
        ("deals_sum", 2): Decimal("0.30"),
        # Repeat figures belong to the account manager holding the client (crm.portfolio).
        ("deals_count", 3): 7,
        ("deals_sum", 3): Decimal("1000.01"),
        ("deals_count", 9): 4,
    }
    assert not DailyFact.objects.filter(pk=stale.pk).exists()
    typed.refresh_from_db()
    # Its deals vanished: the head sees the typed 4 against 0 recorded (lib.facts).
    assert (typed.value, typed.source, typed.auto_value) == (4, "report", 0)
    corrected.refresh_from_db()
    assert (corrected.value, corrected.source, corrected.auto_value) == (7, "report", 1)
    auto = seller.daily_facts.exclude(pk__in=[typed.pk, corrected.pk])
    assert set(auto.values_list("source", flat=True)) == {"auto"}
    assert all(f.auto_value == f.value for f in auto)
    assert refresh_deal_facts(seller, start, end) == 0

    Deal.objects.filter(external_id="3").delete()
    assert refresh_deal_facts(seller, start, end, codes=["deals_sum"]) == 1
    assert ("deals_sum", 3) not in table() and ("deals_count", 3) in table()
    with pytest.raises(ValueError, match="Not a deal KPI: calls"):
        refresh_deal_facts(seller, start, end, codes=["calls"])
