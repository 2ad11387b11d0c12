"""The team page: a head adds a seller in one form and marks one as left."""

import io
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client as client_class

from salespulse.dashboard.leaderboard import build as leaderboard
from salespulse.kpis.models import Recount
from salespulse.lib.periods import Period
from salespulse.org.models import Employee
from salespulse.reports.notify.reminders import due_reminders
from salespulse.telephony.models import AgentAlias
from tests.factories import make_department, make_director, make_head, make_seller, role

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
URL = "/departments/north/team/"


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def org():
    north = make_department("north", "Север")
    south = make_department("south", "Юг")
    return {"north": north, "south": south, "head": make_head("head", [north])}


def new_seller(**changes):
    data = {
        "login": "petrova",
        "name": "Анна Петрова",
        "role": role("cold_caller").pk,
        "extension": "205",
        "email": "petrova@example.com",
        "timezone": "Asia/Omsk",
        "hired_on": "2026-03-23",
    }
    data.update(changes)
    return data


def test_only_the_departments_heads_and_the_director_see_it(client, org):
    seller = make_seller("ann", org["north"])
    for user, status in [
        (org["head"], 200),
        (make_director("dir"), 200),
        (make_head("other", [org["south"]]), 404),
        (seller.user, 404),
    ]:
        client.force_login(user)
        assert client.get(URL).status_code == status
        assert client.post(f"{URL}ann/left/", {"left_on": "2026-03-20"}).status_code in (
            status,
            302,
        )
    assert Employee.objects.get(user__username="ann").left_on is not None  # by head/director


def test_a_head_adds_a_seller_in_one_form_and_gets_a_set_password_link(client, org):
    client.force_login(org["head"])
    response = client.post(URL, new_seller())
    assert response.status_code == 200
    seller = Employee.objects.get(user__username="petrova")
    assert seller.department == org["north"] and seller.sales_role.code == "cold_caller"
    assert (seller.extension, seller.timezone, seller.hired_on) == (
        "205",
        "Asia/Omsk",
        date(2026, 3, 23),
    )
    assert seller.user.email == "petrova@example.com" and not seller.user.has_usable_password()
    assert Recount.objects.filter(kind=Recount.Kind.AGENTS).exists()
    link = response.context["link"]
    assert "/password/" in link
    client.logout()
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "petrova" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": "a-long-new-password", "new_password2": "a-long-new-password"},
    )
    assert done.status_code == 302
    assert authenticate(username="petrova", password="a-long-new-password") == seller.user


def test_a_sip_peer_becomes_a_mapping(client, org):
    client.force_login(org["head"])
    client.post(URL, new_seller(extension="SIP/petrova"))
    seller = Employee.objects.get(user__username="petrova")
    assert seller.extension == ""
    assert AgentAlias.objects.get(key="SIP/petrova").employee == seller


def test_a_refused_form_says_why_and_creates_nothing(client, org):
    make_seller("taken", org["north"], extension="205")
    client.force_login(org["head"])
    response = client.post(URL, new_seller(login="taken", email="nope"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "taken" in page and "205" in page
    assert not Employee.objects.filter(user__username="petrova").exists()


def test_marking_left_keeps_history_and_takes_them_out_of_next_months_plans(client, org):
    ann = make_seller("ann", org["north"], "cold_caller")
    client.force_login(org["head"])
    assert (
        f"p_{ann.pk}_calls"
        in client.get("/departments/north/plans/?month=2026-04").content.decode()
    )
    client.post(f"{URL}ann/left/", {"left_on": "2026-03-31"})
    ann.refresh_from_db()
    assert ann.left_on == date(2026, 3, 31)
    assert (
        f"p_{ann.pk}_calls"
        not in client.get("/departments/north/plans/?month=2026-04").content.decode()
    )
    assert (
        f"p_{ann.pk}_calls"
        in client.get("/departments/north/plans/?month=2026-03").content.decode()
    )
    assert client.get("/sellers/ann/").status_code == 200  # history stays


def test_a_seller_who_left_gets_no_reminder_and_no_place_in_next_months_ranking(client, org):
    ann = make_seller("ann", org["north"], "cold_caller")
    ann.user.email = "ann@example.com"
    ann.user.save()
    before_deadline = datetime(2026, 3, 20, 15, 45, tzinfo=UTC)  # 18:45 in Moscow
    assert len(due_reminders(before_deadline)) == 1
    april = Period.of("month", date(2026, 4, 1))
    assert [
        line.seller for line in leaderboard(org["north"], "calls", april, date(2026, 4, 1)).lines
    ] == [ann]
    client.force_login(org["head"])
    client.post(f"{URL}ann/left/", {"left_on": "2026-03-19"})
    assert due_reminders(before_deadline) == []
    assert leaderboard(org["north"], "calls", april, date(2026, 4, 1)).lines == []


def test_a_seller_whose_last_day_is_over_can_no_longer_log_in(client, org, time_machine):
    ann = make_seller("ann", org["north"], "cold_caller")
    ann.user.set_password("old-secret-1")
    ann.user.save()
    seller = client_class()
    seller.force_login(ann.user)
    client.force_login(org["head"])
    # Leaving at the end of the month: works, and logs in, until then.
    client.post(f"{URL}ann/left/", {"left_on": "2026-03-31"})
    assert authenticate(username="ann", password="old-secret-1") is not None
    assert seller.get("/reports/day/").status_code == 200
    # 1 April, 00:30 in Moscow: the worker's pass turns the login off; the open session ends.
    time_machine.move_to(datetime(2026, 3, 31, 21, 30, tzinfo=UTC), tick=False)
    call_command("worker", stdout=io.StringIO())
    assert authenticate(username="ann", password="old-secret-1") is None
    assert seller.get("/reports/day/")["Location"].startswith("/login/")
    assert client.get("/sellers/ann/").status_code == 200  # the head still sees the history


def test_marking_left_on_a_past_day_turns_the_login_off_at_once(client, org):
    ann = make_seller("ann", org["north"], "cold_caller")
    client.force_login(org["head"])
    client.post(f"{URL}ann/left/", {"left_on": "2026-03-19"})
    ann.user.refresh_from_db()
    assert not ann.user.is_active
