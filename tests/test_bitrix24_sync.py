"""Bitrix24 end to end: `source add` and `sync` against a local portal, the outgoing
webhook's pushes through the worker, and the same outcomes as a file export."""

import io
import json
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from salespulse.crm.files import import_file
from salespulse.crm.models import Deal, Stage
from salespulse.kpis.models import DailyFact
from salespulse.sources import health
from salespulse.sources.models import Run, Source
from tests.crm import conftest
from tests.crm.exports import D, bitrix24_csv
from tests.crm.helpers import facts
from tests.factories import make_admin
from tests.fake_bitrix24 import Server
from tests.telephony.test_views import login

pytestmark = pytest.mark.django_db
company = conftest.company  # the CRM tests' people, with Lebedev known to the CRM as 17

C8 = [("NEW", "Заявка", None), ("INVOICE", "Счёт выставлен", None),
      ("WON", "Первая оплата получена", "S"), ("LOSE", "Не оплатил", "F"),
      ("REFUSED", "Отказ после счёта", "F")]  # fmt: skip


@pytest.fixture
def portal(company):
    """Volkov (matched by e-mail), Lebedev (by CRM id 17), Novikova (by name), and a
    user nobody here is."""
    company["volkov"].user.email = "p.volkov@example.ru"
    company["volkov"].user.save()
    with Server() as server:
        p = server.portal
        p.add_pipeline(8, "Подписки", C8)
        p.add_user(5, "Паша", "Волков", "P.Volkov@example.ru")
        p.add_user(17, "Андрей", "Лебедев")
        p.add_user(23, "Елена", "Новикова")
        p.add_user(40, "Стажёр", "Временный", "intern@example.ru")
        p.add_company(3, "ООО «Альфа»")
        p.add_contact(9, "Иван", "Петров")
        p.put_deal(
            101,
            user=5,
            stage="WON",
            amount="150000.00",
            company=3,
            moved="2026-02-03T12:00:00+03:00",
        )
        p.put_deal(
            102,
            user=5,
            stage="C8:WON",
            amount="1234567.89",
            contact=9,
            moved="2026-02-03T18:30:00+03:00",
        )
        p.put_deal(
            103, user=5, stage="PREPARATION", amount="90000.00", moved="2026-02-04T10:00:00+03:00"
        )
        p.put_deal(
            104, user=5, stage="C8:REFUSED", amount="50000.00", moved="2026-02-04T11:00:00+03:00"
        )
        # Novosibirsk is four hours ahead of Moscow: 22:30 in Moscow is the next day there.
        p.put_deal(105, user=17, stage="WON", amount="70000.00", moved="2026-02-05T22:30:00+03:00")
        p.put_deal(
            106,
            user=23,
            stage="WON",
            amount="5000.00",
            repeat=True,
            company=3,
            moved="2026-02-06T10:00:00+03:00",
        )
        p.put_deal(107, user=40, stage="WON", amount="1000.00", moved="2026-02-06T11:00:00+03:00")
        p.put_deal(108, user=40, stage="NEW", moved="2026-02-06T12:00:00+03:00")
        yield server  # fmt: skip


def add(server, *extra) -> Source:
    call_command("source", "add", "b24", "--kind", "bitrix24", "--url", server.url, *extra,
                 stdout=io.StringIO())  # fmt: skip
    source = Source.objects.get(name="b24")
    source.options = {"rate": 100}  # a box edition without the cloud's limit: tests do not wait
    source.save()
    return source


def sync() -> dict:
    out = io.StringIO()
    try:
        call_command("sync", "b24", "--json", stdout=out)
    except SystemExit:
        pass
    return json.loads(out.getvalue())["sources"][0]


def test_deals_are_pulled_and_won_ones_counted_by_the_stage_semantics(company, portal):
    source = add(portal)
    row = sync()
    assert (row["status"], row["error"], row["imported"]) == ("done", "", 6)
    volkov, lebedev, novikova = company["volkov"], company["lebedev"], company["novikova"]
    assert facts(volkov, "deals_count") == {date(2026, 2, 3): 2}
    assert facts(volkov, "deals_sum") == {date(2026, 2, 3): Decimal("1384567.89")}
    assert facts(lebedev, "deals_sum") == {date(2026, 2, 6): Decimal("70000")}
    deals = {d.external_id: d for d in Deal.objects.filter(source="bitrix24")}
    statuses = {i: d.status for i, d in deals.items()}
    assert statuses == {"101": "won", "102": "won", "103": "open", "104": "lost", "105": "won",
                        "106": "won"}  # fmt: skip
    assert deals["102"].stage == "Первая оплата получена"
    assert (deals["101"].client.name, deals["102"].client.name) == ("ООО «Альфа»", "Иван Петров")
    assert deals["106"].crm_repeat and deals["106"].employee == novikova
    kinds = dict(Stage.objects.filter(source="bitrix24").values_list("name", "kind"))
    assert kinds["Первая оплата получена"] == "won" and kinds["Отказ после счёта"] == "lost"
    source.refresh_from_db()
    assert (source.status, source.watermark) == ("ok", "2026-02-06T12:00:00+03:00")
    # The intern is nobody here: their two deals wait, listed with the count.
    assert source.options["unmatched"] == {
        "40": {"name": "Стажёр Временный", "email": "intern@example.ru", "deals": 2}
    }
    run = Run.objects.get(kind="sync")
    assert run.counts["refused"] == 2 and "Стажёр Временный" in run.rejected[0]["reason"]
    out = io.StringIO()
    call_command("source", "test", "b24", stdout=out)
    assert (
        "сделок 8, воронок 2" in out.getvalue()
        and "Стажёр Временный (id 40): 2 сделки" in out.getvalue()
    )


