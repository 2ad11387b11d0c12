"""Every screen in salespulse/urls.py: who gets it, who gets 404, who is sent to log in."""

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salespulse.kpis.models import DailyFact, Kpi, Plan
from salespulse.org.models import Absence
from tests.factories import (
    PASSWORD,
    make_admin,
    make_department,
    make_director,
    make_head,
    make_seller,
    make_user,
)

pytestmark = pytest.mark.django_db

# A finished month, so "as of" is its last day whatever the date the suite runs on.
MONTH = "2026-03"
MARCH = date(2026, 3, 1)
CUSTOM = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def org():
    north = make_department("north", "Север")
    south = make_department("south", "Юг")
    return {
        "north": north,
        "south": south,
        "ann": make_seller("ann", north, first_name="Анна", last_name="Петрова"),
        "bob": make_seller("bob", north, "cold_caller", first_name="Борис", last_name="Орлов"),
        "cat": make_seller("cat", south, "account_manager"),
        "head_n": make_head("head_n", [north]),
        "head_s": make_head("head_s", [south]),
        "director": make_director("director"),
        "admin": make_admin("admin"),
    }


def html(response) -> str:
    return response.content.decode()


def seller_url(login: str) -> str:
    return reverse("seller", kwargs={"login": login})


def department_url(code: str) -> str:
    return reverse("department", kwargs={"code": code})


# --- home -------------------------------------------------------------------------------


