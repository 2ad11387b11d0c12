"""The plans page: the head sets a month's plans in one grid; absences follow at once."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from salespulse.kpis.models import DailyFact, Kpi, Plan, PlanChange, RoleKpi
from salespulse.org.models import Absence
from tests.factories import (
    make_admin,
    make_department,
    make_director,
    make_head,
    make_seller,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # Friday 20 March 2026
APRIL = date(2026, 4, 1)
URL = "/departments/north/plans/?month=2026-04"


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def org():
    north = make_department("north", "Север")
    south = make_department("south", "Юг")
    head = make_head("head", [north])
    ann = make_seller("ann", north, "cold_caller", first_name="Анна", last_name="Орлова")
    bob = make_seller("bob", north, "salesperson", first_name="Борис", last_name="Белов")
    RoleKpi.objects.filter(role__code="cold_caller", kpi__code="calls").update(default_plan=1000)
    return {"north": north, "south": south, "head": head, "ann": ann, "bob": bob}


def login(client, user):
    client.force_login(user)
    return client


def field(seller, code):
    return f"p_{seller.pk}_{code}"


def test_only_heads_of_the_department_director_and_admin_open_it(client, org):
    other = make_head("other", [org["south"]])
    for user, status in [
        (org["head"], 200),
        (make_director("dir"), 200),
        (make_admin("root"), 200),
        (other, 404),
        (org["ann"].user, 404),
    ]:
        client.force_login(user)
        assert client.get(URL).status_code == status, user
        assert client.post(URL, {"action": "save"}).status_code in (status, 302), user
    client.logout()
    assert client.get(URL).status_code == 302  # to the login page


def test_the_grid_shows_each_sellers_role_kpis_in_display_units(client, org):
    talk = Kpi.objects.get(code="talk_time")
    Plan.objects.create(employee=org["ann"], kpi=talk, start=APRIL, value=Decimal(108000))
    page = login(client, org["head"]).get(URL).content.decode()
    assert f'name="{field(org["ann"], "talk_time")}" value="30:00"' in page
    # the role default is shown and marked as such
    assert 'class="cell dflt"' in page and 'value="1\u00a0000"' in page
    # a salesperson has no calls cell, a cold caller no deal sum
    assert field(org["bob"], "calls") not in page
    assert field(org["ann"], "deals_sum") not in page
    assert field(org["bob"], "deals_sum") in page


def test_one_save_writes_the_grid_and_keeps_who_and_when(client, org):
    login(client, org["head"])
    response = client.post(
        URL,
        {
            "action": "save",
            field(org["ann"], "talk_time"): "30:00",
            field(org["ann"], "calls"): "1 200",
            field(org["bob"], "deals_sum"): "1 500 000",
        },
    )
    assert response.status_code == 302
    plan = Plan.objects.get(employee=org["ann"], kpi__code="talk_time", start=APRIL)
    assert plan.value == 108000 and plan.updated_by == org["head"]
    assert Plan.objects.get(employee=org["bob"], kpi__code="deals_sum").value == 1500000
    change = PlanChange.objects.get(employee=org["ann"], kpi__code="calls")
    assert (change.old_value, change.new_value, change.changed_by) == (None, 1200, org["head"])
    assert change.changed_at == NOW
    page = client.get(URL).content.decode()
    assert "Изменения" in page and "30:00" in page


def test_a_bad_cell_saves_nothing_and_says_why_in_place(client, org):
    login(client, org["head"])
    response = client.post(
        URL,
        {
            "action": "save",
            field(org["ann"], "talk_time"): "108000",
            field(org["ann"], "calls"): "1200",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert ' bad">' in page and "ч:мм" in page
    assert 'value="108000"' in page  # what was typed stays in the cell
    assert not Plan.objects.exists() and not PlanChange.objects.exists()


def test_copy_last_month_then_plus_five_percent(client, org):
    calls = Kpi.objects.get(code="calls")
    Plan.objects.create(employee=org["ann"], kpi=calls, start=date(2026, 3, 1), value=800)
    login(client, org["head"])
    page = client.post(URL, {"action": "copy"}).content.decode()
    assert f'name="{field(org["ann"], "calls")}" value="800"' in page
    assert not Plan.objects.filter(start=APRIL).exists()  # filled in, not saved
    page = client.post(
        URL, {"action": "scale", "percent": "5", field(org["ann"], "calls"): "800"}
    ).content.decode()
    assert f'name="{field(org["ann"], "calls")}" value="840"' in page


def test_the_department_total_is_split_by_working_days(client, org):
    carl = make_seller("carl", org["north"], "salesperson", last_name="Чернов")
    # Carl is on vacation for the first half of April: fewer working days, a smaller share.
    Absence.objects.create(
        employee=carl, kind=Absence.Kind.VACATION, start=date(2026, 4, 1), end=date(2026, 4, 15)
    )
    page = (
        login(client, org["head"])
        .post(
            URL,
            {"action": "distribute", "kpi": "deals_sum", "total": "3 000 000", "method": "equal"},
        )
        .content.decode()
    )
    bob_part = Decimal(
        page.split(f'name="{field(org["bob"], "deals_sum")}" value="')[1]
        .split('"')[0]
        .replace("\u00a0", "")
        .replace(",", ".")
    )
    carl_part = Decimal(
        page.split(f'name="{field(carl, "deals_sum")}" value="')[1]
        .split('"')[0]
        .replace("\u00a0", "")
        .replace(",", ".")
    )
    assert bob_part + carl_part == 3000000
    assert carl_part < bob_part


def test_split_by_the_last_three_months(client, org):
    carl = make_seller("carl", org["north"], "salesperson", last_name="Чернов")
    deals_sum = Kpi.objects.get(code="deals_sum")
    DailyFact.objects.create(employee=org["bob"], kpi=deals_sum, day=date(2026, 2, 3), value=300)
    DailyFact.objects.create(employee=carl, kpi=deals_sum, day=date(2026, 3, 3), value=100)
    page = (
        login(client, org["head"])
        .post(
            URL, {"action": "distribute", "kpi": "deals_sum", "total": "1000", "method": "history"}
        )
        .content.decode()
    )
    assert f'name="{field(org["bob"], "deals_sum")}" value="750"' in page
    assert f'name="{field(carl, "deals_sum")}" value="250"' in page


def test_the_board_names_sellers_without_next_months_plan_from_the_20th(client, org):
    page = login(client, org["head"]).get("/departments/north/").content.decode()
    assert 'id="no-plan-next"' in page and "Орлова" in page
    login(client, org["head"]).post(
        URL,
        {"action": "save", **{field(org["ann"], c): "1" for c in ("calls", "conversations")}},
    )
    client.post(URL, {"action": "copy"})
    # once every seller has a plan of their own the warning is gone
    grid_page = client.get(URL).content.decode()
    data = {"action": "save"}
    for name in [p.split('"')[0] for p in grid_page.split('name="p_')[1:]]:
        data["p_" + name] = "1" if "talk" not in name else "1:00"
    client.post(URL, data)
    assert 'id="no-plan-next"' not in client.get("/departments/north/").content.decode()


def test_a_head_enters_an_absence_and_the_working_days_follow(client, org):
    login(client, org["head"])
    before = client.get(URL).content.decode()
    response = client.post(
        "/departments/north/absences/",
        {
            "employee": org["ann"].pk,
            "kind": "vacation",
            "start": "2026-04-06",
            "end": "2026-04-10",
            "next": URL,
        },
    )
    assert response.status_code == 302 and response["Location"] == URL
    assert Absence.objects.get().employee == org["ann"]
    after = client.get(URL).content.decode()
    assert before != after and "06.04.2026–10.04.2026" in after


def test_nobody_else_enters_or_removes_an_absence(client, org):
    other = make_head("other", [org["south"]])
    absence = Absence.objects.create(
        employee=org["ann"], kind="sick", start=date(2026, 4, 1), end=date(2026, 4, 2)
    )
    for user in (other, org["ann"].user):
        client.force_login(user)
        data = {
            "employee": org["ann"].pk,
            "kind": "vacation",
            "start": "2026-04-06",
            "end": "2026-04-07",
        }
        assert client.post("/departments/north/absences/", data).status_code == 404
        assert client.post(f"/departments/north/absences/{absence.pk}/delete/").status_code == 404
    assert Absence.objects.count() == 1
    # a head cannot enter an absence for another department's seller through their own page
    south_seller = make_seller("sam", org["south"])
    client.force_login(org["head"])
    client.post(
        "/departments/north/absences/",
        {
            "employee": south_seller.pk,
            "kind": "vacation",
            "start": "2026-04-06",
            "end": "2026-04-07",
        },
    )
    assert not Absence.objects.filter(employee=south_seller).exists()


def test_split_by_typed_weights(client, org):
    carl = make_seller("carl", org["north"], "salesperson", last_name="Чернов")
    page = (
        login(client, org["head"])
        .post(
            URL,
            {
                "action": "distribute",
                "kpi": "deals_count",
                "total": "40",
                "method": "typed",
                f"w_{org['bob'].pk}": "3",
                f"w_{carl.pk}": "1",
            },
        )
        .content.decode()
    )
    assert f'name="{field(org["bob"], "deals_count")}" value="30"' in page
    assert f'name="{field(carl, "deals_count")}" value="10"' in page
    assert not Plan.objects.exists()  # filled in, saved only by the one save


def test_the_seller_page_leads_a_head_to_the_sellers_absences(client, org):
    page = login(client, org["head"]).get("/sellers/ann/").content.decode()
    assert "/departments/north/plans/?month=2026-03#absences" in page
    own = login(client, org["ann"].user).get("/sellers/ann/").content.decode()
    assert "#absences" not in own


def test_the_grid_costs_the_same_queries_for_two_sellers_or_eight(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.post(URL, {"action": "copy"}).status_code == 200
        return len(ctx.captured_queries)

    login(client, org["head"])
    few = queries()
    for n in range(6):
        make_seller(f"extra{n}", org["north"], "cold_caller" if n % 2 else "salesperson")
    assert queries() == few


def test_the_page_speaks_english_when_chosen(client, org):
    login(client, org["head"])
    client.cookies["django_language"] = "en"
    page = client.get(URL).content.decode()
    assert "Copy last month" in page and "Save plans" in page and "Talk time, h:mm" in page


def test_a_ratio_is_not_split(client, org):
    page = login(client, org["head"]).post(
        URL, {"action": "distribute", "kpi": "avg_check", "total": "50000", "method": "equal"}
    )
    assert "Выберите показатель" in page.content.decode()
