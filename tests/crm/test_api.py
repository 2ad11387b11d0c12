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