def test_a_quiet_resync_is_one_request_and_changes_nothing(company, portal):
    add(portal)
    sync()
    before = list(DailyFact.objects.order_by("pk").values_list("pk", "value"))
    asked = portal.portal.requests
    row = sync()
    assert portal.portal.requests - asked == 1
    assert row["imported"] == 0
    assert list(DailyFact.objects.order_by("pk").values_list("pk", "value")) == before


def test_a_deal_moved_out_of_won_or_deleted_leaves_the_figures_and_a_typed_one_stays(
    company, portal, client
):
    from salespulse.kpis.facts import set_reported_facts

    source = add(portal, "--app-token", "tok-123")
    sync()
    volkov, lebedev = company["volkov"], company["lebedev"]
    set_reported_facts(volkov.pk, date(2026, 2, 3), {"deals_count": Decimal(5)})
    p = portal.portal
    p.put_deal(101, user=5, stage="LOSE", amount="150000.00", company=3,
               moved="2026-02-03T12:00:00+03:00", modified="2026-02-07T09:00:00+03:00")  # fmt: skip
    sync()
    assert facts(volkov, "deals_sum") == {date(2026, 2, 3): Decimal("1234567.89")}
    fact = DailyFact.objects.get(employee=volkov, kpi__code="deals_count")
    assert (fact.value, fact.auto_value, fact.source) == (5, 1, "report")  # the seller's wins
    # Deleted in the portal: the outgoing webhook says so, the worker forgets it.
    del p.deals[105]
    url = reverse("source-hook", args=[source.pk, source.hook_key])
    body = {"event": "ONCRMDEALDELETE", "data[FIELDS][ID]": "105", "ts": "1770000000",
            "auth[domain]": "portal.bitrix24.ru", "auth[member_id]": "abc",
            "auth[application_token]": "tok-123"}  # fmt: skip
    assert post(client, url, body).status_code == 200
    _work()
    assert facts(lebedev, "deals_sum") == {}
    assert not Deal.objects.filter(external_id="105").exists()


def post(client, url: str, body: dict):
    """An event as Bitrix24 posts it: application/x-www-form-urlencoded, brackets and all."""
    return client.post(url, urlencode(body), content_type="application/x-www-form-urlencoded")


def _work() -> None:
    from salespulse.sources import runner

    for run in runner.run_due():
        assert run.status == "done", run.error


def test_a_pushed_deal_is_fetched_by_the_worker_and_a_wrong_token_refused(company, portal, client):
    source = add(portal)
    call_command("source", "set", "b24", "--app-token", "tok-123", stdout=io.StringIO())
    url = reverse("source-hook", args=[source.pk, source.hook_key])
    body = {"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "102", "ts": "1770000000",
            "auth[domain]": "portal.bitrix24.ru", "auth[application_token]": "nope"}  # fmt: skip
    assert post(client, url, body).status_code == 403
    assert not Run.objects.exists()
    body["auth[application_token]"] = "tok-123"
    response = post(client, url, body)
    assert response.status_code == 200
    run = Run.objects.get()
    assert (run.kind, run.params) == ("crm-push", {"changed": ["102"], "deleted": []})
    Source.objects.filter(pk=source.pk).update(enabled=False)  # no scheduled sync beside it
    _work()
    Source.objects.filter(pk=source.pk).update(enabled=True)
    assert list(Deal.objects.values_list("external_id", "status")) == [("102", "won")]
    assert facts(company["volkov"], "deals_sum") == {date(2026, 2, 3): Decimal("1234567.89")}
    # A burst of events is read by one run in one batch, not deal by deal.
    for event, deal in [("ONCRMDEALADD", "101"), ("ONCRMDEALUPDATE", "105"),
                        ("ONCRMDEALDELETE", "102"), ("ONCRMDEALUPDATE", "101")]:  # fmt: skip
        if event == "ONCRMDEALDELETE":
            del portal.portal.deals[int(deal)]
        assert (
            post(client, url, body | {"event": event, "data[FIELDS][ID]": deal}).status_code == 200
        )
    asked = portal.portal.requests
    Source.objects.filter(pk=source.pk).update(enabled=False)
    _work()
    assert portal.portal.requests - asked == 2  # deals with pipelines and users, then clients
    runs = Run.objects.filter(kind="crm-push").order_by("pk")
    assert [r.counts.get("merged_into") for r in runs][1:] == [
        None,
        runs[1].pk,
        runs[1].pk,
        runs[1].pk,
    ]
    assert runs[1].params == {"changed": ["101", "105"], "deleted": ["102"]}
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == ["101", "105"]
    assert facts(company["volkov"], "deals_sum") == {date(2026, 2, 3): Decimal("150000")}
    assert post(client, url.replace(source.hook_key, "x" * 32), body).status_code == 404
    # Pushes bring news, not a sync's sweep: the next scheduled sync is not put off.
    source.refresh_from_db()
    assert source.last_attempt_at is None and source.last_success_at is not None


