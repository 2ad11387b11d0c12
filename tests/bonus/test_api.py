"""`GET /api/v1/bonus`: the command's JSON rows for what the token's user may see."""

import pytest

from salespulse.api.models import ApiToken

pytestmark = pytest.mark.django_db
URL = "/api/v1/bonus"


def get(client, user, **query):
    _token, secret = ApiToken.issue(user)
    return client.get(URL, query, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_it_needs_a_token(client, org):
    assert client.get(URL).status_code == 401


def test_a_head_gets_their_department_s_rows(client, org):
    response = get(client, org["head"], scope="department:north", date="2026-11-11")
    assert response.status_code == 200
    data = response.json()
    assert data["month"] == "2026-11"
    ((row),) = data["rows"]
    assert (row["seller"], row["bonus"], row["total"], row["projected"]) == (
        "ann", "2500", "32500", "30000",
    )  # fmt: skip


def test_it_checks_ownership(client, org):
    ann, bob = org["ann"].user, org["bob"].user
    for user, scope in [
        (org["head"], "department:south"),
        (org["head"], "seller:bob"),
        (bob, "seller:ann"),
        (bob, "department:north"),
        (org["head"], "department:nowhere"),
    ]:
        assert get(client, user, scope=scope).status_code == 404, (user, scope)
    # "all" is what one may see: a seller their own row only.
    rows = get(client, ann, date="2026-11-11").json()["rows"]
    assert [r["seller"] for r in rows] == ["ann"]
    rows = get(client, org["director"], date="2026-11-11").json()["rows"]
    assert sorted(r["seller"] for r in rows) == ["ann", "bob"]
