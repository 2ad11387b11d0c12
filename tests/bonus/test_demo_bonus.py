"""The demo's schemes tell its stories: volkov's accelerator, popova below the gate."""

from datetime import date
from decimal import Decimal

import pytest

from salespulse.bonus.payroll import statements
from salespulse.core import demo
from salespulse.kpis.figures import sellers_queryset
from salespulse.kpis.report import kpi_rows
from salespulse.lib.periods import Period
from salespulse.reports.cutoffs import cutoffs

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            demo.seed(TODAY)
            sellers = list(sellers_queryset().order_by("user__username"))
            period = Period.of("month", TODAY)
            result = {s.seller: s for s in statements(sellers, period, TODAY)}
            # What `salespulse kpis --date` and every screen say for the same cut-off.
            rows = kpi_rows(sellers, period, cutoffs(sellers, day=TODAY), TODAY)
            truth = {(r.seller.login, r.kpi.code): r.result for r in rows}
            transaction.set_rollback(True)
    return result, truth


@pytest.fixture
def rows(seeded):
    return seeded[0]


def test_the_bonus_reads_the_facts_every_screen_shows(seeded):
    statements_by_seller, truth = seeded
    for login, s in statements_by_seller.items():
        for b in s.basis:
            r = truth[(login, b.kpi)]
            assert b.fact == r.fact, (login, b.kpi)
            assert b.plan in (r.plan, r.plan_to_date), (login, b.kpi)


def test_every_demo_seller_has_a_scheme_of_their_role(rows):
    assert len(rows) == 13
    assert {rows[login].scheme for login in ("smirnova", "volkov", "novikova")} == {
        "Холодные звонки",
        "Продажи",
        "Работа с клиентами",
    }


def test_volkov_earns_the_accelerator(rows):
    (deals,) = rows["volkov"].components
    assert deals.completion > 1
    # Above 100 % each point of plan adds two points of the 30 000 ₽ target.
    expected = 30000 + 30000 * (deals.completion - 1) * 2
    assert deals.amount == expected.quantize(1) and deals.amount > 30000


def test_popova_is_below_the_gate(rows):
    leads, calls = rows["popova"].components
    assert calls.completion < 0.85 and calls.amount == 0
    assert leads.amount == leads.fact * 300
    step = rows["popova"].next_step
    assert (step.kpi, step.kind, step.at) == ("calls", "gate", Decimal("0.85"))
