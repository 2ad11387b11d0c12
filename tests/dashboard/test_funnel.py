"""The department's funnel from daily facts: numbers, queries, the page and who may see it."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from salespulse.dashboard.funnel import (
    department_funnel,
    funnel_context,
    funnel_table,
    seller_funnel_html,
    verdict,
)
from salespulse.kpis.figures import load, sellers_queryset
from salespulse.kpis.models import DailyFact, Kpi, Plan
from salespulse.lib.funnel import Step
from salespulse.lib.periods import Period
from tests.factories import make_department, make_head, make_seller

pytestmark = pytest.mark.django_db

MARCH = Period.of("month", date(2026, 3, 1))
AS_OF = date(2026, 3, 31)
CALLS_CONV = Step("calls", "conversations")
CONV_LEADS = Step("conversations", "leads")


def fact(seller, code, day, value):
    DailyFact.objects.create(
        employee=seller, kpi=Kpi.objects.get(code=code), day=day, value=Decimal(value)
    )


def calls(seller, calls, conversations, leads):
    """The month's figures over two days, so the funnel has to add them up."""
    for day in (date(2026, 3, 3), date(2026, 3, 4)):
        fact(seller, "calls", day, calls // 2)
        fact(seller, "conversations", day, conversations // 2)
        fact(seller, "leads", day, leads // 2)


@pytest.fixture
def org():
    head = make_head("boss")
    north = make_department("north", "Север", heads=[head])
    ann = make_seller("ann", north, "cold_caller", first_name="Анна", last_name="Андреева")
    bob = make_seller("bob", north, "cold_caller", first_name="Борис", last_name="Быков")
    cat = make_seller("cat", north, "cold_caller", first_name="Вера", last_name="Волкова")
    calls(ann, 200, 80, 16)  # 40 %, 20 %
    calls(bob, 200, 60, 6)  # 30 %, 10 %: 6 leads lost after talking
    calls(cat, 200, 40, 8)  # 20 %, 20 %: 20 conversations lost = 4 leads
    fact(ann, "calls", date(2026, 2, 27), 999)  # another month
    other_head = make_head("other")
    south = make_department("south", "Юг", heads=[other_head])
    make_seller("sam", south, "salesperson")
    return {"head": head, "north": north, "ann": ann, "bob": bob, "cat": cat,
            "other_head": other_head, "south": south}  # fmt: skip


def sellers_of(department):
    return list(sellers_queryset().filter(department=department).order_by("user__last_name"))


def test_department_numbers(org):
    funnel = department_funnel(sellers_of(org["north"]), MARCH, AS_OF)
    # Cold callers have no deals: those stages are not part of their funnel.
    assert funnel.stages == ("calls", "conversations", "leads")
    assert funnel.team.values == {"calls": 600, "conversations": 180, "leads": 30}
    assert funnel.medians == {CALLS_CONV: Decimal("0.3"), CONV_LEADS: Decimal("0.2")}
    assert funnel.loss_by_step == {CALLS_CONV: Decimal(4), CONV_LEADS: Decimal(6)}
    assert funnel.bottleneck == CONV_LEADS
    bottlenecks = {row.key.login: row.bottleneck for row in funnel.sellers}
    assert bottlenecks == {"ann": None, "bob": CONV_LEADS, "cat": CALLS_CONV}


def test_figures_only_count_up_to_as_of(org):
    funnel = department_funnel(sellers_of(org["north"]), MARCH, date(2026, 3, 3))
    assert funnel.team.values["calls"] == 300


def test_a_stage_with_a_plan_but_no_figures_counts_as_zero(org):
    sam = sellers_queryset().get(user__username="sam")
    Plan.objects.create(
        employee=sam, kpi=Kpi.objects.get(code="deals_count"), start=MARCH.start,
        value=Decimal(10),
    )  # fmt: skip
    funnel = department_funnel([sam], MARCH, AS_OF)
    assert funnel.stages == ("deals_count",)
    assert funnel.team.values["deals_count"] == 0


def test_queries_do_not_grow_with_sellers(org):
    north = org["north"]
    for i in range(9):
        seller = make_seller(f"extra{i}", north, "cold_caller")
        calls(seller, 100, 30, 6)

    def count(sellers):
        with CaptureQueriesContext(connection) as queries:
            department_funnel(sellers, MARCH, AS_OF)
        return len(queries)

    few, many = sellers_of(north)[:3], sellers_of(north)
    assert len(many) == 12
    assert count(few) == count(many)


def test_preloaded_figures_cost_no_query(org, django_assert_num_queries):
    sellers = sellers_of(org["north"])
    figures = load(sellers, MARCH.start, MARCH.end, kpi_codes=["calls", "conversations", "leads"])
    with django_assert_num_queries(0):
        funnel = department_funnel(sellers, MARCH, AS_OF, figures=figures)
    assert funnel.team.values["leads"] == 30


def test_table_has_the_stages_conversions_and_the_department(org):
    funnel = department_funnel(sellers_of(org["north"]), MARCH, AS_OF)
    with translation.override("ru"):
        table = funnel_table(funnel, MARCH)
    assert table.name == "funnel"
    assert [c.title for c in table.columns] == [
        "Менеджер", "Звонки", "Звонки → разговоры", "Разговоры", "Разговоры → лиды", "Лиды",
        "Узкое место",
    ]  # fmt: skip
    assert [c.unit for c in table.columns][1:6] == [
        "count", "percent", "count", "percent", "count"
    ]  # fmt: skip
    assert table.rows[1] == ["Борис Быков", 200, Decimal("0.3"), 60, Decimal("0.1"), 6,
                             "разговоры → лиды"]  # fmt: skip
    assert table.footer == [["Отдел", 600, Decimal("0.3"), 180, Decimal(1) / 6, 30,
                             "разговоры → лиды"]]  # fmt: skip


def test_verdicts_in_russian(org):
    funnel = department_funnel(sellers_of(org["north"]), MARCH, AS_OF)
    with translation.override("ru"):
        assert verdict(funnel) == (
            "Узкое место: разговоры → лиды, −10 п.п. к медиане команды "
            "(ниже неё 1 менеджер); потеряно ≈ 6 лидов"
        )
        context = funnel_context(funnel, MARCH)
        texts = {seller.login: text for seller, text, _ in context["funnel_sellers"]}
        assert texts["bob"] == (
            "разговоры → лиды: 10\u00a0% при медиане команды 20\u00a0% (−10 п.п.); "
            "потеряно ≈ 6 лидов"
        )
        assert texts["cat"].endswith("потеряно ≈ 20 разговоров")
        assert texts["ann"] == "не ниже медианы команды"
        html = seller_funnel_html(funnel, org["cat"])
    assert html.startswith("<svg") and "funnel-verdict" in html


def test_verdict_without_figures(org):
    funnel = department_funnel(sellers_of(org["north"]), Period.of("month", date(2025, 1, 1)),
                               date(2025, 1, 31))  # fmt: skip
    with translation.override("ru"):
        assert verdict(funnel) == "За этот период данных для воронки недостаточно."


def page(client, user, code="north", query="?start=2026-03-01&end=2026-03-31"):
    client.force_login(user)
    return client.get(reverse("department-funnel", args=[code]) + query)


def test_the_head_sees_the_funnel(client, org, time_machine):
    time_machine.move_to(datetime(2026, 4, 10, 9, tzinfo=UTC), tick=False)
    response = page(client, org["head"])
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("department-funnel", args=["north"]) == "/departments/north/funnel/"
    assert "Узкое место: разговоры → лиды" in body
    assert 'role="img"' in body and "bottleneck" in body
    assert 'data-table="funnel"' in body
    assert "Борис Быков</a>: разговоры → лиды: 10" in body


def test_the_month_by_default(client, org, time_machine):
    time_machine.move_to(datetime(2026, 3, 20, 9, tzinfo=UTC), tick=False)
    response = page(client, org["head"], query="")
    assert response.status_code == 200
    assert response.context["period"] == MARCH
    assert response.context["as_of"] == date(2026, 3, 19)


def test_the_table_exports(client, org, time_machine):
    time_machine.move_to(datetime(2026, 4, 10, 9, tzinfo=UTC), tick=False)
    response = page(client, org["head"], query="?start=2026-03-01&end=2026-03-31&export=funnel"
                    "&format=csv")  # fmt: skip
    assert response.status_code == 200
    assert "Быков" in response.content.decode("utf-8-sig")


def test_it_checks_access(client, org):
    assert page(client, org["other_head"]).status_code == 404
    assert page(client, org["ann"].user).status_code == 404
    client.logout()
    response = client.get(reverse("department-funnel", args=["north"]))
    assert response.status_code == 302
