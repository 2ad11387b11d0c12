"""A login lasts 30 days from the last day it was used, renewed once a day, not on every
page (each renewal is a database write)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import make_department, make_seller

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def seller():
    return make_seller("ann", make_department("north", "Север"), "cold_caller")


def expiry(client) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_seller_who_comes_every_day_stays_logged_in_past_30_days(seller):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(seller.user)
        for _ in range(40):
            traveller.shift(timedelta(days=1))
            response = client.get("/reports/day/")
            assert response.status_code == 200
            assert response.cookies["sessionid"]["max-age"] == 30 * 24 * 3600
        assert expiry(client) == START + timedelta(days=40 + 30)


def test_a_login_unused_for_30_days_has_ended(seller):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(seller.user)
        client.get("/reports/day/")
        traveller.shift(timedelta(days=30, minutes=1))
        response = client.get("/reports/day/")
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_the_session_is_written_once_a_day_not_on_every_page(seller):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(seller.user)
        client.get("/reports/day/")
        traveller.shift(timedelta(hours=3))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/reports/day/")
        assert "sessionid" not in response.cookies
        assert not [q for q in ctx.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
        assert expiry(client) == START + timedelta(days=30)
        traveller.shift(timedelta(days=1))
        assert "sessionid" in client.get("/reports/day/").cookies


def test_the_page_after_logging_in_writes_no_session(seller):
    client = Client()
    client.force_login(seller.user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/reports/day/")
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert not [q for q in ctx.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
