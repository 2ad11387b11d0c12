"""Changing a counting setting in the admin recounts the call figures, in the worker.

Each test saves a setting through the admin, checks that the figures have not moved
(the request only asks for a recount, and the head's board says one is running), runs
`salespulse worker`, and checks the figures against a fresh import of the same calls
under the new setting: a recount ends where counting from scratch would.
"""

import io
from datetime import datetime

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from salespulse.kpis import recount
from salespulse.kpis.models import DailyFact, Recount
from salespulse.telephony.importer import import_file
from salespulse.telephony.models import AgentAlias, CallLeg, CallSource, ConversationThreshold
from tests.factories import make_admin, make_head
from tests.telephony.conftest import EXPECTED, MSK, call_kpis, master_csv

pytestmark = pytest.mark.django_db

RECOUNTING = "Идёт пересчёт показателей…"


@pytest.fixture
def pbx(org):
    source = CallSource.objects.create(name="office", format="asterisk", timezone="Europe/Moscow")
    import_file(source, io.BytesIO(master_csv().encode()), file_name="Master.csv")
    return source


@pytest.fixture
def admin(client):
    client.force_login(make_admin("root"))
    return client


def figures(org) -> dict[str, dict[str, int]]:
    return {login: call_kpis(org[login]) for login in ("ann", "bob", "cat")}


@pytest.fixture
def board(org):
    """The head's board of the department, as the head sees it."""
    head = Client()
    head.force_login(make_head("head", [org["cold"]]))
    return lambda: head.get(reverse("department", args=["cold"])).content.decode()


def counted_afresh(org, source: CallSource) -> dict[str, dict[str, int]]:
    """What importing the same calls from scratch under the current settings gives."""
    CallLeg.objects.all().delete()
    DailyFact.objects.all().delete()
    source.refresh_from_db()
    import_file(source, io.BytesIO(master_csv().encode()), file_name="Master.csv")
    return figures(org)


def test_a_threshold_recounts_the_department_conversations(org, pbx, admin, board):
    assert figures(org) == EXPECTED
    response = admin.post(
        reverse("admin:telephony_conversationthreshold_add"),
        {"department": org["cold"].pk, "seconds": 40},
    )
    assert response.status_code == 302
    assert figures(org) == EXPECTED  # nothing in the request
    assert RECOUNTING in board()

    call_command("worker")

    after = figures(org)
    # ann talked 45 and 20 s, bob 70 and 40 s, cat 30 s: only more than 40 s counts.
    assert {login: f["conversations"] for login, f in after.items()} == {
        "ann": 1,
        "bob": 1,
        "cat": 0,
    }
    assert RECOUNTING not in board()
    assert Recount.objects.get().finished_at is not None
    assert after == counted_afresh(org, pbx)


