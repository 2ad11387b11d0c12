"""Guessing passwords: a login or an address is locked after ten wrong ones, with a clear
page, the lock visible to admins; behind a proxy the client's own address counts."""

import pytest
from django.test import Client, RequestFactory

from salespulse.front.throttle import client_ip
from tests.factories import PASSWORD, make_department, make_seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 10
    return make_seller("ann", make_department("north", "Север"), "cold_caller")


def attempt(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_right_password_after_ten_wrong_ones_is_refused(seller):
    client = Client()
    for _ in range(9):
        assert attempt(client, "ann", "wrong").status_code == 200
    # The tenth wrong one locks the login.
    assert attempt(client, "ann", "wrong").status_code == 429
    locked = attempt(client, "ann", PASSWORD)
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.content.decode() or "Слишком много" in (
        locked.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_a_login_is_locked_from_every_address(seller):
    client = Client()
    for i in range(10):
        attempt(client, "ann", "wrong", ip=f"10.0.1.{i}")
    assert attempt(client, "ann", PASSWORD, ip="10.0.2.1").status_code == 429


def test_an_address_is_locked_for_every_login(seller):
    client = Client()
    for i in range(10):
        attempt(client, f"guess{i}", "wrong", ip="10.0.3.1")
    assert attempt(client, "ann", PASSWORD, ip="10.0.3.1").status_code == 429
    # Another address still logs in.
    assert attempt(Client(), "ann", PASSWORD, ip="10.0.3.2").status_code == 302


def test_a_good_login_resets_the_count(seller):
    client = Client()
    for _ in range(9):
        attempt(client, "ann", "wrong")
    assert attempt(client, "ann", PASSWORD).status_code == 302
    other = Client()
    for _ in range(9):
        attempt(other, "ann", "wrong")
    assert attempt(other, "ann", PASSWORD).status_code == 302


def test_admins_see_the_locks(seller, admin_client):
    for _ in range(10):
        attempt(Client(), "ann", "wrong")
    page = admin_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "ann" in page.content.decode()


def test_behind_a_proxy_the_clients_own_address_counts(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.2"
    )
    settings.SALESPULSE_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"
    settings.SALESPULSE_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.2"  # what our nginx saw; the rest is the client's word
    settings.SALESPULSE_PROXY_COUNT = 2
    assert client_ip(request) == "203.0.113.7"
