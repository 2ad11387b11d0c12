"""The demo company: three departments, thirteen sellers, three months of history, plans.

Everything is generated from fixed seeds and dates relative to the `today` passed in, so
the same day always gives the same company (tests pin `today`).

The cast (who shows what on the screens):

- «Холодные звонки» (`cold`, head Игорь Егоров `egorov`): six cold callers, extensions
  101-106.
  - Ольга Попова `popova` trends down: each of her last three weeks (counted back from
    her last day with figures) is about 15 % below the one before.
  - Иван Кузнецов `kuznetsov` missed his last report: no report and no figures at all
    for his last working day before today (yesterday, unless it was a day off).
  - Алексей Михайлов `mikhailov` has a report returned by his head for correction (the
    third-to-last working day), not yet resubmitted.
  - Мария Соколова `sokolova` is on vacation for a week in the current month (the second
    Monday-to-Sunday week); her plan is smaller and spread over her remaining days.
  - Сергей Васильев `vasiliev` works from Yekaterinburg (Asia/Yekaterinburg).
- «Работа с клиентами» (`accounts`, head Светлана Павлова `pavlova`): three account
  managers, each with a portfolio of clients (crm.Client rows): 50-60 long-standing
  ones and 8-14 handed over during the history, so «Клиенты в работе» grows; almost all
  their deals are repeat purchases.
  - Елена Новикова `novikova` works from Yekaterinburg.
- «Отдел продаж» (`sales`, head Николай Козлов `kozlov`): four salespeople, mostly new
  clients.
  - Павел Волков `volkov` is clearly above plan: about 130 % on deals and deal sum.
  - Юлия Семёнова `semenova` was hired in the middle of last month and is still ramping
    up (her plans are lighter accordingly).
  - Андрей Лебедев `lebedev` works from Novosibirsk (Asia/Novosibirsk).
- Виктор Степанов `stepanov`, commercial director; Кирилл Белов `admin`, the admin.

Everybody else lands around 90-110 % of plan. Passwords are `demo-<login>-2026`.

Figures exist only on each seller's working days (production calendar, vacation, hiring
date), up to the day before their local today, each day with its submitted daily report
(about 5 % of them late). Cold callers' figures are daily facts; account managers' and
salespeople's come from deals and clients, turned into daily facts exactly as a CRM
import does (`salespulse.crm.facts.refresh_deal_facts`, `salespulse.crm.portfolio`).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from salespulse.core import demo_bonus
from salespulse.crm import portfolio
from salespulse.crm.facts import DEAL_FACTS, refresh_deal_facts
from salespulse.crm.models import Client, Deal
from salespulse.kpis import builtin
from salespulse.kpis.figures import base_codes, load_catalogue
from salespulse.kpis.models import DailyFact, Kpi, Plan, Role, RoleKpi
from salespulse.lib import facts as fact_rules
from salespulse.lib.crm.names import client_key
from salespulse.lib.periods import month_end, month_start
from salespulse.lib.workcal import SellerCalendar, WorkCalendar
from salespulse.org.calendars import company_calendar, seller_calendar
from salespulse.org.models import Absence, Department, Employee
from salespulse.reports.models import DayReport, ReportVersion

SEED = "salespulse-demo"
DEAL_SOURCE = "demo"
MOSCOW = "Europe/Moscow"

STAR = "volkov"
FADING = "popova"
SILENT = "kuznetsov"
NEWCOMER = "semenova"
RETURNED = "mikhailov"
ON_VACATION = "sokolova"

# Sellers' figures relative to plan: the star's plans are set this much below what he does.
STAR_COMPLETION = 1.3
# Each of the fading seller's last weeks against the one before.
FADING_WEEKLY = 0.85


@dataclass(frozen=True)
class Person:
    login: str
    first_name: str
    last_name: str
    role: str  # a sales role code, or head, director, admin
    department: str | None = None
    timezone: str = MOSCOW
    extension: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def password(self) -> str:
        return password_for(self.login)


@dataclass(frozen=True)
class DemoDepartment:
    code: str
    name: str
    role: str


DEPARTMENTS = [
    DemoDepartment("cold", "Холодные звонки", "cold_caller"),
    DemoDepartment("accounts", "Работа с клиентами", "account_manager"),
    DemoDepartment("sales", "Отдел продаж", "salesperson"),
]

PEOPLE = [
    Person("admin", "Кирилл", "Белов", "admin"),
    Person("stepanov", "Виктор", "Степанов", "director"),
    Person("egorov", "Игорь", "Егоров", "head", "cold"),
    Person("smirnova", "Анна", "Смирнова", "cold_caller", "cold", extension="101"),
    Person("kuznetsov", "Иван", "Кузнецов", "cold_caller", "cold", extension="102"),
    Person("popova", "Ольга", "Попова", "cold_caller", "cold", extension="103"),
    Person("vasiliev", "Сергей", "Васильев", "cold_caller", "cold", "Asia/Yekaterinburg", "104"),
    Person("sokolova", "Мария", "Соколова", "cold_caller", "cold", extension="105"),
    Person("mikhailov", "Алексей", "Михайлов", "cold_caller", "cold", extension="106"),
    Person("pavlova", "Светлана", "Павлова", "head", "accounts"),
    Person("novikova", "Елена", "Новикова", "account_manager", "accounts", "Asia/Yekaterinburg"),
    Person("fedorov", "Дмитрий", "Фёдоров", "account_manager", "accounts"),
    Person("morozova", "Наталья", "Морозова", "account_manager", "accounts"),
    Person("kozlov", "Николай", "Козлов", "head", "sales"),
    Person("volkov", "Павел", "Волков", "salesperson", "sales"),
    Person("alekseeva", "Татьяна", "Алексеева", "salesperson", "sales"),
    Person("lebedev", "Андрей", "Лебедев", "salesperson", "sales", "Asia/Novosibirsk"),
    Person("semenova", "Юлия", "Семёнова", "salesperson", "sales"),
]

SELLER_ROLES = {d.role for d in DEPARTMENTS}


def password_for(login: str) -> str:
    return f"demo-{login}-2026"


@dataclass
class DemoResult:
    created: bool
    users: list[dict[str, str | None]] = field(default_factory=list)


class DemoConflict(ValueError):
    """The database holds some of the demo's logins or departments, but not the demo."""


