"""Reminders and the morning digest, sent through a real SMTP server on loopback.

Time is frozen; what arrives at the server is parsed and read. Assertions are on figures,
names, dates and structure, not on translated words (the Russian catalogue comes later).
"""

from __future__ import annotations

import email
import socket
import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salespulse.kpis.models import DailyFact, Kpi, Plan
from salespulse.org.models import Absence, Employee
from salespulse.reports.models import DayReport, Notification
from salespulse.reports.notify.worker import run_pass
from tests.factories import make_department, make_head, make_seller, make_user

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
# Wednesday 8 April 2026. April 2026 has 22 working days; 1-7 April hold five of them
# (1, 2, 3, 6, 7), so a monthly plan of 44 deals is 2 a day and 10 to date on the 7th.
WED = date(2026, 4, 8)


def utc(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), UTC)


# --- a real SMTP server ---------------------------------------------------------------


class Inbox:
    """aiosmtpd handler keeping every message that arrives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    # pytest-django swaps in the locmem backend; these tests go through real SMTP.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


# --- the company ----------------------------------------------------------------------


def seller(login: str, department, *, mail: bool = True, **fields) -> Employee:
    employee = make_seller(login, department, **fields)
    if mail:
        employee.user.email = f"{login}@example.ru"
        employee.user.save(update_fields=["email"])
    return employee


def head(
    login: str,
    departments,
    *,
    mail: bool = True,
    profile: bool = True,
    first_name: str = "",
    **fields,
):
    if profile:
        user = make_head(login, departments, **fields)
    else:
        user = make_user(login)
        for d in departments:
            d.heads.add(user)
    user.first_name = first_name
    user.email = f"{login}@example.ru" if mail else ""
    user.save(update_fields=["first_name", "email"])
    return user


def plan(employee: Employee, code: str, value: int, month: date = date(2026, 4, 1)) -> None:
    Plan.objects.create(
        employee=employee, kpi=Kpi.objects.get(code=code), start=month, value=Decimal(value)
    )


def fact(employee: Employee, code: str, day: date, value: int | str) -> None:
    DailyFact.objects.create(
        employee=employee, kpi=Kpi.objects.get(code=code), day=day, value=Decimal(value)
    )


def report(employee: Employee, day: date, *, late: bool = False) -> DayReport:
    at = utc(day, 14)
    return DayReport.objects.create(
        employee=employee,
        day=day,
        status=DayReport.Status.SUBMITTED,
        first_submitted_at=at,
        submitted_at=at,
        late=late,
    )


# --- reminders ------------------------------------------------------------------------
# Deadline 19:00 local, reminder 30 minutes before: 18:30-19:00 Moscow is 15:30-16:00 UTC,
# 18:30-19:00 Novosibirsk (UTC+7) is 11:30-12:00 UTC: four hours earlier.


@pytest.fixture
def north():
    department = make_department("north", "Север")
    assert (department.report_deadline, department.reminder_minutes) == (time(19), 30)
    return department


@pytest.fixture
def ann(north):
    return seller("ann", north, first_name="Анна", last_name="Петрова")


def sent_to(inbox: Inbox) -> list[str]:
    return sorted(m["To"] for m in inbox.messages)


def test_a_reminder_goes_n_minutes_before_the_deadline_and_not_sooner(smtp, ann, time_machine):
    time_machine.move_to(utc(WED, 15, 29), tick=False)
    run_pass()
    assert smtp.messages == []

    time_machine.move_to(utc(WED, 15, 30), tick=False)
    run_pass()
    assert sent_to(smtp) == ["ann@example.ru"]
    claim = Notification.objects.get()
    assert (claim.kind, claim.user, claim.day, claim.status) == ("reminder", ann.user, WED, "sent")


def test_a_late_worker_still_reminds_before_the_deadline_but_not_after(smtp, ann, time_machine):
    time_machine.move_to(utc(WED, 15, 59), tick=False)
    run_pass()
    assert sent_to(smtp) == ["ann@example.ru"]

    Notification.objects.all().delete()
    smtp.clear()
    time_machine.move_to(utc(WED, 16, 0), tick=False)
    run_pass()
    assert smtp.messages == []
    assert not Notification.objects.exists()


def test_only_sellers_with_an_open_working_day_and_an_address_are_reminded(
    smtp, north, ann, time_machine
):
    reported = seller("bob", north)
    report(reported, WED)
    on_vacation = seller("cat", north)
    Absence.objects.create(employee=on_vacation, kind="vacation", start=WED, end=WED)
    seller("dan", north, mail=False)
    seller("eve", north, left_on=WED - timedelta(days=1))
    seller("fay", north, hired_on=WED + timedelta(days=1))
    returned = report(seller("gus", north), WED)
    returned.status = DayReport.Status.RETURNED
    returned.save()
    head("boss", [north])  # heads get the digest, not reminders

    time_machine.move_to(utc(WED, 15, 45), tick=False)
    run_pass()
    assert sent_to(smtp) == ["ann@example.ru"]


def test_each_seller_is_reminded_in_their_own_time_zone(smtp, north, ann, time_machine):
    seller("nik", north, timezone="Asia/Novosibirsk")

    time_machine.move_to(utc(WED, 11, 30), tick=False)
    run_pass()
    assert sent_to(smtp) == ["nik@example.ru"]

    smtp.clear()
    time_machine.move_to(utc(WED, 15, 30), tick=False)
    run_pass()
    assert sent_to(smtp) == ["ann@example.ru"]


def test_no_reminder_on_a_day_off_or_when_reminders_are_off(smtp, north, ann, time_machine):
    saturday = date(2026, 4, 11)
    time_machine.move_to(utc(saturday, 15, 45), tick=False)
    run_pass()
    assert smtp.messages == []

    north.reminder_minutes = 0
    north.save()
    time_machine.move_to(utc(WED, 15, 45), tick=False)
    run_pass()
    assert smtp.messages == []


def test_the_window_follows_the_departments_deadline_and_minutes(smtp, north, ann, time_machine):
    north.report_deadline = time(18, 0)
    north.reminder_minutes = 90
    north.save()
    # 16:30-18:00 Moscow = 13:30-15:00 UTC
    time_machine.move_to(utc(WED, 13, 29), tick=False)
    run_pass()
    assert smtp.messages == []
    time_machine.move_to(utc(WED, 13, 30), tick=False)
    run_pass()
    assert sent_to(smtp) == ["ann@example.ru"]
    assert "18:00" in smtp.messages[0]["Subject"]


def test_a_reminder_says_which_day_the_deadline_the_link_and_todays_figures(
    smtp, ann, time_machine
):
    plan(ann, "deals_count", 44)  # 2 a day
    plan(ann, "deals_sum", 220000)  # 10 000,00 a day
    fact(ann, "deals_count", WED, 1)
    fact(ann, "deals_sum", WED, 4000)
    fact(ann, "deals_sum", WED - timedelta(days=1), 99999)  # yesterday's: not today's figure

    time_machine.move_to(utc(WED, 15, 40), tick=False)
    run_pass()
    [message] = smtp.messages
    assert "08.04.2026" in message["Subject"] and "19:00" in message["Subject"]
    url = "http://127.0.0.1:8000/reports/day/2026-04-08/"
    for body in (text(message), html(message)):
        assert "Анна" in body
        assert "08.04.2026" in body and "19:00" in body and "Europe/Moscow" in body
        assert url in body
        assert "Сумма сделок" in body and "Сделки" in body
        assert f"4{NBSP}000,00{NBSP}₽" in body  # today's fact
        assert f"10{NBSP}000,00{NBSP}₽" in body  # today's plan
        assert f"6{NBSP}000,00{NBSP}₽" in body  # what is left
        assert "99" not in body
    assert f'href="{url}"' in html(message)
    # deal count: 1 of 2, 1 to go
    assert "Сделки: 1 " in text(message)


def test_the_link_uses_the_configured_base_url(smtp, ann, time_machine, settings):
    settings.SALESPULSE_BASE_URL = "https://sales.example.ru/"
    time_machine.move_to(utc(WED, 15, 40), tick=False)
    run_pass()
    assert "https://sales.example.ru/reports/day/2026-04-08/" in text(smtp.messages[0])


def test_two_passes_and_later_passes_send_one_reminder(smtp, north, ann, time_machine):
    seller("bob", north)
    time_machine.move_to(utc(WED, 15, 31), tick=False)
    first = run_pass()
    second = run_pass()
    time_machine.move_to(utc(WED, 15, 50), tick=False)
    run_pass()
    assert sent_to(smtp) == ["ann@example.ru", "bob@example.ru"]
    assert (len(first.sent), len(second.sent)) == (2, 0)


def test_two_workers_that_saw_the_same_work_send_it_once(smtp, north, ann, time_machine):
    """Both collect before either claims: the claim, not the lookup, stops the double send."""
    from salespulse.reports.notify.worker import collect, deliver

    seller("bob", north)
    now = utc(WED, 15, 31)
    time_machine.move_to(now, tick=False)
    one, two = collect(now), collect(now)
    assert len(one) == len(two) == 2
    a = deliver(one, now)
    b = deliver(two, now)
    assert (len(a.sent), a.skipped, len(b.sent), b.skipped) == (2, 0, 0, 2)
    assert sent_to(smtp) == ["ann@example.ru", "bob@example.ru"]


def test_a_failed_send_is_recorded_and_retried_only_while_still_due(
    smtp, ann, time_machine, settings
):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    time_machine.move_to(utc(WED, 15, 30), tick=False)
    outcome = run_pass()
    assert len(outcome.failed) == 1
    claim = Notification.objects.get()
    assert claim.status == "failed" and "ConnectionRefusedError" in claim.error

    settings.EMAIL_PORT = working_port
    time_machine.move_to(utc(WED, 15, 34), tick=False)
    run_pass()  # too soon after the failure
    assert smtp.messages == []

    time_machine.move_to(utc(WED, 15, 35), tick=False)
    run_pass()
    assert sent_to(smtp) == ["ann@example.ru"]
    claim.refresh_from_db()
    assert (claim.status, claim.error) == ("sent", "")


def test_a_failure_is_not_retried_after_the_deadline(smtp, ann, time_machine, settings):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()
    time_machine.move_to(utc(WED, 15, 58), tick=False)
    run_pass()
    settings.EMAIL_PORT = working_port
    time_machine.move_to(utc(WED, 16, 5), tick=False)
    run_pass()
    assert smtp.messages == []
    assert Notification.objects.get().status == "failed"


def test_a_claim_left_by_a_killed_worker_is_never_resent(smtp, ann, time_machine):
    Notification.objects.create(kind="reminder", user=ann.user, day=WED)  # status "claimed"
    time_machine.move_to(utc(WED, 15, 50), tick=False)
    run_pass()
    assert smtp.messages == []


# --- the digest -----------------------------------------------------------------------
# Head in Moscow, digest hour 9: 09:00-12:00 Moscow = 06:00-09:00 UTC on 8 April; it
# reports on Tuesday 7 April and on April to that day.


@pytest.fixture
def company(north):
    """A small explicit company with figures computed by hand below."""
    south = make_department("south", "Юг")
    ann = seller("ann", north, first_name="Анна", last_name="Петрова")
    bob = seller("bob", north, first_name="Борис", last_name="Орлов")
    cat = seller("cat", north, first_name="Катя", last_name="Лисина")
    dan = seller("dan", north, first_name="Даня", last_name="Юдин")
    sid = seller("sid", south, first_name="Сид", last_name="Ким")
    tue = WED - timedelta(days=1)
    april = date(2026, 4, 1)
    for s in (ann, bob, cat):
        plan(s, "deals_count", 44)  # 2 a day, 10 to date
        plan(s, "deals_sum", 220000)  # 10 000 a day, 50 000 to date
    # ann: 6 deals (4 behind = 2,0 days), 35 000 (15 000 behind = 1,5 days); reported on time
    fact(ann, "deals_count", april, 6)
    fact(ann, "deals_sum", april, 35000)
    report(ann, tue)
    # bob: ahead on both; reported late
    fact(bob, "deals_count", april, 10)
    fact(bob, "deals_sum", april, 60000)
    report(bob, tue, late=True)
    # cat: exactly on plan; no report for Tuesday -> missing
    fact(cat, "deals_count", tue, 10)
    fact(cat, "deals_sum", tue, 50000)
    # dan: on vacation 6-10 April, so Tuesday is not his to report; no plans
    Absence.objects.create(
        employee=dan, kind="vacation", start=date(2026, 4, 6), end=date(2026, 4, 10)
    )
    # sid (south): missing
    return {"north": north, "south": south, "ann": ann, "bob": bob, "cat": cat, "dan": dan,
            "sid": sid}  # fmt: skip


def test_the_digest_lists_missing_and_late_reports_and_who_is_behind_by_how_much(
    smtp, company, time_machine
):
    head("boss", [company["north"]], first_name="Олег")
    time_machine.move_to(utc(WED, 6, 0), tick=False)
    run_pass()
    [message] = smtp.messages
    assert message["To"] == "boss@example.ru"
    subject = message["Subject"]
    assert "07.04.2026" in subject and " 1 " in subject  # one missing, one late

    body = text(message)
    assert "Олег" in body and "== Север ==" in body and "Юг" not in body
    lines = body.splitlines()
    # Missing and late: names on their own lines, nobody else.
    missing = next(line for line in lines if "Петрова" not in line and "Лисина" in line)
    assert "Лисина Катя" in missing or "Катя Лисина" in missing
    assert "Орлов" not in missing and "Юдин" not in body
    late = next(line for line in lines if "Орлов" in line)
    assert "Лисина" not in late
    # Behind: only ann, by 4 deals (2,0 days) and 15 000,00 ₽ (1,5 days).
    behind = [line for line in lines if line.startswith("- ") and "Петрова" in line]
    assert len(behind) == 1
    assert "Сделки −4 (2,0 " in behind[0]
    assert f"Сумма сделок −15{NBSP}000,00{NBSP}₽ (1,5 " in behind[0]
    assert not any(line.startswith("- ") and "Орлов" in line for line in lines)
    assert not any(line.startswith("- ") and "Лисина" in line for line in lines)

    page = html(message)
    assert "Лисина" in page and "Орлов" in page and "Петрова" in page
    assert f"−15{NBSP}000,00{NBSP}₽" in page and "1,5" in page and "2,0" in page
    assert 'href="http://127.0.0.1:8000/departments/north/"' in page


def test_the_digest_gives_each_departments_month_forecast_against_plan(smtp, company, time_machine):
    head("boss", [company["north"]])
    time_machine.move_to(utc(WED, 6, 0), tick=False)
    run_pass()
    body = text(smtp.messages[0])
    # Forecast = fact / working days passed × working days of April, per seller on their
    # own calendar: deals 6/5×22 + 10/5×22 + 10/5×22 + dan 0 = 114,4 (shown whole, as a
    # count of 10 or more) against 3 × 44 = 132 (87 %); deal sum 154 000 + 264 000 + 220 000
    # = 638 000 against 660 000 (97 %).
    deals = next(line for line in body.splitlines() if line.startswith("- Сделки:"))
    assert " 114 " in deals and " 132 " in deals and f"87{NBSP}%" in deals
    money = next(line for line in body.splitlines() if line.startswith("- Сумма сделок:"))
    assert f"638{NBSP}000,00{NBSP}₽" in money and f"660{NBSP}000,00{NBSP}₽" in money
    assert f"97{NBSP}%" in money
    page = html(smtp.messages[0])
    assert ">114<" in page and f"638{NBSP}000,00{NBSP}₽" in page


def test_a_head_of_two_departments_gets_one_digest_covering_both(smtp, company, time_machine):
    head("boss", [company["north"], company["south"]])
    head("southern", [company["south"]])
    time_machine.move_to(utc(WED, 6, 30), tick=False)
    run_pass()
    assert sent_to(smtp) == ["boss@example.ru", "southern@example.ru"]
    both = text(smtp.to("boss@example.ru")[0])
    assert "== Север ==" in both and "== Юг ==" in both and "Ким" in both
    assert both.index("== Север ==") < both.index("== Юг ==")  # by name
    south_only = text(smtp.to("southern@example.ru")[0])
    assert "Юг" in south_only and "Север" not in south_only and "Лисина" not in south_only


def test_the_digest_goes_at_the_digest_hour_of_the_heads_time_zone_until_noon(
    smtp, company, time_machine, settings
):
    head("boss", [company["north"]])  # Moscow
    head("far", [company["north"]], timezone="Asia/Novosibirsk")
    head("nobody", [company["north"]], profile=False)  # no profile: the company's zone
    head("silent", [company["north"]], mail=False)

    time_machine.move_to(utc(WED, 1, 59), tick=False)  # 08:59 in Novosibirsk
    run_pass()
    assert smtp.messages == []
    time_machine.move_to(utc(WED, 2, 0), tick=False)
    run_pass()
    assert sent_to(smtp) == ["far@example.ru"]

    smtp.clear()
    time_machine.move_to(utc(WED, 5, 59), tick=False)  # 08:59 in Moscow
    run_pass()
    assert smtp.messages == []
    time_machine.move_to(utc(WED, 8, 59), tick=False)  # 11:59: a late worker catches up
    run_pass()
    assert sent_to(smtp) == ["boss@example.ru", "nobody@example.ru"]

    smtp.clear()
    settings.SALESPULSE_DIGEST_HOUR = 7
    run_pass()  # already sent today
    assert smtp.messages == []


def test_no_digest_after_noon_nor_on_a_day_off_nor_on_the_heads_vacation(
    smtp, company, time_machine
):
    boss = head("boss", [company["north"]])
    time_machine.move_to(utc(WED, 9, 0), tick=False)  # 12:00 Moscow
    run_pass()
    time_machine.move_to(utc(date(2026, 4, 11), 6, 0), tick=False)  # Saturday
    run_pass()
    Absence.objects.create(employee=boss.employee, kind="vacation", start=WED, end=WED)
    time_machine.move_to(utc(WED, 6, 0), tick=False)
    run_pass()
    assert smtp.messages == []


def test_on_monday_the_digest_reports_on_friday(smtp, company, time_machine):
    head("boss", [company["north"]])
    monday = date(2026, 4, 13)
    time_machine.move_to(utc(monday, 6, 0), tick=False)
    run_pass()
    [message] = smtp.messages
    assert "10.04.2026" in message["Subject"]
    # Nobody reported on Friday: ann, bob, cat are missing; dan was on vacation.
    body = text(message)
    assert "Петрова" in body and "Орлов" in body and "Лисина" in body
    assert "Юдин" not in body


def test_the_digest_is_sent_once_however_many_passes(smtp, company, time_machine):
    head("boss", [company["north"]])
    time_machine.move_to(utc(WED, 6, 0), tick=False)
    run_pass()
    run_pass()
    time_machine.move_to(utc(WED, 7, 0), tick=False)
    run_pass()
    assert sent_to(smtp) == ["boss@example.ru"]
    assert Notification.objects.get().kind == "digest"


# --- queries ----------------------------------------------------------------------------


def selects(queries: CaptureQueriesContext) -> int:
    return sum(
        1 for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    )


def writes(queries: CaptureQueriesContext, verb: str) -> int:
    return sum(1 for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(verb))


def pass_queries(now: datetime) -> tuple[int, int, int, int]:
    with CaptureQueriesContext(connection) as queries:
        outcome = run_pass(now)
    return len(outcome.sent), selects(queries), writes(queries, "INSERT"), writes(queries, "UPDATE")


def test_a_reminder_pass_reads_a_fixed_number_of_times_however_many_sellers(
    smtp, north, time_machine
):
    now = utc(WED, 15, 40)
    time_machine.move_to(now, tick=False)

    def company(n: int, offset: int) -> None:
        for i in range(n):
            s = seller(
                f"s{offset + i}", north, timezone="Asia/Novosibirsk" if i % 2 else "Europe/Moscow"
            )
            plan(s, "deals_count", 44)
            Absence.objects.create(
                employee=s, kind="sick", start=date(2026, 3, 1), end=date(2026, 3, 2)
            )

    company(2, 0)
    sent_small, reads_small, inserts_small, updates_small = pass_queries(now)
    Notification.objects.all().delete()
    company(10, 100)
    sent_big, reads_big, inserts_big, updates_big = pass_queries(now)
    # Only the Moscow half is due at 15:40 UTC.
    assert (sent_small, sent_big) == (1, 6)
    assert reads_small == reads_big
    # One claim and one outcome per e-mail, nothing else.
    assert (inserts_small, updates_small) == (1, 1)
    assert (inserts_big, updates_big) == (6, 6)


def test_a_digest_pass_reads_a_fixed_number_of_times_however_many_sellers(
    smtp, company, time_machine
):
    head("boss", [company["north"], company["south"]])
    head("far", [company["south"]], timezone="Asia/Novosibirsk")  # not due: 13:00 there
    now = utc(WED, 6, 0)
    time_machine.move_to(now, tick=False)
    _, reads_small, _, _ = pass_queries(now)
    Notification.objects.all().delete()
    for i in range(12):
        dept = company["north"] if i % 2 else company["south"]
        s = seller(f"x{i}", dept)
        plan(s, "deals_sum", 100000)
        fact(s, "deals_sum", date(2026, 4, 2), 1000)
        Absence.objects.create(
            employee=s, kind="sick", start=date(2026, 3, 1), end=date(2026, 3, 2)
        )
    sent, reads_big, inserts, updates = pass_queries(now)
    assert sent == 1
    assert reads_small == reads_big
    assert (inserts, updates) == (1, 1)
