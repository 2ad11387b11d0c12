"""The amoCRM connector against a local amoCRM (tests.fake_amocrm): syncs, webhooks,
failures, and the same outcomes as an amoCRM export file."""

import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from salespulse.crm.files import import_file
from salespulse.crm.models import Deal, Stage
from salespulse.kpis.facts import set_reported_facts, withdraw_reported_facts
from salespulse.kpis.models import DailyFact
from salespulse.sources import health, runner
from salespulse.sources.connectors import amocrm as connector
from salespulse.sources.models import Run, Source
from tests import factories
from tests.crm.conftest import company  # noqa: F401
from tests.crm.exports import D, amocrm_csv
from tests.crm.helpers import facts
from tests.fake_amocrm import FakeAmo, user
from tests.lib.test_amocrm import STATUS_BODY
from tests.telephony.test_views import login

pytestmark = pytest.mark.django_db

VOLKOV, LEBEDEV, SMIRNOVA = 7, 17, 9
# 26.02.2026 21:06:40 UTC: the 27th in Moscow (Волков), the 27th in Novosibirsk (Лебедев)
LATE = 1772140000
NOON = 1772100000  # 26.02.2026 10:00 UTC


@pytest.fixture
def amo():
    fake = FakeAmo()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def source(amo, company, tmp_path):  # noqa: F811
    token = tmp_path / "amo.token"
    token.write_text(amo.token + "\n")
    volkov = company["volkov"].user
    volkov.email = "p.volkov@romashka.ru"
    volkov.save()
    amo.users = [
        user(VOLKOV, "Паша Волков", "P.Volkov@romashka.ru"),  # by e-mail
        user(LEBEDEV, "Лебедев", ""),  # by the CRM id on the employee
        user(SMIRNOVA, "Ольга Смирнова", "o.smirnova@romashka.ru"),  # nobody yet
    ]
    amo.companies = {5: "ООО «Альфа»"}
    amo.contacts = {6: "Пётр Иванов"}
    return Source.objects.create(
        name="amo", kind="amocrm", url=amo.url, token_file=str(token),
        last_attempt_at=timezone.now(),  # the worker's schedule leaves it to the test
    )  # fmt: skip


def sync(source, sleep=None) -> Run:
    """A sync as the worker runs it, its waits recorded instead of slept."""
    run = runner.claim(runner.queue_sync(source, Run.Trigger.CLI).pk)
    connector.sync(run, lambda rows: None, sleep=sleep or (lambda seconds: None))
    run.status = Run.Status.FAILED if run.error else Run.Status.DONE
    run.save()
    source.refresh_from_db()
    return run


def deals():
    return {
        d.external_id: (d.stage, d.status, d.amount, d.employee.user.username)
        for d in Deal.objects.filter(source="amocrm").select_related("employee__user")
    }


def history(amo):
    amo.lead(101, user=VOLKOV, status=142, price=150000, closed=LATE, company=5)
    amo.lead(102, user=LEBEDEV, status=142, pipeline=3002, price=50000, closed=NOON, contact=6)
    amo.lead(103, user=VOLKOV, status=143, price=9000, closed=NOON)
    amo.lead(104, user=VOLKOV, status=40002, price=None)
    amo.lead(105, user=SMIRNOVA, status=142, price=70000, closed=NOON)


