"""POST /api/v1/deals: token auth, batch upsert by id, permissions."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from salespulse.api.models import ApiToken
from salespulse.crm.models import Deal
from tests import factories
from tests.crm.helpers import facts


def post(client, token, payload):
    return client.post(
        "/api/v1/deals",
        data=payload if isinstance(payload, str) else json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}" if token else "",
    )


@pytest.fixture
def token(company):
    user = factories.make_user("bitrix-hook")
    user.user_permissions.add(Permission.objects.get(codename="add_deal"))
    return ApiToken.issue(user)[1]


DEAL = {
    "id": "B-1",
    "title": "Поставка",
    "stage": "WON",
    "amount": "150000.50",
    "seller": "Павел Волков",
    "client": {"name": "ООО «Альфа»"},
    "closed_at": "2026-02-03T12:00:00+03:00",
}


def test_one_deal_then_a_batch_upserted_by_id(client, token, company):
    response = post(client, token, DEAL)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    batch = {
        "source": "bitrix24-hook",
        "deals": [DEAL | {"amount": 1.1}, DEAL | {"id": "B-2", "seller": {"crm_id": "17"}}],
    }
    response = post(client, token, batch)
    assert response.json()["created"] == 2
    assert Deal.objects.get(source="bitrix24-hook", external_id="B-1").amount == Decimal("1.10")
    again = post(client, token, batch).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert facts(company["volkov"], "deals_sum") == {date(2026, 2, 3): Decimal("150001.60")}
    assert facts(company["lebedev"], "deals_sum") == {date(2026, 2, 3): Decimal("150000.50")}


def test_bad_deals_are_reported_by_position_and_good_ones_kept(client, token, company):
    response = post(client, token, [DEAL, {"id": "B-9"}, DEAL | {"id": "B-3", "amount": "x"}])
    body = response.json()
    assert response.status_code == 200 and body["created"] == 1
    assert [e["index"] for e in body["errors"]] == [2, 3]


@pytest.mark.parametrize("payload", ["not json", "[]", "42"])
def test_a_malformed_body_is_400(client, token, payload):
    assert post(client, token, payload).status_code == 400


def test_it_needs_a_token_and_the_permission(client, company):
    assert post(client, None, DEAL).status_code == 401
    plain = ApiToken.issue(factories.make_user("nobody"))[1]
    assert post(client, plain, DEAL).status_code == 403
    assert not Deal.objects.exists()


def test_json_nested_100000_deep_is_a_400_not_a_500(client, token):
    response = post(client, token, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json() == {"error": "The JSON is nested too deeply"}


BAD_DEALS = [
    ("17 digits", DEAL | {"id": "X-1", "amount": "12345678901234567"}),
    ("27 digits", DEAL | {"id": "X-2", "amount": "123456789012345678901234567"}),
    ("a JSON number of 30 digits", DEAL | {"id": "X-3", "amount": 10**30}),
    ("client list", DEAL | {"id": "X-4", "client": [1, 2]}),
    ("year 1", DEAL | {"id": "X-5", "closed_at": "0001-01-01"}),
    ("1900", DEAL | {"id": "X-6", "closed_at": "1900-05-01T10:00:00"}),
    ("2035", DEAL | {"id": "X-7", "closed_at": "2035-05-01"}),
    ("9999", DEAL | {"id": "X-8", "closed_at": "9999-12-31T23:59:59+03:00"}),
    ("repeat word", DEAL | {"id": "X-9", "repeat": "maybe"}),
    ("stage list", DEAL | {"id": "X-10", "stage": ["WON"]}),
    ("long id", DEAL | {"id": "Y" * 201}),
]


def test_bad_values_are_refused_by_row_and_the_good_deal_kept(client, token, company):
    """Each used to be a 500 that lost the whole batch, or was taken silently."""
    response = post(client, token, [DEAL, *(deal for _why, deal in BAD_DEALS)])
    body = response.json()
    assert response.status_code == 200, response.content[:300]
    assert body["created"] == 1
    assert [e["index"] for e in body["errors"]] == list(range(2, 2 + len(BAD_DEALS)))
    assert Deal.objects.count() == 1


def test_repeat_is_read_as_the_word_says(client, token, company):
    post(
        client, token, [DEAL | {"id": "R-1", "repeat": "no"}, DEAL | {"id": "R-2", "repeat": "да"}]
    )
    assert dict(Deal.objects.values_list("external_id", "crm_repeat")) == {
        "R-1": False, "R-2": True,
    }  # fmt: skip


def test_text_no_database_holds_is_stored_replaced_not_a_500(client, token, company):
    # Valid JSON escapes: NUL (PostgreSQL refuses it) and a lone surrogate (not UTF-8).
    body = json.dumps([DEAL | {"title": "a\u0000b", "client": {"name": "\ud800"}}])
    response = post(client, token, body)
    assert response.status_code == 200, response.content
    deal = Deal.objects.get(external_id="B-1")
    assert (deal.title, deal.client_key) == ("a\ufffdb", "\ufffd")