def test_a_pulled_deal_and_the_same_deal_in_an_export_are_one_deal(company, portal):
    export = [D("101", "Павел Волков", "Сделка успешна", Decimal("150000"), "03.02.2026 12:00:00",
                company="ООО «Альфа»")]  # fmt: skip
    import_file(io.BytesIO(bitrix24_csv(export)), file_name="deal.csv")
    add(portal)
    sync()
    assert Deal.objects.filter(external_id="101").count() == 1
    assert facts(company["volkov"], "deals_count") == {date(2026, 2, 3): 2}
    again = import_file(io.BytesIO(bitrix24_csv(export)), file_name="deal.csv")
    assert (again.created, again.unchanged + again.updated) == (0, 1)
    assert facts(company["volkov"], "deals_count") == {date(2026, 2, 3): 2}


def test_a_stage_guessed_from_an_export_takes_the_portals_semantics(company, portal):
    export = [D("102", "Павел Волков", "Первая оплата получена", Decimal("1234567.89"),
                "03.02.2026 18:30:00")]  # fmt: skip
    import_file(io.BytesIO(bitrix24_csv(export)), file_name="deal.csv")
    assert Deal.objects.get().status == "open"  # an unknown name: in progress until checked
    add(portal)
    sync()
    assert Deal.objects.get(external_id="102").status == "won"
    assert Stage.objects.get(name="Первая оплата получена").confirmed


def test_mapping_an_unmatched_user_brings_their_waiting_deals(company, portal):
    source = add(portal)
    sync()
    with pytest.raises(CommandError, match="no employee nobody"):
        call_command("source", "set", "b24", "--map-user", "40=nobody")
    call_command("source", "set", "b24", "--map-user", "40=volkov", stdout=io.StringIO())
    sync()
    source.refresh_from_db()
    assert source.options["unmatched"] == {} and source.options["pending"] == {}
    assert (
        Deal.objects.filter(external_id__in=["107", "108"], employee=company["volkov"]).count() == 2
    )


def test_a_renamed_final_stage_and_a_new_pipeline_are_read_again(company, portal):
    add(portal)
    sync()
    p = portal.portal
    p.rename_stage("C8:WON", "Оплачено")
    p.add_pipeline(9, "Опт", [("NEW", "Новая", None), ("WON", "Отгружено", "S"),
                              ("LOSE", "Сорвалась", "F")])  # fmt: skip
    p.put_deal(201, user=5, stage="C9:WON", amount="10.00", moved="2026-02-10T10:00:00+03:00")
    p.put_deal(102, user=5, stage="C8:WON", amount="1234567.89", contact=9,
               moved="2026-02-03T18:30:00+03:00", modified="2026-02-10T10:00:00+03:00")  # fmt: skip
    sync()
    deals = dict(Deal.objects.values_list("external_id", "stage"))
    assert (deals["102"], deals["201"]) == ("Оплачено", "Отгружено")
    assert facts(company["volkov"], "deals_sum")[date(2026, 2, 10)] == Decimal("10")


def test_a_revoked_webhook_marks_the_source_no_access(company, portal):
    source = add(portal)
    portal.portal.revoked = True
    row = sync()
    source.refresh_from_db()
    assert row["status"] == "failed" and source.status == "no-access"
    assert "401" in source.last_error and portal.url not in source.last_error
    ok, text = health.test_connection(source)
    assert not ok and "401" in text


def test_the_sources_page_offers_sync_and_names_the_unmatched(company, portal, client):
    source = add(portal)
    sync()
    login(client, make_admin("root"))
    page = client.get(reverse("sources")).content.decode()
    assert "Стажёр Временный" in page and f"/sources/hooks/{source.pk}/" in page
    assert "s3cr3tc0de" not in page
    response = client.post(reverse("source-sync", args=[source.pk]))
    assert response.status_code == 302
    login(client, company["volkov"].user)
    assert client.post(reverse("source-sync", args=[source.pk])).status_code == 403
    assert client.get(reverse("sources")).status_code == 403