def user_rows(people: list[Person] | None = None) -> list[dict[str, str | None]]:
    return [
        {
            "login": p.login,
            "password": p.password,
            "name": p.name,
            "role": p.role,
            "department": p.department,
        }
        for p in (PEOPLE if people is None else people)
    ]


def seed(today: date | datetime) -> DemoResult:
    """Create the demo company unless it is there; `today` is a date or an aware moment.

    A date is every seller's local today (tests pin it); a moment gives each seller the
    date on their own clock, so a Novosibirsk seller's "yesterday" is right at 23:00 in
    Moscow too.
    """
    codes = [d.code for d in DEPARTMENTS]
    User = get_user_model()
    logins = [p.login for p in PEOPLE]
    present = set(Department.objects.filter(code__in=codes).values_list("code", flat=True))
    if present == set(codes):
        existing = set(User.objects.filter(username__in=logins).values_list("username", flat=True))
        return DemoResult(False, user_rows([p for p in PEOPLE if p.login in existing]))
    if present:
        raise DemoConflict(
            "Отделы с кодами демо-компании уже есть, но демо-компании нет: "
            + ", ".join(sorted(present))
        )
    taken = sorted(User.objects.filter(username__in=logins).values_list("username", flat=True))
    if taken:
        raise DemoConflict("Логины демо-компании уже заняты: " + ", ".join(taken))
    with transaction.atomic():
        _Seeder(today).run()
    from salespulse.sources import demo as demo_pbx

    demo_pbx.install()  # after the commit: the sync runs as the worker would
    return DemoResult(True, user_rows())


# --- generation --------------------------------------------------------------------------

