"""Bitrix24's daily reconcile against a local portal: a deal deleted without a webhook
leaves the figures, a mass deletion is refused, a listing cut short deletes nothing, and
the worker reconciles once a day."""

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from salespulse.crm.models import Deal
from salespulse.kpis.facts import set_reported_facts
from salespulse.kpis.models import DailyFact
from salespulse.sources import reconcile, runner
from salespulse.sources.models import Run, Source
from tests.crm.helpers import facts
from tests.factories import make_admin
from tests.telephony.test_views import login
from tests.test_bitrix24_sync import add, company, portal  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def sync(*extra: str) -> dict:
    out = io.StringIO()
    try:
        call_command("sync", "b24", "--json", *extra, stdout=out)
    except SystemExit:
        pass
    return json.loads(out.getvalue())["sources"][0]


def figures() -> list:
    return list(DailyFact.objects.order_by("pk").values_list("pk", "value", "auto_value"))


def test_a_deal_deleted_without_a_webhook_leaves_the_figures(company, portal, client):  # noqa: F811
    add(portal)
    first = sync()
    assert (first["status"], first["deleted"]) == ("done", 0)
    volkov, lebedev = company["volkov"], company["lebedev"]
    set_reported_facts(volkov.pk, date(2026, 2, 3), {"deals_count": Decimal(5)})
    p = portal.portal
    del p.deals[101]  # no ONCRMDEALDELETE reached us
    del p.deals[105]
    assert sync()["deleted"] == 0  # the incremental sync cannot see a deletion
    row = sync("--reconcile")
    assert (row["status"], row["error"], row["deleted"]) == ("done", "", 2)
    run = Run.objects.filter(kind="sync").latest("pk")
    assert (run.counts["listed"], run.counts["reconciled"], run.counts["deleted"]) == (6, 2, 2)
    login(client, make_admin("root"))
    page = client.get(reverse("source-run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="ru")
    assert "Удалено ежедневной сверкой" in page.content.decode()
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == [
        "102", "103", "104", "106",
    ]  # fmt: skip
    assert facts(lebedev, "deals_sum") == {}
    assert facts(volkov, "deals_sum") == {date(2026, 2, 3): Decimal("1234567.89")}
    fact = DailyFact.objects.get(employee=volkov, kpi__code="deals_count")
    assert (fact.value, fact.auto_value, fact.source) == (5, 1, "report")  # the seller's wins
    # Twice changes nothing.
    before = figures()
    again = sync("--reconcile")
    assert (again["status"], again["deleted"]) == ("done", 0)
    assert figures() == before


def test_a_mass_deletion_is_refused_and_deletes_nothing(company, portal, client):  # noqa: F811
    source = add(portal)
    sync()
    before = figures()
    p = portal.portal
    for deal in (101, 102, 103, 104, 105, 106):  # every deal we hold: a wrong portal, say
        del p.deals[deal]
    row = sync("--reconcile")
    assert row["status"] == "failed" and row["deleted"] == 0
    assert "сделок у нас: 6, из них в портале нет 6" in row["error"]
    assert "Ничего не удалено" in row["error"]
    assert Deal.objects.count() == 6 and figures() == before
    source.refresh_from_db()
    assert source.status == "failing" and "Ничего не удалено" in source.last_error
    # A sync later works again, and the Sources page still says why nothing was deleted.
    assert sync()["status"] == "done"
    login(client, make_admin("root"))
    page = client.get(reverse("sources"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "из них в портале нет 6" in page
    # The admin checked the portal: the deals were really deleted.
    with pytest.raises(CommandError, match="--reconcile"):
        call_command("sync", "b24", "--delete-many")
    row = sync("--reconcile", "--delete-many")
    assert (row["status"], row["deleted"]) == ("done", 6)
    assert not Deal.objects.exists() and facts(company["volkov"], "deals_sum") == {}
    page = client.get(reverse("sources"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "в портале нет" not in page


def test_a_few_deals_gone_are_deleted_even_if_they_are_most_of_them(company, portal):  # noqa: F811
    add(portal)
    sync()
    for deal in (101, 102, 103, 104):  # four of six: a handful, deleted
        del portal.portal.deals[deal]
    assert sync("--reconcile")["deleted"] == 4


def test_a_listing_cut_short_deletes_nothing_and_is_tried_again_within_the_hour(company, portal):  # noqa: F811
    source = add(portal)
    sync()
    p = portal.portal
    del p.deals[101]
    p.hidden = {102}  # counted in the total, missing from its page
    row = sync("--reconcile")
    assert row["status"] == "failed" and "ID сделок: 6, а объявил 7" in row["error"]
    assert Deal.objects.count() == 6
    source.refresh_from_db()
    assert timezone.now() - source.reconciled_at > timedelta(hours=22)  # due in an hour
    p.hidden = set()
    assert sync("--reconcile")["deleted"] == 1


def test_the_worker_reconciles_once_a_day(company, portal):  # noqa: F811
    source = add(portal)

    def scheduled() -> Run:
        Source.objects.filter(pk=source.pk).update(last_attempt_at=None)  # the sync is due
        (run,) = runner.run_due()
        assert run.status == "done", run.error
        return run

    # The first sync read every deal: the day starts from it.
    assert "listed" not in scheduled().counts
    source.refresh_from_db()
    assert source.reconciled_at is not None
    del portal.portal.deals[103]
    later = scheduled()
    assert "listed" not in later.counts and later.counts["deleted"] == 0
    assert Deal.objects.filter(external_id="103").exists()
    # A day later the next scheduled sync reconciles again.
    Source.objects.filter(pk=source.pk).update(reconciled_at=timezone.now() - timedelta(days=1))
    run = scheduled()
    assert run.counts["listed"] == 7 and run.counts["deleted"] == 1
    assert not Deal.objects.filter(external_id="103").exists()
    # Two syncs of one source at once never both reconcile.
    stale = Source.objects.get(pk=source.pk)
    Source.objects.filter(pk=source.pk).update(reconciled_at=None)
    fresh = Source.objects.get(pk=source.pk)
    assert reconcile.claim(fresh, timezone.now(), asked=False)
    assert not reconcile.claim(stale, timezone.now(), asked=True)


def test_two_portals_storing_their_deals_under_one_name_are_not_reconciled(company, portal):  # noqa: F811
    add(portal)
    sync()
    Source.objects.create(name="b24-other", kind="bitrix24", url=portal.url, enabled=False)
    del portal.portal.deals[101]
    row = sync("--reconcile")
    assert row["status"] == "failed" and "b24-other" in row["error"]
    assert "Ничего не удалено" in row["error"] and Deal.objects.count() == 6
    Source.objects.filter(name="b24-other").update(deal_source="bitrix24-other")
    assert sync("--reconcile")["deleted"] == 1


def test_deals_the_webhooks_user_may_not_read_are_kept(company, portal, client):  # noqa: F811
    # The deals came in whole (an admin's export, or the webhook before its user's rights
    # were cut); the webhook's user now reads only part of the portal. Those it cannot
    # read are not deleted: only a deal Bitrix24 says is "Not found" is.
    add(portal)
    sync()
    p = portal.portal
    p.unreadable = {102, 104}  # another department's, for this user
    del p.deals[105]  # really deleted
    row = sync("--reconcile")
    assert (row["status"], row["deleted"]) == ("done", 1)
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == [
        "101", "102", "103", "104", "106",
    ]  # fmt: skip
    assert p.calls.count("crm.deal.get") == 3  # only the three the listing lacked
    login(client, make_admin("root"))
    page = client.get(reverse("sources"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert (
        "сделок, скрытых от пользователя вебхука (Битрикс24 отвечает «Доступ запрещён»): 2" in page
    )
    # Rights given back: nothing is hidden, and the note goes.
    p.unreadable = set()
    assert sync("--reconcile")["deleted"] == 0
    page = client.get(reverse("sources"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "скрытых от пользователя вебхука" not in page