def test_a_sync_reads_every_page_and_a_quiet_one_is_two_requests(amo, source, company):  # noqa: F811
    amo.page_size = 2
    history(amo)
    run = sync(source)
    assert run.status == "done", run.error
    assert run.counts == {"rows": 5, "created": 4, "updated": 0, "unchanged": 0, "deleted": 0,
                          "refused": 1}  # fmt: skip
    assert deals() == {
        "101": ("Оплачено", "won", Decimal("150000.00"), "volkov"),
        "102": ("Контракт подписан", "won", Decimal("50000.00"), "lebedev"),
        "103": ("Отказ клиента", "lost", Decimal("9000.00"), "volkov"),
        "104": ("Переговоры", "open", Decimal("0.00"), "volkov"),
    }
    clients = dict(Deal.objects.values_list("external_id", "client__name"))
    assert clients["101"] == "ООО «Альфа»" and clients["102"] == "Пётр Иванов"
    assert facts(company["volkov"], "deals_sum") == {date(2026, 2, 27): Decimal(150000)}
    assert facts(company["lebedev"], "deals_count") == {date(2026, 2, 26): 1}
    stages = {s.name: (s.kind, s.confirmed) for s in Stage.objects.filter(source="amocrm")}
    assert stages["Контракт подписан"] == ("won", True)
    assert stages["Отказ клиента"] == ("lost", True)
    assert stages["Переговоры"] == ("in_progress", False)  # the admin's to map
    # The one user matching nobody is listed with their deals, and on the Sources page.
    assert "Ольга Смирнова" in run.rejected[0]["reason"] and run.rejected[0]["line"] == 0
    assert source.options["unmatched"]["9"]["leads"] == ["105"]
    assert "Ольга Смирнова (id 9): 1 deal" in health.describe(source)["unmatched"]
    pages = amo.calls("/api/v4/leads")
    assert [q["page"] for q in pages] == [["1"], ["2"], ["3"]]
    assert pages[0]["with"] == ["contacts,companies"] and pages[0]["limit"] == ["250"]
    assert "filter[updated_at][from]" not in pages[0]
    assert len(amo.calls("/api/v4/companies")) == 1
    assert source.status == "ok" and source.watermark == str(amo.now)

    amo.requests.clear()
    quiet = sync(source)
    # One request for the leads (from the watermark's second: its lead, read before, is
    # left out) and one for those deleted (204).
    assert [p for p, _q in amo.requests] == ["/api/v4/leads", "/api/v4/events"]
    assert amo.requests[0][1]["filter[updated_at][from]"] == [str(amo.now)]
    assert quiet.status == "done" and quiet.counts["rows"] == 0 and quiet.crm_import is None

    # Read again from the start, nothing changes.
    Source.objects.filter(pk=source.pk).update(watermark="")
    source.refresh_from_db()
    again = sync(source)
    assert again.counts["unchanged"] == 4 and again.counts["created"] == 0
    assert again.counts["updated"] == 0
    assert deals()["101"][1] == "won"


def test_leads_changed_while_the_pages_are_read_are_not_skipped(amo, source):
    amo.page_size = 2
    for i in range(1, 7):
        amo.lead(200 + i, user=VOLKOV, status=40001)
    # After the first page, the oldest lead (on the last page) is won: newest first, it
    # moves to the first page and the ones after it shift back; none is skipped (oldest
    # first, 203 would have moved to the page already read, and been lost).
    amo.meanwhile[1] = lambda: amo.lead(201, user=VOLKOV, status=142, closed=NOON)
    run = sync(source)
    assert run.counts["created"] == 5 and set(deals()) == {str(200 + i) for i in range(2, 7)}
    sync(source)  # the lead that changed comes with the next sync
    assert deals()["201"][1] == "won" and len(deals()) == 6


def test_amocrm_asking_to_slow_down_is_waited_out(amo, source):
    history(amo)
    amo.throttle = ["3", None, "0"]
    waits = []
    run = sync(source, sleep=waits.append)
    assert run.status == "done" and run.counts["created"] == 4
    assert [w for w in waits if w >= 0.5] == [3.0, 2.0]  # Retry-After, then backing off
    assert all(w <= 1 / 7 + 0.01 for w in waits if w < 0.5)  # the pace of 7 a second