# Monday starts slow and Friday winds down; a transferred working Saturday is a slow day.
RHYTHM = {0: 0.9, 1: 1.05, 2: 1.06, 3: 1.04, 4: 0.93, 5: 0.88, 6: 0.88}

CLIENT_FORMS = ["ООО", "АО"]
CLIENT_ROOTS = [
    "Альфа", "Вектор", "Гранит", "Дельта", "Север", "Восток", "Омега", "Меридиан",
    "Орион", "Атлант", "Сибирь", "Волга", "Урал", "Балтика", "Алтай", "Байкал",
    "Кедр", "Сокол", "Импульс", "Магистраль", "Ресурс", "Феникс", "Заря", "Полюс",
]  # fmt: skip
CLIENT_TRADES = [
    "Строй", "Торг", "Снаб", "Агро", "Медиа", "Логистик", "Пром", "Энерго",
    "Сервис", "Трейд", "Групп", "Тех", "Маш", "Хим", "Лес", "Авто",
]  # fmt: skip

ACCOUNT_REPEAT_SHARE = 0.9  # deals with a client who bought before
SALES_REPEAT_SHARE = 0.2
AMOUNT_SIGMA = 0.25
LATE_SHARE = 0.05  # reports sent after the department's deadline
RETURN_COMMENT = "Лиды не сходятся с CRM: проверь, пожалуйста, и отправь заново."


def _clip(x: float, low: float, high: float) -> float:
    return max(low, min(high, x))


def _noise(rng: random.Random, sigma: float) -> float:
    return _clip(rng.gauss(1.0, sigma), 1 - 3 * sigma, 1 + 3 * sigma)


def _kopecks(rubles: float) -> Decimal:
    return Decimal(round(rubles * 100)) / 100


def _nice(value: float, step: float) -> Decimal:
    """A plan as a person would set it: rounded to a step, never zero."""
    steps = max(1, round(value / step))
    return (Decimal(steps) * Decimal(str(step))).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _months_back(first: date, n: int) -> date:
    for _ in range(n):
        first = month_start(first - timedelta(days=1))
    return first


@dataclass
class _Seller:
    person: Person
    employee: Employee
    calendar: SellerCalendar
    first: date  # first day with figures
    last: date  # last day with figures: the day before the seller's local today
    params: dict[str, float]
    rng: random.Random  # for what has to run in order (client choices, handovers)
    money_gap: float = 0.0  # deal amounts so far below (above, if negative) count × check

    def day_rng(self, day: date) -> random.Random:
        # One stream per seller and day, so a day's figures do not depend on how many
        # days were generated before it.
        return random.Random(f"{SEED}:{self.person.login}:{day.isoformat()}")

    def factor(self, day: date) -> float:
        """What the seller does on `day` against their usual day, before noise."""
        f = RHYTHM[day.weekday()]
        if self.person.login == FADING:
            weeks_back = (self.last - day).days // 7
            f *= FADING_WEEKLY ** max(0, 3 - weeks_back)
        if self.employee.hired_on:
            # A newcomer reaches full speed over about six weeks.
            f *= min(1.0, 0.6 + 0.4 * (day - self.employee.hired_on).days / 42)
        return f

    def expected_factor(self, day: date) -> float:
        # Plans were set before anybody knew the fading seller would fade.
        f = RHYTHM[day.weekday()]
        if self.employee.hired_on:
            f *= min(1.0, 0.6 + 0.4 * (day - self.employee.hired_on).days / 42)
        return f


