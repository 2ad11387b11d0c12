"""A tiny cold-calling department whose bonus is worked out by hand.

November 2026 has 20 working days (4 November is a holiday). ann's leads plan is 40, so
2 a day. By Tuesday the 10th, 6 working days are finished (2, 3, 5, 6, 9, 10) with
3 + 2 + 3 + 2 + 3 + 2 = 15 leads; on the 11th, today, she has 4 so far (today's
progress: not counted until she closes the day).

The scheme (SCHEME below): base 30 000 ₽; 500 ₽ a lead above 10; a ladder on leads
(50 % of plan: 5 000 ₽, 100 %: 10 000 ₽). On the 11th: (15 − 10) × 500 = 2 500 ₽, the
ladder at 15 / 40 = 37.5 % pays nothing; the nearest step is 50 % = 20 leads, 5 more,
worth 5 × 500 + 5 000 = 7 500 ₽. At the pace, 15 / 6 × 20 = 50 leads: 20 000 + 10 000.
"""

from datetime import date
from decimal import Decimal

import pytest

from salespulse.bonus import schemes
from salespulse.kpis.models import DailyFact, Kpi, Plan
from tests.factories import (
    make_department,
    make_director,
    make_head,
    make_seller,
)

SCHEME = """
name = "Звонари"
base = 30000

[[components]]
type = "per_unit"
name = "За лиды"
kpi = "leads"
rate = 500
threshold = 10

[[components]]
type = "completion"
name = "За план по лидам"
kpi = "leads"
target = 10000
steps = [[50, 50], [100, 100]]
"""
NOVEMBER = date(2026, 11, 1)
TODAY = "2026-11-11"


def fact(seller, code, day, value):
    DailyFact.objects.update_or_create(
        employee=seller,
        kpi=Kpi.objects.get(code=code),
        day=day,
        defaults={"value": Decimal(value)},
    )


@pytest.fixture
def org(tmp_path):
    north, south = make_department("north", "Север"), make_department("south", "Юг")
    ann = make_seller("ann", north, "cold_caller", first_name="Анна", last_name="Петрова")
    bob = make_seller("bob", south, "cold_caller")
    for seller in (ann, bob):
        Plan.objects.create(
            employee=seller, kpi=Kpi.objects.get(code="leads"), start=NOVEMBER, value=40
        )
    for day, leads in [(2, 3), (3, 2), (5, 3), (6, 2), (9, 3), (10, 2), (11, 4)]:
        fact(ann, "leads", date(2026, 11, day), leads)
    path = tmp_path / "cold.toml"
    path.write_text(SCHEME, encoding="utf-8")
    from salespulse.lib import bonus_spec

    schemes.save(schemes.target_of("cold_caller"), bonus_spec.loads(SCHEME), NOVEMBER)
    return {
        "ann": ann,
        "bob": bob,
        "north": north,
        "file": path,
        "head": make_head("north_head", [north]),
        "south_head": make_head("south_head", [south]),
        "director": make_director("director"),
    }
