from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.http import JsonResponse
from django.test import RequestFactory

from salespulse.api.auth import token_required
from salespulse.api.models import ApiToken

pytestmark = pytest.mark.django_db


@token_required
def whoami(request):
    return JsonResponse({"user": request.user.username})


def call(header=None):
    request = (
        RequestFactory().post("/api/v1/x", HTTP_AUTHORIZATION=header)
        if header
        else RequestFactory().post("/api/v1/x")
    )
    return whoami(request)


def test_a_token_created_by_the_cli_authenticates_and_only_its_hash_is_kept():
    User.objects.create(username="pbx")
    out = StringIO()
    call_command("token", "create", "pbx", "--name", "Asterisk", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("sp_")
    stored = ApiToken.objects.get()
    assert token not in (stored.token_hash, stored.prefix)
    response = call(f"Bearer {token}")
    assert response.status_code == 200 and b'"pbx"' in response.content
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer sp_wrong", "Basic abc"])
def test_no_or_a_wrong_token_is_401(header):
    assert call(header).status_code == 401


def test_an_inactive_user_token_is_401():
    user = User.objects.create(username="pbx", is_active=False)
    _obj, token = ApiToken.issue(user)
    assert call(f"Bearer {token}").status_code == 401


def test_token_for_an_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="Unknown user: nobody"):
        call_command("token", "create", "nobody")