def test_a_refused_token_marks_the_source_and_the_head_sees_it(amo, source, company, client):  # noqa: F811
    amo.token = "revoked"
    with translation.override("ru"):
        run = sync(source)
    assert run.status == "failed" and "Токен доступа отозван или неверен" in run.error
    assert source.status == "no-access" and "401" in source.last_error
    with translation.override("ru"):
        lines = health.alerts()
    assert len(lines) == 1 and "нет доступа" in lines[0] and "(amo)" in lines[0]
    login(client, company["head_sales"])
    board = client.get(reverse("department", args=["sales"]), HTTP_ACCEPT_LANGUAGE="ru")
    assert "нет доступа" in board.content.decode()
    login(client, factories.make_admin("root"))
    page = client.get(reverse("sources"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "нет доступа" in page and "Токен доступа отозван" in page
    assert amo.token not in page
    # A token file gone is no access too, said before asking amoCRM.
    Source.objects.filter(pk=source.pk).update(token_file="/nonexistent/amo.token")
    source.refresh_from_db()
    assert sync(source).status == "failed" and source.status == "no-access"
    # Once the token is right again the source works and the line goes.
    Source.objects.filter(pk=source.pk).update(token_file="", token_env="AMO_TEST_TOKEN")
    source.refresh_from_db()
    import os

    os.environ["AMO_TEST_TOKEN"] = "revoked"
    try:
        assert sync(source).status == "done" and source.status == "ok"
    finally:
        del os.environ["AMO_TEST_TOKEN"]
    assert health.alerts() == []


def post_hook(client, source, body: str):
    url = reverse("source-hook", args=[source.pk, source.hook_key])
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def test_webhooks_move_deals_out_of_won_and_delete_them(amo, source, company, client):  # noqa: F811
    history(amo)
    sync(source)
    volkov, lebedev = company["volkov"], company["lebedev"]
    day = date(2026, 2, 27)
    assert facts(volkov, "deals_count") == {day: 1}
    set_reported_facts(volkov.pk, day, {"deals_count": Decimal(3)})  # the seller's correction

    amo.lead(101, user=VOLKOV, status=40002, price=150000, closed=None, company=5)
    body = STATUS_BODY.replace("25399013", "101").replace("romashka", "x")
    answer = post_hook(client, source, body)
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    (push,) = Run.objects.filter(kind="crm-push")
    assert push.status == "queued" and push.params == {"changed": ["101"], "deleted": []}
    runner.run_due()
    push.refresh_from_db()
    assert push.status == "done" and push.counts["updated"] == 1, push.error
    assert deals()["101"][1] == "open"
    assert facts(volkov, "deals_sum") == {}  # left the seller's figures
    cell = DailyFact.objects.get(employee=volkov, kpi__code="deals_count", day=day)
    assert (cell.value, cell.auto_value) == (3, 0)  # the typed figure still wins
    withdraw_reported_facts(volkov.pk, day, ["deals_count"])
    assert facts(volkov, "deals_count") == {day: 0}  # what the deals say again

    # Deleted in amoCRM: gone from the figures. A "delete" whose lead amoCRM still has
    # (a body cut inside the id) deletes nothing.
    amo.delete(102)
    body = "leads[delete][0][id]=102&leads[delete][0][status_id]=142&leads[delete][1][id]=10"
    amo.lead(10, user=VOLKOV, status=40001)
    assert post_hook(client, source, body + "&account[id]=29000000").status_code == 200
    runner.run_due()
    run = Run.objects.filter(kind="crm-push").latest("pk")
    assert run.status == "done" and run.counts["deleted"] == 1
    assert "102" not in deals() and "10" in deals()
    assert facts(lebedev, "deals_count") == {}


def test_the_webhook_address_is_the_secret_and_answers_at_once(amo, source, client):
    url = reverse("source-hook", args=[source.pk, "wrong"])
    assert client.post(url, "leads[add][0][id]=1", content_type="x").status_code == 404
    assert client.get(reverse("source-hook", args=[source.pk, source.hook_key])).status_code == 405
    cut = STATUS_BODY[: STATUS_BODY.index("old_status_id") + 5]
    assert post_hook(client, source, cut).status_code == 200
    assert Run.objects.get(kind="crm-push").params["changed"] == ["25399013"]
    assert post_hook(client, source, "account[subdomain]=romashka").status_code == 200
    assert post_hook(client, source, "\x00leads[[[=&&=").status_code == 200
    assert Run.objects.filter(kind="crm-push").count() == 1
    # Another account's hook, sent to a source on amoCRM's own host, is refused.
    Source.objects.filter(pk=source.pk).update(url="https://romashka.amocrm.ru")
    source.refresh_from_db()
    assert post_hook(client, source, STATUS_BODY.replace("romashka", "other")).status_code == 403
    assert post_hook(client, source, STATUS_BODY).status_code == 200


def test_a_pulled_lead_and_the_same_lead_in_an_export_are_one_deal(amo, source, company):  # noqa: F811
    export = amocrm_csv(
        [D("101", "Павел Волков", "Успешно реализовано", Decimal("150000"),
           "27.02.2026 00:06:40", company="ООО «Альфа»"),
         # A renamed won status in a file is a guess ("in progress") until the API says.
         D("107", "Павел Волков", "Контракт подписан", Decimal("5000"), "20.02.2026 12:00:00")]
    )  # fmt: skip
    result = import_file(io.BytesIO(export), fmt="amocrm")
    assert result.created == 2 and result.source == "amocrm"
    assert result.new_stages == ["Контракт подписан"]
    amo.lead(101, user=VOLKOV, status=142, price=150000, closed=LATE, company=5)
    run = sync(source)
    assert run.counts["created"] == 0 and run.counts["updated"] == 1
    assert Deal.objects.filter(external_id="101").count() == 1
    assert deals()["107"][1] == "won"
    assert facts(company["volkov"], "deals_count") == {
        date(2026, 2, 27): 1, date(2026, 2, 20): 1,
    }  # fmt: skip
    assert facts(company["volkov"], "deals_sum")[date(2026, 2, 27)] == Decimal(150000)


def test_a_user_matched_later_gets_their_deals_without_a_full_sync(amo, source, company):  # noqa: F811
    history(amo)
    amo.lead(106, user=SMIRNOVA, status=40001)
    sync(source)
    assert "105" not in deals()
    assert sorted(source.options["unmatched"]["9"]["leads"]) == ["105", "106"]
    amo.delete(106)
    factories.make_seller("smirnova", company["sales"], first_name="Ольга", last_name="Смирнова")
    amo.requests.clear()
    run = sync(source)
    assert run.counts["created"] == 1 and deals()["105"][3] == "smirnova"
    leads = amo.calls("/api/v4/leads")
    assert sorted(leads[1]["filter[id][]"]) == ["105", "106"]
    assert source.options["unmatched"] == {}  # 106, gone meanwhile, is not asked for again
    amo.requests.clear()
    sync(source)
    assert [p for p, _q in amo.requests] == ["/api/v4/leads", "/api/v4/events"]


def test_the_cli_adds_tests_and_syncs_an_amocrm_source(amo, company, tmp_path):  # noqa: F811
    token = tmp_path / "token"
    token.write_text(amo.token)
    amo.users = [user(LEBEDEV, "Андрей Лебедев", "")]
    amo.lead(102, user=LEBEDEV, status=142, pipeline=3002, price=50000, closed=NOON)
    out = io.StringIO()
    call_command("source", "add", "amo", "--kind", "amocrm", "--url", amo.url,
                 "--token-file", str(token), stdout=out)  # fmt: skip
    source = Source.objects.get(name="amo")
    assert f"/sources/hooks/{source.pk}/{source.hook_key}/" in out.getvalue()
    out = io.StringIO()
    call_command("source", "test", "amo", stdout=out)
    assert "ООО «Ромашка»" in out.getvalue() and "2" in out.getvalue()
    out = io.StringIO()
    call_command("sync", "amo", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())["sources"]
    assert row["status"] == "done" and row["error"] == "" and row["created"] == 1
    listing = io.StringIO()
    call_command("source", "list", "--json", stdout=listing)
    assert amo.token not in listing.getvalue()


def test_sync_now_on_the_sources_page_is_for_those_who_bring_data_in(amo, source, company, client):  # noqa: F811
    url = reverse("source-sync", args=[source.pk])
    login(client, company["head_sales"])
    assert client.post(url).status_code == 403
    login(client, factories.make_admin("root"))
    answer = client.post(url)
    run = Run.objects.get(kind="sync")
    assert answer.status_code == 302 and answer["Location"] == reverse("source-run", args=[run.pk])
    assert run.status == "queued"  # for the worker
    history(amo)
    runner.run_now(run)
    page = client.get(reverse("source-run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="ru")
    text = page.content.decode()
    assert "Пользователь amoCRM Ольга Смирнова (o.smirnova@romashka.ru, id 9)" in text
    run.refresh_from_db()
    assert reverse("crm-import-result", args=[run.crm_import_id]) in text
    assert client.get(reverse("crm-import-result", args=[run.crm_import_id])).status_code == 200


def test_one_amocrm_sync_of_many_leads_stays_quick(amo, source, company):  # noqa: F811
    for i in range(600):
        amo.lead(1000 + i, user=VOLKOV, status=142 if i % 3 else 40002, price=1000 + i,
                 closed=NOON + 60 * i, company=5)  # fmt: skip
    started = datetime.now()
    run = sync(source)
    assert run.counts["created"] == 600
    assert len(amo.calls("/api/v4/leads")) == 3 and len(amo.calls("/api/v4/companies")) == 1
    assert (datetime.now() - started).total_seconds() < 30


def test_a_crm_failing_for_a_quarter_of_an_hour_is_on_the_board(amo, source):
    Source.objects.filter(pk=source.pk).update(
        status="failing", last_error="CRM недоступна: timed out",
        last_success_at=timezone.now() - timedelta(minutes=20),
    )  # fmt: skip
    with translation.override("ru"):
        (line,) = health.alerts()
    assert line.startswith("amoCRM (amo) не синхронизируется с ") and "timed out" in line
    Source.objects.filter(pk=source.pk).update(last_success_at=timezone.now())
    assert health.alerts() == []


def test_an_admin_adds_an_amocrm_source_on_the_sources_page(amo, company, client, tmp_path):  # noqa: F811
    form = {"name": "amo", "kind": "amocrm", "url": amo.url, "timezone": "Europe/Moscow",
            "every_minutes": 5, "enabled": "on", "currency": "RUB"}  # fmt: skip
    login(client, company["head_sales"])
    assert client.post(reverse("sources"), form).status_code == 403
    login(client, factories.make_admin("root"))
    page = client.post(reverse("sources"), form, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "amoCRM нужен долгосрочный токен" in page and not Source.objects.exists()
    answer = client.post(reverse("sources"), form | {"token_file": str(tmp_path / "t")})
    assert answer.status_code == 302
    assert Source.objects.get(name="amo").token_file == str(tmp_path / "t")
