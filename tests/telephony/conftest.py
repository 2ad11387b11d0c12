"""A cold-calling department with three extensions, and the multi-leg day they had.

The day (3 February 2026, PBX clock in Moscow), built to the cdr_csv layout:
- 101 dials out: one call answered after 12 s of ringing, 45 s of talk; one unanswered;
- an incoming call rings 101, 102 and 103 (a ring group); 102 answers, talks 70 s;
- an incoming call reaches 103 through a queue and a Local channel (two legs), 30 s;
- an incoming call to 101 (20 s) is transferred to 102 (40 s);
- 104 (nobody's extension) dials out once.

What each seller's day must say (README, "Telephony"):
  101: calls 3, answered 2, conversations 2, talk 65
  102: calls 2, answered 2, conversations 2, talk 110
  103: calls 1, answered 1, conversations 1, talk 30
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from salespulse.kpis.models import DailyFact
from salespulse.lib.cdrgen import Pbx, asterisk_line
from tests.factories import make_department, make_seller

MSK = ZoneInfo("Europe/Moscow")
DAY = date(2026, 2, 3)
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=MSK)

EXPECTED = {
    "ann": {"calls": 3, "answered_calls": 2, "conversations": 2, "talk_time": 65},
    "bob": {"calls": 2, "answered_calls": 2, "conversations": 2, "talk_time": 110},
    "cat": {"calls": 1, "answered_calls": 1, "conversations": 1, "talk_time": 30},
}


def the_day_calls(pbx: Pbx | None = None):
    pbx = pbx or Pbx(MSK)
    at = lambda h, m, s=0: datetime(2026, 2, 3, h, m, s, tzinfo=MSK)  # noqa: E731
    return [
        pbx.outbound("101", "79161234567", at(10, 0), 45),
        pbx.outbound("101", "79161234568", at(10, 5), None),
        pbx.ring_group("74957654321", ["101", "102", "103"], "102", at(11, 0), 70),
        pbx.queue_via_local("74951112233", "103", at(12, 0), 30),
        pbx.transfer("79035550000", "101", "102", at(13, 0), 20, 40),
        pbx.outbound("104", "79161230000", at(14, 0), 90),
    ]


def master_csv(columns: int = 21, calls=None) -> str:
    calls = calls if calls is not None else the_day_calls()
    return "".join(asterisk_line(r, columns) + "\n" for call in calls for r in call.records)


@pytest.fixture
def org(db):
    cold = make_department("cold", "Холодные звонки")
    return {
        "cold": cold,
        "ann": make_seller("ann", cold, "cold_caller", extension="101", timezone="Europe/Moscow"),
        "bob": make_seller("bob", cold, "cold_caller", extension="102", timezone="Europe/Moscow"),
        "cat": make_seller("cat", cold, "cold_caller", extension="103", timezone="Europe/Moscow"),
    }


def facts(employee, day: date = DAY) -> dict[str, Decimal]:
    return {
        f.kpi.code: f.value
        for f in DailyFact.objects.filter(employee=employee, day=day).select_related("kpi")
    }


def call_kpis(employee, day: date = DAY) -> dict[str, int]:
    wanted = ("calls", "answered_calls", "conversations", "talk_time")
    return {k: int(v) for k, v in facts(employee, day).items() if k in wanted}