def test_removing_a_threshold_recounts_by_the_default(org, pbx, admin):
    threshold = ConversationThreshold.objects.create(department=org["cold"], seconds=40)
    call_command("worker")  # nothing asked yet: the threshold was not set in the admin
    response = admin.post(
        reverse("admin:telephony_conversationthreshold_delete", args=[threshold.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 302
    call_command("worker")
    assert figures(org) == EXPECTED


def test_counted_directions_recount_the_days_of_the_source(org, pbx, admin, board):
    response = admin.post(
        reverse("admin:telephony_callsource_change", args=[pbx.pk]),
        {
            "name": "office",
            "format": "asterisk",
            "template": "",
            "mapping": "{}",
            "timezone": "Europe/Moscow",
            "directions": "outbound",
            "extension_pattern": r"\d{2,6}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert figures(org) == EXPECTED
    assert RECOUNTING in board()

    call_command("worker")

    after = figures(org)
    # Only ann dialled out (twice); the others only took calls.
    assert {login: f["calls"] for login, f in after.items()} == {"ann": 2, "bob": 0, "cat": 0}
    assert after == counted_afresh(org, pbx)


def test_an_agent_mapping_moves_past_calls_and_back(org, pbx, admin):
    response = admin.post(
        reverse("admin:telephony_agentalias_add"),
        {"source": "", "key": "101", "employee": org["bob"].pk},
    )
    assert response.status_code == 302
    assert figures(org) == EXPECTED

    call_command("worker")

    after = figures(org)
    # 101's calls are bob's now; ann had no other calls that day, so her day is empty.
    assert after["ann"] == {}
    assert after["bob"]["calls"] > EXPECTED["bob"]["calls"]
    assert after == counted_afresh(org, pbx)

    alias = AgentAlias.objects.get()
    admin.post(reverse("admin:telephony_agentalias_delete", args=[alias.pk]), {"post": "yes"})
    assert figures(org) == after
    call_command("worker")
    assert figures(org) == EXPECTED


def test_a_correction_beside_calls_that_moved_away_is_kept_against_zero(org, pbx, admin):
    from decimal import Decimal

    from salespulse.kpis.facts import set_reported_facts
    from tests.telephony.conftest import DAY

    set_reported_facts(org["ann"].pk, DAY, {"calls": Decimal(5)})
    AgentAlias.objects.create(key="101", employee=org["bob"])
    recount.request(Recount.Kind.AGENTS, {"sources": None})
    call_command("worker")
    fact = DailyFact.objects.get(employee=org["ann"], kpi__code="calls")
    assert (fact.value, fact.auto_value, fact.source) == (5, 0, "report")
    assert not DailyFact.objects.filter(employee=org["ann"]).exclude(kpi__code="calls").exists()


def test_a_changed_formula_shows_at_once_and_asks_for_no_recount(org, pbx):
    """Formulas are evaluated when figures are read: nothing of theirs is stored."""
    from salespulse.kpis.figures import load
    from salespulse.kpis.models import Kpi
    from salespulse.lib.periods import Period
    from tests.telephony.conftest import DAY

    def avg_talk():
        figures_ = load([org["bob"]], DAY, DAY, ["avg_talk_time"])
        return figures_.seller(org["bob"], "avg_talk_time", Period("day", DAY, DAY), DAY).fact

    assert avg_talk() == 55  # 110 s over 2 conversations
    kpi = Kpi.objects.get(code="avg_talk_time")
    kpi.formula = "talk_time / calls * 2"
    kpi.save()
    assert avg_talk() == 110
    assert not Recount.objects.exists()


def test_one_worker_claims_a_recount(org, pbx):
    job = recount.request(Recount.Kind.CALLS, {"departments": [org["cold"].pk]})
    # Asking again before a worker took it asks for nothing more.
    assert recount.request(Recount.Kind.CALLS, {"departments": [org["cold"].pk]}) == job
    now = datetime(2026, 2, 10, 12, 0, tzinfo=MSK)
    first = recount.claim(now)
    assert first is not None and first.pk == job.pk
    assert recount.claim(now) is None  # a second worker finds it taken
    # A worker that died an hour ago: its claim is taken over.
    assert recount.claim(now + recount.STALE * 2).pk == job.pk
    recount.run(first)
    assert recount.claim(now + recount.STALE * 3) is None
    assert not recount.recount_pending([org["cold"]])


def test_a_failed_recount_is_recorded_and_the_worker_goes_on(org, pbx):
    Recount.objects.create(kind="bogus", scope={})
    good = recount.request(Recount.Kind.CALLS, {"departments": [org["cold"].pk]})
    call_command("worker")
    failed = Recount.objects.get(kind="bogus")
    assert failed.finished_at is not None and "KeyError" in failed.error
    good.refresh_from_db()
    assert good.finished_at is not None and good.error == ""


def change_form_data(response) -> dict:
    """The POST data of an admin change page as it stands (its form and inline formsets)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, 0)
        for sub in formset.forms:
            for name, field in sub.fields.items():
                value = sub.initial.get(name, field.initial)
                if value is not None:
                    data[f"{sub.prefix}-{name}"] = value
    return {k: ("" if v is None else v) for k, v in data.items() if v is not False}


def test_a_new_extension_moves_the_sellers_past_calls(org, pbx, admin, board):
    url = reverse("admin:org_employee_change", args=[org["cat"].pk])
    data = change_form_data(admin.get(url))
    data["extension"] = "104"  # the unmapped agent who dialled out once
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert figures(org) == EXPECTED
    assert RECOUNTING in board()

    call_command("worker")

    after = figures(org)
    # cat's 103 calls are nobody's now; 104's outbound call is cat's.
    assert after["cat"] == {"calls": 1, "answered_calls": 1, "conversations": 1, "talk_time": 90}
    assert after == counted_afresh(org, pbx)
    assert RECOUNTING not in board()


def test_a_seller_moved_to_another_department_is_counted_by_its_threshold(org, pbx, admin):
    from tests.factories import make_department

    warm = make_department("warm", "Тёплые звонки")
    ConversationThreshold.objects.create(department=warm, seconds=40)
    url = reverse("admin:org_employee_change", args=[org["cat"].pk])
    data = change_form_data(admin.get(url))
    data["department"] = warm.pk
    assert admin.post(url, data).status_code == 302
    assert figures(org) == EXPECTED

    call_command("worker")

    # cat's one call had 30 s of talk: not more than 40.
    assert figures(org)["cat"]["conversations"] == 0
    assert figures(org) == counted_afresh(org, pbx)


def test_the_admin_lists_recounts_with_their_errors(org, admin):
    Recount.objects.create(kind="bogus", scope={}, reason="a test")
    call_command("worker")
    page = admin.get(reverse("admin:kpis_recount_changelist")).content.decode()
    assert "a test" in page and "KeyError" in page


def test_a_seller_added_on_the_command_line_gets_the_past_calls_of_their_extension(org, pbx):
    from salespulse.org.models import Employee

    call_command("seller", "add", "dan", "--name", "Дан Иванов", "--role", "cold_caller",
                 "--department", "cold", "--extension", "104")  # fmt: skip

    dan = Employee.objects.get(user__username="dan")
    assert call_kpis(dan) == {}
    call_command("worker")
    assert call_kpis(dan) == {"calls": 1, "answered_calls": 1, "conversations": 1,
                              "talk_time": 90}  # fmt: skip