def test_home_sends_anonymous_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_home_sends_a_seller_to_their_day(client, org):
    client.force_login(org["ann"].user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:day")


def test_home_sends_a_head_of_one_department_to_it(client, org):
    client.force_login(org["head_n"])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/departments/north/"


def test_home_sends_a_head_of_several_departments_to_their_overview(client, org):
    make_head("head_ns", [org["north"], org["south"]])
    client.login(username="head_ns", password=PASSWORD)
    response = client.get("/", follow=True)
    assert response.redirect_chain == [("/departments/", 302)]
    assert [b.department.code for b in (r["board"] for r in response.context["rows"])] == [
        "north",
        "south",
    ]
    page = html(response)
    assert 'href="/departments/north/?period=month"' in page
    assert 'href="/departments/south/?period=month"' in page


@pytest.mark.parametrize("who", ["director", "admin"])
def test_home_sends_director_and_admin_to_every_department(client, org, who):
    client.force_login(org[who])
    response = client.get("/", follow=True)
    assert response.redirect_chain == [("/departments/", 302)]
    codes = {r["board"].department.code for r in response.context["rows"]}
    assert codes == {"north", "south"}


def test_home_for_a_user_with_no_departments(client, org):
    client.force_login(make_head("idle"))
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["departments"] == []


# --- seller month -----------------------------------------------------------------------


def test_seller_sees_own_month_with_kpis(client, org):
    ann = org["ann"]
    deals = Kpi.objects.get(code="deals_count")
    Plan.objects.create(employee=ann, kpi=deals, start=MARCH, value=Decimal(44))
    DailyFact.objects.create(employee=ann, kpi=deals, day=date(2026, 3, 2), value=Decimal(7))
    client.force_login(ann.user)
    response = client.get(seller_url("ann"), CUSTOM)
    assert response.status_code == 200
    page = html(response)
    assert "Анна Петрова" in page
    for name in ("Сделки", "Сумма сделок", "Средний чек"):
        assert f'&kpi={Kpi.objects.get(name_ru=name).code}&by=day">{name}</a>' in page
    assert response.context["period"].start == MARCH
    assert response.context["page"].as_of == date(2026, 3, 31)
    cell = next(c for c in response.context["page"].cells if c.kpi.code == "deals_count")
    assert cell.result.plan == 44
    assert cell.result.fact == 7


def test_seller_page_without_month_shows_the_current_month(client, org):
    client.force_login(org["ann"].user)
    response = client.get(seller_url("ann"))
    assert response.status_code == 200
    period = response.context["period"]
    assert period.start <= response.context["page"].as_of <= period.end


@pytest.mark.parametrize(
    "query",
    [
        {"period": "garbage"},
        {"period": "custom", "start": "2026-13-01", "end": "2026-03-31"},
        {"period": "custom", "start": "9999-12-01", "end": "9999-12-31"},
        {"period": "custom", "start": "0001-01-01", "end": "0001-01-31"},
        {"period": "custom"},
        {"by": "century", "kpi": "nope"},
    ],
)
def test_seller_page_ignores_a_bad_period(client, org, query):
    client.force_login(org["ann"].user)
    response = client.get(seller_url("ann"), query)
    assert response.status_code == 200


def test_seller_without_a_role_gets_an_empty_table(client, org):
    lone = make_seller("lone", org["north"], role_code=None)
    client.force_login(lone.user)
    response = client.get(seller_url("lone"), CUSTOM)
    assert response.status_code == 200
    assert response.context["page"].cells == []
    assert "Нет KPI: у менеджера не задана роль в продажах." in html(response)


@pytest.mark.parametrize("who", ["head_n", "director", "admin"])
def test_managers_open_a_seller_month(client, org, who):
    client.force_login(org[who])
    response = client.get(seller_url("bob"), CUSTOM)
    assert response.status_code == 200
    assert response.context["page"].seller == org["bob"]


def test_it_checks_ownership_seller_opens_another_seller(client, org):
    client.force_login(org["ann"].user)
    # Same department or another one: a seller sees nobody but themselves.
    assert client.get(seller_url("bob")).status_code == 404
    assert client.get(seller_url("cat")).status_code == 404


def test_it_checks_ownership_seller_opens_a_department(client, org):
    client.force_login(org["ann"].user)
    assert client.get(department_url("north")).status_code == 404
    assert client.get(department_url("south")).status_code == 404


def test_it_checks_ownership_head_opens_another_departments_seller(client, org):
    client.force_login(org["head_n"])
    assert client.get(seller_url("cat")).status_code == 404
    assert client.get(department_url("south")).status_code == 404


def test_it_checks_ownership_heads_are_not_seller_pages(client, org):
    client.force_login(org["director"])
    assert client.get(seller_url("head_n")).status_code == 404


def test_it_checks_ownership_unknown_is_404_not_403(client, org):
    client.force_login(org["admin"])
    assert client.get(seller_url("nobody")).status_code == 404
    assert client.get(department_url("nowhere")).status_code == 404


def test_it_checks_ownership_user_without_profile(client, org):
    client.force_login(make_user("stranger"))
    assert client.get(seller_url("ann")).status_code == 404
    assert client.get(department_url("north")).status_code == 404


@pytest.mark.parametrize("path", ["/sellers/ann/", "/departments/north/", "/sellers/nobody/"])
def test_it_checks_ownership_anonymous_goes_to_login(client, org, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


# --- department month -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head_n", "director", "admin"])
def test_department_board(client, org, who):
    client.force_login(org[who])
    response = client.get(department_url("north"), CUSTOM)
    assert response.status_code == 200
    page = html(response)
    assert "<h1>Север</h1>" in page
    board = response.context["board"]
    assert [s.login for s in board.sellers] == ["bob", "ann"]
    assert 'href="/sellers/ann/"' in page
    assert 'href="/sellers/bob/"' in page
    # The department row lists the union of its roles' KPIs, each once.
    total_codes = [c.kpi.code for c in board.totals]
    assert len(total_codes) == len(set(total_codes))
    assert {"deals_count", "calls"} <= set(total_codes)
    assert "cat" not in {s.login for s in board.sellers}


def test_department_totals_add_up_sellers(client, org):
    deals = Kpi.objects.get(code="deals_count")
    third = make_seller("third", org["north"])
    for seller, value in ((org["ann"], 3), (third, 4)):
        DailyFact.objects.create(employee=seller, kpi=deals, day=date(2026, 3, 2), value=value)
    client.force_login(org["head_n"])
    response = client.get(department_url("north"), CUSTOM)
    total = next(c for c in response.context["board"].totals if c.kpi.code == "deals_count")
    assert total.result.fact == 7


def test_empty_department(client, org):
    make_department("empty", "Пустой", heads=[org["head_n"]])
    client.force_login(org["head_n"])
    response = client.get(department_url("empty"), CUSTOM)
    assert response.status_code == 200
    assert response.context["board"].lines == []


# --- login, logout, language ------------------------------------------------------------


def test_login_page_is_russian_by_default(client):
    response = client.get("/login/")
    assert response.status_code == 200
    page = html(response)
    assert '<html lang="ru">' in page
    # The switch offers the other language.
    assert 'name="language" value="en"' in page
    assert 'name="username"' in page and 'name="password"' in page


def test_login_ignores_the_browser_language(client):
    # Browsers set to English are common among Russian users; only the switch changes it.
    response = client.get("/login/", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="ru">' in html(response)


def test_language_switch_to_english(client, org):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert response.cookies["django_language"].value == "en"
    page = html(client.get("/login/"))
    assert '<html lang="en">' in page
    assert 'name="language" value="ru"' in page
    # KPI names follow the language too.
    client.force_login(org["ann"].user)
    page = html(client.get(seller_url("ann"), CUSTOM))
    assert '&kpi=deals_count&by=day">Deals</a>' in page
    assert '&kpi=avg_check&by=day">Average check</a>' in page


def test_language_switch_back_to_russian(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    client.post("/i18n/setlang/", {"language": "ru", "next": "/login/"})
    assert '<html lang="ru">' in html(client.get("/login/"))


def test_language_switch_refuses_a_foreign_next(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_login_form_logs_a_seller_in(client, org):
    response = client.post("/login/", {"username": "ann", "password": PASSWORD}, follow=True)
    assert response.redirect_chain == [("/", 302), (reverse("reports:day"), 302)]
    assert response.status_code == 200


def test_login_form_keeps_next(client, org):
    response = client.post(
        "/login/?next=/departments/north/",
        {"username": "head_n", "password": PASSWORD, "next": "/departments/north/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/departments/north/"


def test_login_form_refuses_a_wrong_password(client, org):
    response = client.post("/login/", {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    page = html(response)
    assert 'class="error"' in page
    # The login typed is kept, the password is not.
    assert 'value="ann"' in page
    assert "nope" not in page


def test_logout(client, org):
    client.force_login(org["ann"].user)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_logout_by_get_is_refused(client, org):
    # A link or an image cannot log anybody out (Django 5 logs out on POST only).
    client.force_login(org["ann"].user)
    assert client.get("/logout/").status_code == 405


def test_staff_see_the_settings_link(client, org):
    client.force_login(org["admin"])
    assert 'href="/admin/"' in html(client.get(department_url("north"), CUSTOM))
    client.force_login(org["head_n"])
    assert 'href="/admin/"' not in html(client.get(department_url("north"), CUSTOM))


# --- query count ------------------------------------------------------------------------

ROLES = ["salesperson", "cold_caller", "account_manager"]


def populate_department(code: str, n: int, roles: list[str]):
    """A department of n sellers cycling through `roles`, with plans, facts and absences."""
    head = make_head(f"head_{code}")
    department = make_department(code, heads=[head])
    for i in range(n):
        role_code = roles[i % len(roles)]
        seller = make_seller(f"{code}_s{i}", department, role_code, last_name=f"S{i:02d}")
        for kpi in seller.sales_role.kpis.all():
            if kpi.formula or kpi.aggregation == Kpi.Aggregation.DISTINCT:
                continue
            Plan.objects.create(employee=seller, kpi=kpi, start=MARCH, value=100)
            DailyFact.objects.bulk_create(
                DailyFact(employee=seller, kpi=kpi, day=MARCH + timedelta(days=d), value=d + 1)
                for d in range(0, 31, 2)
            )
        Absence.objects.create(
            employee=seller, kind="sick", start=date(2026, 3, 10), end=date(2026, 3, 12)
        )
    return head, department


def department_page_queries(client, n: int, roles: list[str]) -> list[str]:
    head, department = populate_department(f"d{n}", n, roles)
    client.force_login(head)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(department_url(department.code), CUSTOM)
    assert response.status_code == 200
    assert len(response.context["board"].lines) == n
    return [shape(q["sql"]) for q in ctx.captured_queries]


def shape(sql: str) -> str:
    # Ids, logins and IN-list lengths differ between the two departments; the shape does not.
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "N", sql)
    return re.sub(r"IN \([^()]*\)", "IN (...)", sql)


# Which kinds of KPI the roles hold (snapshot, distinct) adds a query each, so both sides
# of a comparison get the same roles; only the number of sellers changes.
@pytest.mark.parametrize(
    "small, large, roles",
    [(2, 8, ["salesperson"]), (2, 8, ["salesperson", "cold_caller"]), (3, 9, ROLES)],
)
def test_department_page_queries_do_not_grow_with_sellers(client, small, large, roles):
    few = department_page_queries(client, small, roles)
    client.logout()
    many = department_page_queries(client, large, roles)
    if len(many) != len(few):
        repeated = Counter(many) - Counter(few)
        pytest.fail(f"{len(few)} queries for {small}, {len(many)} for {large}: {repeated}")
    # 28: one asks whose today is closed (reports.cutoffs), one whether a recount of the
    # department's figures is running, one how the sources are doing (sources.health), one
    # which reports were corrected after a return, three the header's navigation (front.nav:
    # the departments, the user's and groups' permissions for the CRM upload); from the 20th
    # one more names the sellers with no plan for next month.
    assert len(many) <= 28
    print(f"department page: {len(few)} queries for {small} sellers, {len(many)} for {large}")


def test_seller_page_query_count(client, org, django_assert_max_num_queries):
    client.force_login(org["ann"].user)
    # The seller's own figures, and the team's for the funnel medians: two fixed loads;
    # one more for the header's navigation (whether the role keeps a client portfolio).
    with django_assert_max_num_queries(25):
        assert client.get(seller_url("ann"), CUSTOM).status_code == 200


def test_my_day_query_count(client, org, django_assert_max_num_queries):
    client.force_login(org["ann"].user)
    # The evening spike opens it twice per seller (before closing the day and after): the
    # seller is read once and kept for the header's links; the report statuses take the
    # seller's calendar from the figures already loaded.
    with django_assert_max_num_queries(20):
        assert client.get("/reports/day/").status_code == 200
