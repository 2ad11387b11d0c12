"""Source health where people look: the head's board and a seller's My day."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from salespulse.sources import health
from salespulse.sources.models import Run, Source
from salespulse.telephony.importer import import_rows
from salespulse.telephony.models import CallSource
from tests.factories import make_head
from tests.telephony.conftest import MSK
from tests.telephony.test_views import login

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 2, 10, 15, 30, tzinfo=MSK)


def pbx(**fields) -> Source:
    defaults = dict(name="pbx", kind="asterisk-db", url="sqlite:///x.db",
                    timezone="Europe/Moscow", status="ok", calls_per_hour=40.0,
                    watermark="2026-02-10 14:05:00", last_success_at=TUESDAY)  # fmt: skip
    return Source.objects.create(**(defaults | fields))


def board(client, org) -> str:
    login(client, make_head("head", [org["cold"]]))
    return client.get(reverse("department", args=["cold"])).content.decode()


def test_the_board_says_when_telephony_has_been_silent_in_working_hours(org, client):
    pbx()
    with time_machine.travel(TUESDAY, tick=False):
        page = board(client, org)
    assert "Телефония молчит с 14:05: обычно ~40 звонков в час" in page


def test_no_line_when_calls_keep_coming_or_outside_working_hours(org, client):
    source = pbx()
    with time_machine.travel(TUESDAY.replace(hour=14, minute=20), tick=False):
        assert health.alerts() == []  # 15 minutes without a call is normal at 40 an hour
    with time_machine.travel(TUESDAY.replace(hour=20), tick=False):
        assert health.alerts() == []
    Source.objects.filter(pk=source.pk).update(calls_per_hour=1)
    with time_machine.travel(TUESDAY, tick=False):
        assert health.alerts() == []  # a thin line is not judged
        assert "молчит" not in board(client, org)


def test_the_board_says_when_a_source_has_been_failing(org, client):
    pbx(status="failing", last_error="Сервер базы данных недоступен: timed out",
        last_success_at=TUESDAY - timedelta(minutes=40))  # fmt: skip
    with time_machine.travel(TUESDAY, tick=False):
        page = board(client, org)
    assert "Телефония не синхронизируется с 14:50: Сервер базы данных недоступен" in page


def test_the_usual_rate_comes_from_scheduled_syncs_in_working_hours(db):
    source = pbx(calls_per_hour=0)
    start = TUESDAY.replace(hour=10)
    for i in range(13):  # the first is the backfill and is left out
        Run.objects.create(kind="sync", trigger="schedule", status="done", source=source,
                           started_at=start + timedelta(minutes=5 * i),
                           counts={"calls": 500 if i == 0 else 4})  # fmt: skip
    Run.objects.create(kind="sync", trigger="schedule", status="done", source=source,
                       started_at=start.replace(hour=22), counts={"calls": 100})  # fmt: skip
    assert health.usual_rate(source, start + timedelta(hours=2)) == 48.0


def test_my_day_says_when_the_call_figures_were_last_updated(org, client):
    calls = CallSource.objects.create(name="pbx", format="csv", timezone="Europe/Moscow")
    pbx(calls=calls, last_success_at=datetime(2026, 2, 10, 11, 55, tzinfo=MSK))
    rows = [(0, ["start", "agent", "duration", "billsec", "direction"]),
            (1, ["2026-02-10 10:00:00", "101", "60", "45", "out"])]  # fmt: skip
    import_rows(calls, rows)
    login(client, org["ann"].user)
    with time_machine.travel(TUESDAY.replace(hour=12), tick=False):
        page = client.get(reverse("reports:day")).content.decode()
    assert "Данные о звонках обновлены 10.02.2026 11:55" in page
    login(client, org["bob"].user)  # no calls of his: nothing said
    with time_machine.travel(TUESDAY.replace(hour=12), tick=False):
        assert "Данные о звонках" not in client.get(reverse("reports:day")).content.decode()
