"""POST /api/v1/calls: who may push, one call or a batch, the same id rules as files."""

import json

import pytest
from django.urls import reverse

from salespulse.api.models import ApiToken
from salespulse.telephony.models import CallImport, CallLeg
from tests.factories import make_admin, make_head, make_user
from tests.telephony.conftest import call_kpis

pytestmark = pytest.mark.django_db

URL = "/api/v1/calls"

CALL = {
    "id": "cloud-1",
    "start": "2026-02-03T10:00:00+03:00",
    "billsec": 65,
    "duration": 80,
    "disposition": "answered",
    "agent": "101",
    "direction": "outbound",
    "dst": "+79161234567",
}


def post(client, token, body, **extra):
    return client.post(
        URL, data=json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}", **extra,
    )  # fmt: skip


@pytest.fixture
def staff_token():
    user = make_user("pbx", is_staff=True)
    return ApiToken.issue(user, "Asterisk")[1]


def test_the_url_is_the_documented_one():
    assert reverse("api-calls") == URL


def test_one_call_is_counted_for_its_seller(org, client, staff_token):
    response = post(client, staff_token, CALL)
    assert response.status_code == 200
    assert response.json() == {
        "rows": 1, "layout": "CSV with a header row", "calls": 1, "imported": 1,
        "already_stored": 0, "repeats": 0, "not_sales": 0, "not_sales_by": {}, "refused": 0,
        "duplicates": 0, "rejected": [], "unmapped": {},
    }  # fmt: skip
    assert call_kpis(org["ann"]) == {"calls": 1, "answered_calls": 1, "conversations": 1,
                                     "talk_time": 65}  # fmt: skip
    assert CallImport.objects.get().user.username == "pbx"


def test_a_batch_with_a_repeat_and_a_bad_call(org, client, staff_token):
    second = CALL | {"id": "cloud-2", "agent": "102", "billsec": 10}
    bad = CALL | {"id": "cloud-3", "start": "1970-01-01T00:00:00Z"}
    body = {"source": "mango", "calls": [CALL, second, CALL, bad, "junk"]}
    result = post(client, staff_token, body).json()
    assert (result["rows"], result["imported"], result["repeats"], result["refused"]) == (
        5,
        2,
        1,
        2,
    )
    assert [r["line"] for r in result["rejected"]] == [4, 5]
    assert "1970" in result["rejected"][0]["reason"]
    again = post(client, staff_token, body).json()
    assert (again["imported"], again["already_stored"], again["repeats"]) == (0, 2, 1)
    assert CallLeg.objects.filter(source__name="mango").count() == 2
    assert call_kpis(org["bob"])["conversations"] == 0


def test_nothing_importable_is_400_with_the_reasons(org, client, staff_token):
    response = post(client, staff_token, [{"start": "вчера", "billsec": 5}])
    assert response.status_code == 400
    assert response.json()["rejected"][0]["line"] == 1


@pytest.mark.parametrize("body", [None, [], "text", {"calls": "x"}])
def test_a_body_that_is_not_calls_is_400(org, client, staff_token, body):
    assert post(client, staff_token, body).status_code == 400


def test_who_may_push(org, client):
    seller_token = ApiToken.issue(org["ann"].user)[1]
    head_token = ApiToken.issue(make_head("head", [org["cold"]]))[1]
    admin_token = ApiToken.issue(make_admin("root"))[1]
    assert post(client, seller_token, CALL).status_code == 403
    assert post(client, head_token, CALL).status_code == 403
    assert post(client, admin_token, CALL).status_code == 200
    assert client.post(URL, data="{}", content_type="application/json").status_code == 401
    assert post(client, "sp_wrong", CALL).status_code == 401
    assert not CallLeg.objects.exclude(source__name="api").exists()


def test_get_is_not_allowed(org, client, staff_token):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {staff_token}")
    assert response.status_code == 405


def test_the_documented_10000_call_batch_is_taken(org, client, staff_token):
    """About 3 MiB: over Django's 2.5 MiB form limit, which used to refuse it with HTML."""
    batch = [
        CALL
        | {
            "id": f"cloud-{i}",
            "note": "x" * 200,
            "start": f"2026-02-03T{9 + i % 9:02d}:00:00+03:00",
        }
        for i in range(10_000)
    ]
    body = json.dumps(batch)
    assert len(body) > 2.5 * 2**20
    response = post(client, staff_token, batch)
    assert response.status_code == 200, response.content[:200]
    assert response.json()["imported"] == 10_000


def test_too_big_or_too_deep_is_answered_in_json(org, client, staff_token, settings):
    settings.SALESPULSE_API_MAX_BODY = 1000
    big = post(client, staff_token, [CALL] * 20)
    assert big.status_code == 413 and "MiB" in big.json()["error"]
    settings.SALESPULSE_API_MAX_BODY = 32 * 2**20
    deep = client.post(
        URL, data="[" * 100_000 + "]" * 100_000, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {staff_token}",
    )  # fmt: skip
    assert deep.status_code == 400 and deep.json() == {"error": "The JSON is nested too deeply"}


def test_text_no_database_holds_is_refused_by_row_not_a_500(org, client, staff_token):
    # Valid JSON escapes: NUL (PostgreSQL refuses it, in the import's record too) and a
    # lone surrogate (not UTF-8), where a reason quotes them.
    bad = CALL | {"id": "cloud-9", "start": "\u0000\ud800"}
    response = post(client, staff_token, [CALL, bad])
    assert response.status_code == 200, response.content
    assert [r["line"] for r in response.json()["rejected"]] == [2]
    assert CallLeg.objects.get().external_id == "cloud-1"


def test_an_item_that_is_not_an_object_is_refused_with_its_reason(org, client, staff_token):
    # Its row was a NUL sentinel, quoted in the reason: a 500 on PostgreSQL.
    response = post(client, staff_token, [0, CALL, ["x"]], HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["rows"], answer["imported"], answer["refused"]) == (3, 1, 2)
    assert answer["rejected"] == [
        {"line": 1, "reason": "A call must be a JSON object."},
        {"line": 3, "reason": "A call must be a JSON object."},
    ]
    assert post(client, staff_token, [None]).json()["rejected"][-1] == {
        "line": 1, "reason": "Звонок должен быть объектом JSON.",
    }  # fmt: skip
