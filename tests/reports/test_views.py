"""Every report page checks who is asking (404 to outsiders, login for anonymous)."""

from datetime import date

import pytest
from django.utils import timezone

from salespulse.reports.closing import Submission, submit
from salespulse.reports.models import DayReport
from tests.factories import make_department, make_director, make_head, make_seller

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 2)


@pytest.fixture
def org():
    cold, sales = make_department("cold"), make_department("sales")
    petrov = make_seller("petrov", cold, "cold_caller")
    ivanova = make_seller("ivanova", sales)
    submit(petrov, DAY, Submission(values={"leads": "3"}), petrov.user)
    return {
        "petrov": petrov,
        "ivanova": ivanova,
        "cold_head": make_head("cold_head", [cold]),
        "sales_head": make_head("sales_head", [sales]),
        "director": make_director("director"),
    }


REPORT = "/reports/sellers/petrov/2026-03-02/"


@pytest.mark.parametrize(
    "url", ["/reports/day/", "/reports/month/", "/reports/sellers/petrov/", REPORT]
)
def test_anonymous_is_sent_to_log_in(client, org, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.parametrize("url", ["/reports/sellers/petrov/", REPORT])
def test_it_checks_ownership(client, org, url):
    for outsider in (org["ivanova"].user, org["sales_head"]):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for insider in (org["petrov"].user, org["cold_head"], org["director"]):
        client.force_login(insider)
        assert client.get(url).status_code == 200


def test_a_head_has_no_day_to_close(client, org):
    client.force_login(org["cold_head"])
    assert client.get("/reports/day/").status_code == 404
    assert client.post("/reports/day/2026-03-02/", {"v_leads": "9"}).status_code == 404


def test_only_the_sellers_head_can_return_a_report(client, org):
    for outsider in (org["petrov"].user, org["sales_head"], org["ivanova"].user):
        client.force_login(outsider)
        assert client.post(REPORT + "return/", {"comment": "нет"}).status_code == 404
    assert DayReport.objects.get().status == "submitted"
    client.force_login(org["cold_head"])
    client.post(REPORT + "return/", {"comment": "Проверь лиды"})
    assert DayReport.objects.get().status == "returned"


def test_the_day_form_saves_once_on_a_double_click(client, org):
    client.force_login(org["ivanova"].user)
    today = timezone.localdate()
    form = client.get("/reports/day/")
    token = form.context["token"]
    data = {"version": "0", "token": str(token), "v_meetings": "1", "comment": "ok"}
    first = client.post(f"/reports/day/{today}/", data)
    second = client.post(f"/reports/day/{today}/", data)
    assert first.status_code == second.status_code == 302
    assert DayReport.objects.get(employee=org["ivanova"]).versions.count() == 1


def test_a_stale_form_gets_409_and_nothing_changes(client, org):
    client.force_login(org["petrov"].user)
    data = {"version": "0", "token": "6f1c8a36-3f0e-4bde-9b1e-0a0e4b1e2f11", "v_leads": "9"}
    response = client.post("/reports/day/2026-03-02/", data)
    assert response.status_code == 409
    assert DayReport.objects.get(employee=org["petrov"]).versions.get().values == {"leads": "3.00"}


def test_a_future_day_is_refused(client, org):
    client.force_login(org["petrov"].user)
    assert client.get("/reports/day/2999-01-01/").status_code == 400
    assert client.get("/reports/day/not-a-day/").status_code == 404
