"""The leaderboard: ranked by % of plan, deal KPIs side by side, hidden from sellers by default."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salespulse.dashboard.leaderboard import build, leaderboard_table
from salespulse.kpis.models import DailyFact, Kpi, Plan
from salespulse.lib.periods import Period
from salespulse.org.models import Department
from tests.factories import PASSWORD, make_department, make_director, make_head, make_seller

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, noon in Moscow: the month is judged up to Thursday the 19th.
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)
MARCH = Period.of("month", TODAY)
FEB = date(2026, 2, 1)


def plan(seller, code, month, value):
    Plan.objects.create(
        employee=seller, kpi=Kpi.objects.get(code=code), start=month, value=Decimal(value)
    )


def fact(seller, code, day, value):
    DailyFact.objects.create(
        employee=seller, kpi=Kpi.objects.get(code=code), day=day, value=Decimal(value)
    )


def deals(seller, day, count, total):
    fact(seller, "deals_count", day, count)
    fact(seller, "deals_sum", day, total)


@pytest.fixture(autouse=True)
def _now(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def team():
    head = make_head("boss")
    dept = make_department("south", "Юг", heads=[head])
    # 21 working days in March 2026 (the 9th is a holiday), 13 of them by the 19th;
    # 19 in February (the 23rd is a holiday), 14 of them by the 19th.
    small = make_seller("small", dept, first_name="Мария", last_name="Мелкова")
    big = make_seller("big", dept, first_name="Борис", last_name="Крупнов")
    none = make_seller("noplan", dept, first_name="Нина", last_name="Безпланова")
    # A small quota beaten: 15 600 of 13 000 to date, 120 %: twelve deals of 1 300.
    plan(small, "deals_sum", MARCH.start, 21_000)
    deals(small, date(2026, 3, 10), 12, 15_600)
    plan(small, "deals_sum", FEB, 19_000)
    deals(small, date(2026, 2, 10), 12, 16_800)  # 120 % of 14 000 in February too
    # A big quota missed: 117 000 of 130 000 to date, 90 %: three deals of 39 000.
    plan(big, "deals_sum", MARCH.start, 210_000)
    deals(big, date(2026, 3, 11), 3, 117_000)
    plan(big, "deals_sum", FEB, 190_000)
    deals(big, date(2026, 2, 11), 1, 70_000)  # 50 % of 140 000: up by 40 points since
    # No plan at all: no place, listed last.
    deals(none, date(2026, 3, 12), 5, 50_000)
    return {"dept": dept, "head": head, "small": small, "big": big, "none": none}


def page(client, user_or_login, **params):
    login = getattr(user_or_login, "username", user_or_login)
    assert client.login(username=login, password=PASSWORD)
    return client.get(reverse("leaderboard", args=["south"]), params)


def test_a_small_quota_beaten_ranks_above_a_big_quota_missed(team):
    board = build(team["dept"], "deals_sum", MARCH, TODAY)
    assert [(ln.seller.login, ln.rank, ln.result.completion) for ln in board.lines] == [
        ("small", 1, Decimal("1.2")),
        ("big", 2, Decimal("0.9")),
        ("noplan", None, None),
    ]
    assert board.ranked == 2


def test_previous_completion_is_over_the_same_days_of_the_previous_period(team):
    board = build(team["dept"], "deals_sum", MARCH, TODAY)
    small, big, _ = board.lines
    assert small.previous_completion == Decimal("1.2") and small.change == 0
    assert big.previous_completion == Decimal("0.5") and big.change == Decimal("40.0")
    assert [(line.seller.login, points) for line, points in board.improved] == [("big", 40)]


def test_average_check_is_shown_beside_count_and_sum(team):
    board = build(team["dept"], "deals_sum", MARCH, TODAY)
    table = leaderboard_table(board)
    keys = [c.key for c in table.columns]
    assert keys == [
        "rank",
        "seller",
        "plan",
        "fact",
        "completion",
        "change",
        "deals_count",
        "avg_check",
    ]
    rows = {row[1]: dict(zip(keys, row, strict=True)) for row in table.rows}
    many_small, few_large = rows["Мария Мелкова"], rows["Борис Крупнов"]
    assert (many_small["fact"], many_small["deals_count"], many_small["avg_check"]) == (
        Decimal(15_600),
        Decimal(12),
        Decimal(1_300),
    )
    assert (few_large["fact"], few_large["deals_count"], few_large["avg_check"]) == (
        Decimal(117_000),
        Decimal(3),
        Decimal(39_000),
    )
    # Ranked by the average check, the sum and the count stand beside it.
    by_check = leaderboard_table(build(team["dept"], "avg_check", MARCH, TODAY))
    assert [c.key for c in by_check.columns][-2:] == ["deals_count", "deals_sum"]


def test_the_head_sees_the_full_table_most_improved_and_the_switch(client, team):
    response = page(client, team["head"], kpi="deals_sum")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Мелкова", "Крупнов", "Безпланова"):
        assert name in html
    assert response.context["improved"].rows[0][0] == "Борис Крупнов"
    assert 'name="show" value="1"' in html
    assert "120\u00a0%" in html and "90\u00a0%" in html
    assert "Места — по % выполнения плана на сегодня" in html


def test_a_seller_sees_only_their_own_place_while_the_board_is_hidden(client, team):
    response = page(client, "big", kpi="deals_sum")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Крупнов" in html
    for other in ("Мелкова", "Мария", "Безпланова", "Нина", "small", "noplan"):
        assert other not in html
    assert "2 из 2" in html
    assert "Выполнение плана на сегодня" in html
    assert response.context["own"].rank == 2
    assert 'name="show"' not in html
    # Nor can the table be had as a file.
    assert (
        client.get(
            reverse("leaderboard", args=["south"]), {"export": "leaderboard", "format": "csv"}
        ).status_code
        == 404
    )


def test_a_seller_sees_the_full_board_when_the_head_shows_it(client, team):
    Department.objects.filter(pk=team["dept"].pk).update(show_leaderboard=True)
    html = page(client, "big", kpi="deals_sum").content.decode()
    for name in ("Мелкова", "Крупнов", "Безпланова"):
        assert name in html
    assert 'name="show"' not in html


def test_a_head_of_another_department_and_a_seller_of_another_get_404(client, team):
    other = make_department("north", "Север")
    make_head("stranger", [other])
    make_seller("outsider", other)
    assert page(client, "stranger").status_code == 404
    assert page(client, "outsider").status_code == 404


def test_the_director_sees_every_department(client, team):
    make_director("director")
    assert page(client, "director").status_code == 200


def test_only_the_head_can_show_the_board(client, team):
    url = reverse("leaderboard", args=["south"])
    assert client.login(username="small", password=PASSWORD)
    assert client.post(url, {"show": "1"}).status_code == 403
    make_head("stranger", [make_department("north")])
    assert client.login(username="stranger", password=PASSWORD)
    assert client.post(url, {"show": "1"}).status_code == 404
    team["dept"].refresh_from_db()
    assert team["dept"].show_leaderboard is False

    assert client.login(username="boss", password=PASSWORD)
    response = client.post(f"{url}?kpi=deals_count&period=week", {"show": "1"}, follow=True)
    assert response.redirect_chain == [(f"{url}?kpi=deals_count&period=week", 302)]
    team["dept"].refresh_from_db()
    assert team["dept"].show_leaderboard is True
    assert [str(m) for m in response.context["messages"]] == ["Команда теперь видит рейтинг."]
    client.post(url, {"show": "0"})
    team["dept"].refresh_from_db()
    assert team["dept"].show_leaderboard is False


def test_the_toggle_needs_a_csrf_token(team):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.login(username="boss", password=PASSWORD)
    assert client.post(reverse("leaderboard", args=["south"]), {"show": "1"}).status_code == 403


def test_the_head_exports_the_leaderboard(client, team):
    assert client.login(username="boss", password=PASSWORD)
    response = client.get(
        reverse("leaderboard", args=["south"]),
        {"kpi": "deals_sum", "export": "leaderboard", "format": "csv"},
    )
    assert response.status_code == 200
    assert "Крупнов" in response.content.decode("utf-8-sig")


def test_an_unknown_kpi_or_period_falls_back_to_the_first_kpi_and_the_month(client, team):
    response = page(client, "boss", kpi="nonsense", period="decade")
    assert response.status_code == 200
    assert response.context["board"].kpi.code == "deals_count"
    assert response.context["period"] == MARCH


def test_the_query_count_does_not_grow_with_the_team(client, team):
    assert client.login(username="boss", password=PASSWORD)
    url = reverse("leaderboard", args=["south"])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"kpi": "avg_check"}).status_code == 200
        return len(ctx.captured_queries)

    three = queries()
    for i in range(7):
        seller = make_seller(f"extra{i}", team["dept"], last_name=f"Дополнительный{i}")
        plan(seller, "deals_sum", MARCH.start, 21_000)
        plan(seller, "deals_count", MARCH.start, 21)
        deals(seller, date(2026, 3, 3), i + 1, 1_000 * (i + 1))
    assert queries() == three
