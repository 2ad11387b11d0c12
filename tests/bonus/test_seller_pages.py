"""The seller sees the bonus they are earning on My day and My month (and only their own)."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
# 11 November 2026, 12:00 in Moscow: the 10th is the last finished day (conftest).
NOON = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
NBSP = "\u00a0"


@pytest.fixture
def ann_client(client, org):
    client.login(username="ann", password=PASSWORD)
    return client


def text(response) -> str:
    return response.content.decode().replace("&nbsp;", NBSP)


@pytest.mark.parametrize("url", ["/reports/day/", "/reports/month/"])
def test_the_seller_sees_the_bonus_now_at_the_pace_and_the_next_step(ann_client, url):
    with time_machine.travel(NOON, tick=False), translation.override("ru"):
        page = text(ann_client.get(url, HTTP_ACCEPT_LANGUAGE="ru"))
    assert "Премия сейчас" in page and f"2{NBSP}500{NBSP}₽" in page
    assert "к концу месяца" in page and f"30{NBSP}000{NBSP}₽" in page
    assert f"Лиды: ещё 5 — +7{NBSP}500{NBSP}₽ (ступень 50{NBSP}%)" in page


def test_the_figures_are_the_same_as_the_month_s(ann_client):
    """The bonus reads the same cut-off as the KPI lines: closing today moves both."""
    with time_machine.travel(NOON, tick=False):
        page = ann_client.get("/reports/day/")
        (leads,) = [line for line in page.context["page"].lines if line.kpi.code == "leads"]
        bonus = page.context["page"].bonus
    assert leads.month.fact == bonus.components[0].fact == 15
    assert leads.month.plan == bonus.basis[0].plan == 40


def test_a_seller_without_a_scheme_sees_no_panel(client, org):
    from salespulse.bonus.models import Scheme

    Scheme.objects.all().delete()
    client.login(username="ann", password=PASSWORD)
    with time_machine.travel(NOON, tick=False):
        page = client.get("/reports/day/")
    assert page.status_code == 200 and 'class="bonus' not in page.content.decode()


def test_only_the_seller_and_their_heads_see_it(client, org):
    with time_machine.travel(NOON, tick=False):
        for outsider in ("bob", "south_head"):
            client.login(username=outsider, password=PASSWORD)
            assert client.get("/reports/sellers/ann/").status_code == 404
        client.login(username="north_head", password=PASSWORD)
        page = client.get("/reports/sellers/ann/")
    assert page.status_code == 200 and page.context["page"].bonus.bonus == 2500


def test_a_month_that_is_over_shows_its_bonus_without_a_pace(ann_client):
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False):
        page = ann_client.get("/reports/month/?month=2026-11")
    text = page.content.decode()
    assert page.context["page"].bonus.final
    assert "Премия за месяц" in text and "к концу месяца" not in text and "bonus-step" not in text