class _Seeder:
    def __init__(self, today: date | datetime) -> None:
        self.moment = today if isinstance(today, datetime) else None
        if isinstance(today, datetime):
            self.company_today = today.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
        else:
            self.company_today = today
        self.this_month = month_start(self.company_today)
        self.plan_months = [_months_back(self.this_month, n) for n in (2, 1, 0)]
        self.history_start = _months_back(self.this_month, 3)
        self.names = self._client_names()
        self.extra_clients = 0
        self.facts: list[DailyFact] = []
        self.deals: list[Deal] = []
        self.clients: list[Client] = []
        # (employee id, day) -> what the seller typed that day (manual KPIs only)
        self.typed: dict[tuple[int, date], dict[str, Decimal]] = {}

    def local_today(self, person: Person) -> date:
        if self.moment is None:
            return self.company_today
        return self.moment.astimezone(ZoneInfo(person.timezone)).date()

    @staticmethod
    def _client_names() -> list[str]:
        names = [
            f"{form} «{root}-{trade}»"
            for form in CLIENT_FORMS
            for root in CLIENT_ROOTS
            for trade in CLIENT_TRADES
        ]
        random.Random(f"{SEED}:clients").shuffle(names)
        return names

    def next_client(
        self, manager: Employee | None = None, handed_over_on: date | None = None
    ) -> str:
        if self.names:
            name = self.names.pop()
        else:
            self.extra_clients += 1
            name = f"ООО «Клиент {self.extra_clients}»"
        self.clients.append(
            Client(
                key=client_key(name),
                name=name,
                manager=manager,
                handed_over_on=handed_over_on,
                assigned_by=Client.Assigned.IMPORT if manager else "",
            )
        )
        return name

    # -- people ------------------------------------------------------------------------

    def run(self) -> None:
        builtin.install(Kpi, Role, RoleKpi)
        self.kpis = {k.code: k for k in Kpi.objects.all()}
        self.roles = {r.code: r for r in Role.objects.filter(code__in=SELLER_ROLES)}
        base = company_calendar()
        self._people(base)
        sellers = self._sellers(base)
        for seller in sellers:
            _ROLE_FIGURES[seller.person.role](self, seller)
        DailyFact.objects.bulk_create(self.facts, batch_size=2000)
        Client.objects.bulk_create(self.clients, batch_size=2000)
        client_ids = dict(
            Client.objects.filter(key__in=[c.key for c in self.clients]).values_list("key", "pk")
        )
        for deal in self.deals:
            deal.client_id = client_ids[client_key(deal.client_key)]
        Deal.objects.bulk_create(self.deals, batch_size=2000)
        self._reports(sellers)
        catalogue = load_catalogue()
        for seller in sellers:
            # Day facts from deals and clients, by the same functions a CRM import calls.
            role_codes = [k.code for k in seller.employee.sales_role.ordered_kpis()]
            needed = base_codes(catalogue, role_codes)
            if needed & set(portfolio.PORTFOLIO_FACTS):
                portfolio.refresh_repeat_facts(seller.employee.pk, seller.first, seller.last)
            if portfolio.PORTFOLIO_SIZE in needed:
                today = self.local_today(seller.person)
                portfolio.refresh_portfolio_facts(seller.employee.pk, today)
            if deal_codes := needed & set(DEAL_FACTS) - set(portfolio.PORTFOLIO_FACTS):
                refresh_deal_facts(seller.employee, seller.first, seller.last, deal_codes)
        self._plans(sellers)
        demo_bonus.install(self.plan_months[0])

    def _people(self, base: WorkCalendar) -> None:
        User = get_user_model()
        Department.objects.bulk_create(Department(code=d.code, name=d.name) for d in DEPARTMENTS)
        departments = {d.code: d for d in Department.objects.filter(code__in=self._codes())}
        User.objects.bulk_create(
            User(
                username=p.login,
                first_name=p.first_name,
                last_name=p.last_name,
                email=f"{p.login}@example.com",
                password=make_password(p.password),
                is_staff=p.role == "admin",
                is_superuser=p.role == "admin",
            )
            for p in PEOPLE
        )
        users = {u.username: u for u in User.objects.filter(username__in=[p.login for p in PEOPLE])}
        hired_on = self._hiring_day(base)
        employees = []
        for p in PEOPLE:
            if p.role == "admin":
                continue
            if p.role in SELLER_ROLES:
                position = Employee.Position.SELLER
            else:
                position = Employee.Position(p.role)
            employees.append(
                Employee(
                    user=users[p.login],
                    position=position,
                    department=departments[p.department] if p.department else None,
                    sales_role=self.roles[p.role] if p.role in SELLER_ROLES else None,
                    timezone=p.timezone,
                    extension=p.extension,
                    hired_on=hired_on if p.login == NEWCOMER else None,
                )
            )
        Employee.objects.bulk_create(employees)
        Department.heads.through.objects.bulk_create(
            Department.heads.through(department=departments[p.department], user=users[p.login])
            for p in PEOPLE
            if p.role == "head"
        )
        vacation = self._vacation()
        Absence.objects.create(
            employee=Employee.objects.get(user__username=ON_VACATION),
            kind=Absence.Kind.VACATION,
            start=vacation[0],
            end=vacation[1],
            note="Ежегодный отпуск",
        )

    @staticmethod
    def _codes() -> list[str]:
        return [d.code for d in DEPARTMENTS]

    def _hiring_day(self, base: WorkCalendar) -> date:
        middle = month_start(self.this_month - timedelta(days=1)).replace(day=15)
        days = base.working_days(middle, middle + timedelta(days=14))
        return days[0] if days else middle

    def _vacation(self) -> tuple[date, date]:
        # The second Monday-to-Sunday week of the month always fits inside it.
        start = self.this_month + timedelta(days=7)
        start += timedelta(days=(7 - start.weekday()) % 7)
        return start, start + timedelta(days=6)

    def _sellers(self, base: WorkCalendar) -> list[_Seller]:
        by_login = {p.login: p for p in PEOPLE}
        employees = (
            Employee.objects.filter(
                position=Employee.Position.SELLER, user__username__in=list(by_login)
            )
            .select_related("user", "sales_role", "department")
            .prefetch_related("absences")
        )
        order = {p.login: i for i, p in enumerate(PEOPLE)}
        result = []
        for employee in sorted(employees, key=lambda e: order[e.user.username]):
            person = by_login[employee.user.username]
            rng = random.Random(f"{SEED}:{person.login}")
            result.append(
                _Seller(
                    person=person,
                    employee=employee,
                    calendar=seller_calendar(employee, base),
                    first=max(self.history_start, employee.hired_on or self.history_start),
                    last=self.local_today(person) - timedelta(days=1),
                    params=self._params(person.role, rng),
                    rng=rng,
                )
            )
        return result

    @staticmethod
    def _params(role: str, rng: random.Random) -> dict[str, float]:
        if role == "cold_caller":
            return {
                "calls": rng.uniform(100, 122),
                "conversion": rng.uniform(0.36, 0.44),
                "talk": rng.uniform(110, 170),
                "lead_rate": rng.uniform(0.09, 0.13),
            }
        if role == "account_manager":
            return {
                "deals": rng.uniform(1.2, 1.7),
                "amount": rng.uniform(35_000, 60_000),
                "pool": rng.randint(50, 60),
                "new": rng.randint(8, 14),
            }
        return {"deals": rng.uniform(0.9, 1.3), "amount": rng.uniform(70_000, 140_000)}

    def _days(self, seller: _Seller) -> list[date]:
        days = seller.calendar.working_days(seller.first, seller.last)
        if seller.person.login == SILENT and days:
            # The report of his last working day never came: no figures at all that day.
            days = days[:-1]
        return days

    def _fact(self, seller: _Seller, code: str, day: date, value: Decimal | int) -> None:
        kpi = self.kpis[code]
        value = Decimal(value)
        # Written in bulk for speed, but each cell as the one writer's rules make it: an
        # event figure as an import leaves it, a manual one as the seller's report does.
        if kpi.source == Kpi.Source.MANUAL:
            self.typed.setdefault((seller.employee.pk, day), {})[code] = value
            cell = fact_rules.typed(None, value)
        else:
            cell = fact_rules.imported(None, value)
        assert cell is not None
        self.facts.append(
            DailyFact(
                employee=seller.employee,
                kpi=kpi,
                day=day,
                value=cell.value,
                auto_value=cell.auto_value,
                source=cell.source,
            )
        )

    # -- figures by role -----------------------------------------------------------------

    def _cold_caller(self, seller: _Seller) -> None:
        p = seller.params
        for day in self._days(seller):
            rng = seller.day_rng(day)
            calls = round(p["calls"] * seller.factor(day) * _noise(rng, 0.08))
            conversations = round(calls * p["conversion"] * _noise(rng, 0.06))
            talk_time = round(conversations * p["talk"] * _noise(rng, 0.08))
            leads = round(conversations * p["lead_rate"] * _noise(rng, 0.2))
            self._fact(seller, "calls", day, calls)
            self._fact(seller, "conversations", day, conversations)
            self._fact(seller, "talk_time", day, talk_time)
            self._fact(seller, "leads", day, leads)

    def _deals_per_day(self, seller: _Seller) -> list[tuple[date, int]]:
        """Deal counts that follow the seller's rate closely: randomized rounding with a
        carry, so a month's count is within a deal or two of the expected one."""
        carry = 0.0
        result = []
        for day in self._days(seller):
            rng = seller.day_rng(day)
            carry += seller.params["deals"] * seller.factor(day) * _noise(rng, 0.1)
            n = max(0, round(carry + rng.uniform(-0.5, 0.5)))
            carry -= n
            result.append((day, n))
        return result

    def _deal(self, seller: _Seller, day: date, client: str, repeat: bool, seq: int) -> None:
        rng = random.Random(f"{SEED}:{seller.person.login}:deal:{seq}")
        check = seller.params["amount"]
        sigma = AMOUNT_SIGMA
        # exp(N(-σ²/2, σ)) has mean 1, so the amounts average out to the seller's check;
        # the pull towards the running gap keeps a month's sum near its count × check, so
        # the story of each seller's completion does not hang on one lucky big deal.
        pull = _clip(1 + seller.money_gap / (2 * check), 0.6, 1.4)
        amount = check * math.exp(rng.gauss(-sigma * sigma / 2, sigma)) * pull
        seller.money_gap += check - amount
        minute = rng.randint(9 * 60 + 30, 18 * 60 + 30)
        closed_at = datetime.combine(
            day, time(minute // 60, minute % 60), tzinfo=ZoneInfo(seller.person.timezone)
        )
        self.deals.append(
            Deal(
                employee=seller.employee,
                client_key=client,
                closed_at=closed_at,
                day=day,
                amount=_kopecks(amount),
                is_repeat=repeat,
                # The CRM knows the clients who bought before the history starts.
                crm_repeat=repeat,
                source=DEAL_SOURCE,
                external_id=f"demo-{seller.person.login}-{seq:05d}",
            )
        )

    def _account_manager(self, seller: _Seller) -> None:
        rng = seller.rng
        employee = seller.employee
        # Long-standing clients, handed over well before the history and buyers already;
        # then newcomers handed over during it, who can buy from their handover day on.
        bought = [
            self.next_client(employee, self.history_start - timedelta(days=rng.randint(60, 700)))
            for _ in range(int(seller.params["pool"]))
        ]
        days = self._days(seller)
        arrivals = sorted(rng.sample(days, k=min(int(seller.params["new"]), len(days))))
        fresh = [(day, self.next_client(employee, day)) for day in arrivals]
        waiting: list[str] = []
        seq = 0
        for day, n in self._deals_per_day(seller):
            while fresh and fresh[0][0] <= day:
                waiting.append(fresh.pop(0)[1])
            for _ in range(n):
                seq += 1
                if waiting and rng.random() > ACCOUNT_REPEAT_SHARE:
                    client, repeat = waiting.pop(0), False
                    bought.append(client)
                else:
                    client, repeat = rng.choice(bought), True
                self._deal(seller, day, client, repeat, seq)

    def _salesperson(self, seller: _Seller) -> None:
        rng = seller.rng
        clients: list[str] = []
        seq = 0
        for day, n in self._deals_per_day(seller):
            for _ in range(n):
                seq += 1
                if clients and rng.random() < SALES_REPEAT_SHARE:
                    client, repeat = rng.choice(clients), True
                else:
                    client, repeat = self.next_client(), False
                    clients.append(client)
                self._deal(seller, day, client, repeat, seq)

    # -- daily reports ---------------------------------------------------------------------

    def _reports(self, sellers: list[_Seller]) -> None:
        """A submitted report for every day with figures: the status screens would call
        every other day "missing". Most come before the deadline, a few after it."""
        reports: list[DayReport] = []
        submitted: dict[tuple[int, date], tuple[datetime, bool, uuid.UUID]] = {}
        for seller in sellers:
            deadline = seller.employee.department.report_deadline
            tz = ZoneInfo(seller.person.timezone)
            for day in self._days(seller):
                rng = random.Random(f"{SEED}:{seller.person.login}:report:{day.isoformat()}")
                late = rng.random() < LATE_SHARE
                minutes = rng.randint(20, 150) if late else -rng.randint(5, 90)
                at = datetime.combine(day, deadline, tz) + timedelta(minutes=minutes)
                token = uuid.UUID(int=rng.getrandbits(128), version=4)
                submitted[(seller.employee.pk, day)] = (at, late, token)
                reports.append(
                    DayReport(
                        employee=seller.employee,
                        day=day,
                        status=DayReport.Status.SUBMITTED,
                        version=1,
                        first_submitted_at=at,
                        submitted_at=at,
                        late=late,
                    )
                )
        DayReport.objects.bulk_create(reports, batch_size=2000)
        ids = {
            (employee_id, day): pk
            for pk, employee_id, day in DayReport.objects.filter(
                employee__in=[s.employee for s in sellers]
            ).values_list("pk", "employee_id", "day")
        }
        users = {s.employee.pk: s.employee.user_id for s in sellers}
        ReportVersion.objects.bulk_create(
            (
                ReportVersion(
                    report_id=ids[key],
                    number=1,
                    values={
                        code: str(value.quantize(Decimal("0.01")))
                        for code, value in self.typed.get(key, {}).items()
                    },
                    author_id=users[key[0]],
                    created_at=at,
                    late=late,
                    token=token,
                )
                for key, (at, late, token) in submitted.items()
            ),
            batch_size=2000,
        )
        self._return_one(sellers)

    def _return_one(self, sellers: list[_Seller]) -> None:
        seller = next(s for s in sellers if s.person.login == RETURNED)
        days = self._days(seller)
        if len(days) < 3:
            return
        day = days[-3]
        head = seller.employee.department.heads.first()
        DayReport.objects.filter(employee=seller.employee, day=day).update(
            status=DayReport.Status.RETURNED,
            version=2,
            returned_comment=RETURN_COMMENT,
            returned_by=head,
            returned_at=datetime.combine(days[-2], time(10, 15), ZoneInfo(seller.person.timezone)),
        )

    # -- plans -----------------------------------------------------------------------------

    def _amounts(self, seller: _Seller, load: float) -> dict[str, float]:
        """Additive figures of `load` usual days of the seller (a Tuesday is about 1)."""
        p = seller.params
        if seller.person.role == "cold_caller":
            calls = p["calls"] * load
            conversations = calls * p["conversion"]
            return {
                "calls": calls,
                "conversations": conversations,
                "talk_time": conversations * p["talk"],
                "leads": conversations * p["lead_rate"],
            }
        if seller.person.role == "account_manager":
            repeat_deals = p["deals"] * load * ACCOUNT_REPEAT_SHARE
            return {"repeat_deals": repeat_deals, "repeat_sum": repeat_deals * p["amount"]}
        deals = p["deals"] * load
        return {"deals_count": deals, "deals_sum": deals * p["amount"]}

    def _expected(self, seller: _Seller, first: date, last: date) -> dict[str, float]:
        """What the seller was expected to do over first..last, from their usual pace."""
        days = seller.calendar.working_days(first, last)
        return self._amounts(seller, sum(seller.expected_factor(d) for d in days))

    def _levels(self, seller: _Seller, rng: random.Random) -> dict[str, Decimal]:
        """Plans of the KPIs that are levels, not amounts: ratios and the portfolio size."""
        p = seller.params
        if seller.person.role == "cold_caller":
            return {"avg_talk_time": _nice(p["talk"] * rng.uniform(0.95, 1.05), 5)}
        if seller.person.role == "account_manager":
            # The portfolio midway through the history, and the distinct clients a
            # month's deals reach in it (most of them buying again).
            size = p["pool"] + p["new"] / 2
            month_deals = p["deals"] * 21
            buyers = size * (1 - (1 - 1 / size) ** month_deals)
            return {
                "clients_in_work": _nice(p["pool"] + p["new"], 5),
                "retention_pct": _nice(100 * buyers / size * rng.uniform(0.95, 1.05), 5),
                "repeat_buyers_pct": _nice(95 * buyers / size * rng.uniform(0.95, 1.05), 5),
                "avg_repeat_check": _nice(p["amount"] * rng.uniform(0.95, 1.05), 1000),
            }
        return {"avg_check": _nice(p["amount"] * rng.uniform(0.95, 1.05), 1000)}

    STEPS = {
        "calls": 10,
        "conversations": 5,
        "talk_time": 600,
        "leads": 1,
        "repeat_deals": 1,
        "repeat_sum": 10_000,
        "deals_count": 1,
        "deals_sum": 10_000,
    }

    def _plans(self, sellers: list[_Seller]) -> None:
        plans: list[Plan] = []
        typical: dict[str, dict[str, list[Decimal]]] = {}
        for seller in sellers:
            role_codes = {k.code for k in seller.employee.sales_role.ordered_kpis()}
            rng = random.Random(f"{SEED}:{seller.person.login}:plans")
            for month in self.plan_months:
                end = month_end(month)
                hired = seller.employee.hired_on
                if hired and hired > end:
                    continue
                target = STAR_COMPLETION if seller.person.login == STAR else rng.uniform(0.94, 1.06)
                values = {
                    code: _nice(amount / target, self.STEPS[code])
                    for code, amount in self._expected(seller, month, end).items()
                }
                values |= self._levels(seller, rng)
                for code, value in values.items():
                    if code in role_codes:
                        plans.append(
                            Plan(
                                employee=seller.employee,
                                kpi=self.kpis[code],
                                kind=Plan.Kind.MONTH,
                                start=month,
                                value=value,
                            )
                        )
            # The role's default plan is a usual month of a settled-in seller.
            if seller.person.login not in (STAR, NEWCOMER, ON_VACATION):
                usual = self._usual_month(seller) | self._levels(seller, rng)
                role = typical.setdefault(seller.person.role, {})
                for code, value in usual.items():
                    role.setdefault(code, []).append(value)
        Plan.objects.bulk_create(plans)
        for role_code, by_kpi in typical.items():
            for rk in RoleKpi.objects.filter(
                role=self.roles[role_code], default_plan__isnull=True
            ).select_related("kpi"):
                values = by_kpi.get(rk.kpi.code)
                if values:
                    mean = sum(values) / len(values)
                    step = self.STEPS.get(rk.kpi.code, 5 if mean < 1000 else 1000)
                    rk.default_plan = _nice(float(mean), step)
                    rk.save(update_fields=["default_plan"])

    def _usual_month(self, seller: _Seller) -> dict[str, Decimal]:
        # 21 working days of an average weekday rhythm.
        load = 21 * sum(RHYTHM[d] for d in range(5)) / 5
        return {code: _nice(v, self.STEPS[code]) for code, v in self._amounts(seller, load).items()}


__all__ = [
    "DEPARTMENTS",
    "PEOPLE",
    "DemoConflict",
    "DemoResult",
    "Person",
    "password_for",
    "seed",
]

_ROLE_FIGURES: dict[str, Callable[[_Seeder, _Seller], None]] = {
    "cold_caller": _Seeder._cold_caller,
    "account_manager": _Seeder._account_manager,
    "salesperson": _Seeder._salesperson,
}
