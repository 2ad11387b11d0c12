"""amoCRM without webhooks: a lead deleted in the account leaves the figures with the next
sync (its `lead_deleted` event), one restored from the bin stays, and a lead saved within
the watermark's second after a sync is not lost."""

from datetime import date
from decimal import Decimal

import pytest

from salespulse.crm.models import Deal
from salespulse.kpis.facts import set_reported_facts
from salespulse.kpis.models import DailyFact
from tests.crm.conftest import company  # noqa: F401
from tests.crm.helpers import facts
from tests.test_amocrm_sync import LATE, LEBEDEV, NOON, VOLKOV, amo, deals, history, source, sync  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def figures() -> list:
    return list(DailyFact.objects.order_by("pk").values_list("pk", "value", "auto_value"))


def test_a_lead_deleted_without_a_webhook_leaves_the_figures(amo, source, company):  # noqa: F811
    history(amo)
    first = sync(source)
    assert first.status == "done" and not amo.calls("/api/v4/events")  # nothing to look back on
    volkov, lebedev = company["volkov"], company["lebedev"]
    day = date(2026, 2, 27)
    set_reported_facts(volkov.pk, day, {"deals_count": Decimal(3)})  # the seller's correction
    amo.delete(101)
    amo.delete(102)
    amo.requests.clear()
    run = sync(source)
    assert run.status == "done", run.error
    assert run.counts["deleted"] == 2 and set(deals()) == {"103", "104"}
    (events,) = amo.calls("/api/v4/events")
    assert events["filter[type]"] == ["lead_deleted"] and events["limit"] == ["100"]
    assert events["filter[created_at][from]"] == [source.watermark]
    confirm = amo.calls("/api/v4/leads")[1]
    assert sorted(confirm["filter[id][]"]) == ["101", "102"]
    assert facts(lebedev, "deals_count") == {} and facts(volkov, "deals_sum") == {}
    cell = DailyFact.objects.get(employee=volkov, kpi__code="deals_count", day=day)
    assert (cell.value, cell.auto_value) == (3, 0)  # the typed figure still wins
    # The events read are not acted on again; a sync again changes nothing.
    before = figures()
    amo.requests.clear()
    again = sync(source)
    assert [p for p, _q in amo.requests] == ["/api/v4/leads", "/api/v4/events"]
    assert again.counts["deleted"] == 0 and figures() == before


def test_a_lead_restored_from_the_bin_before_the_sync_stays(amo, source):  # noqa: F811
    history(amo)
    sync(source)
    amo.delete(103)
    amo.lead(103, user=VOLKOV, status=143, price=9000, closed=NOON)  # taken back
    amo.delete(104)
    run = sync(source)
    assert run.counts["deleted"] == 1 and set(deals()) == {"101", "102", "103"}


def test_deletions_over_several_pages_of_events(amo, source, company):  # noqa: F811
    for i in range(130):
        amo.lead(1000 + i, user=LEBEDEV, status=142, price=100, closed=NOON)
    sync(source)
    for i in range(120):
        amo.delete(1000 + i)
    run = sync(source)
    assert [q["page"] for q in amo.calls("/api/v4/events")] == [["1"], ["2"]]
    assert run.counts["deleted"] == 120 and len(deals()) == 10
    assert facts(company["lebedev"], "deals_count") == {date(2026, 2, 26): 10}


def test_a_lead_saved_within_the_watermarks_second_after_a_sync_comes(amo, source, company):  # noqa: F811
    amo.lead(101, user=VOLKOV, status=142, price=150000, closed=LATE, company=5)
    sync(source)
    second = int(source.watermark)
    amo.lead(201, user=VOLKOV, status=142, price=1000, closed=LATE, at=second)
    run = sync(source)
    assert run.counts["created"] == 1 and run.counts["unchanged"] == 0
    assert facts(company["volkov"], "deals_count") == {date(2026, 2, 27): 2}
    assert source.watermark == str(second)
    assert sorted(source.options["at_watermark"]) == ["101", "201"]
    quiet = sync(source)
    assert quiet.counts["rows"] == 0 and quiet.crm_import is None
    assert Deal.objects.count() == 2
    # Saved again within that second, lost this time: the change comes too.
    amo.lead(201, user=VOLKOV, status=143, price=1000, closed=LATE, at=second)
    run = sync(source)
    assert run.counts["updated"] == 1 and deals()["201"][1] == "lost"
    assert facts(company["volkov"], "deals_count") == {date(2026, 2, 27): 1}
    assert sync(source).counts["rows"] == 0
