"""Where `distinct` and `cohort` KPIs come from: the clients seen in won deals, per manager
and day.

`buyers` and `repeat_buyers` count the clients of an account manager's portfolio (from
each client's handover day on) with a won deal, or a won repeat deal, that day; the
engine unions the days over a period, so a client buying twice counts once.
`retained_buyers` (a `cohort` KPI) sees the same clients as `buyers`, with each client's
handover day: the engine keeps those handed over before the period's first day, the
portfolio at the period start.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from salespulse.crm.portfolio import in_portfolio

# Built-in distinct and cohort KPIs: whether a deal must be a repeat deal to count.
DEAL_KPIS: dict[str, bool] = {"buyers": False, "repeat_buyers": True, "retained_buyers": False}
# Those the engine counts among the portfolio at the period start.
COHORT_KPIS = frozenset({"retained_buyers"})


class DistinctKeys(NamedTuple):
    # employee id -> KPI code -> day -> the distinct keys seen that day
    keys: dict[int, dict[str, dict[date, frozenset[str]]]]
    # employee id -> KPI code -> key -> the day it joined (a client's handover)
    joined: dict[int, dict[str, dict[str, date]]]


def distinct_keys(
    employee_ids: Iterable[int], codes: Iterable[str], start: date, end: date
) -> DistinctKeys:
    """The keys of distinct and cohort KPIs over start..end, and when cohort keys joined."""
    codes = [c for c in codes if c in DEAL_KPIS]
    keys: dict[int, dict[str, dict[date, frozenset[str]]]] = defaultdict(dict)
    joined: dict[int, dict[str, dict[str, date]]] = defaultdict(dict)
    if not codes:
        return DistinctKeys(keys, joined)
    rows = in_portfolio(list(employee_ids)).filter(day__range=(start, end))
    collected: dict[tuple[int, str], dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    handovers: dict[int, dict[str, date]] = defaultdict(dict)
    for manager_id, day, client_id, is_repeat, handed_over_on in rows.values_list(
        "client__manager_id", "day", "client_id", "is_repeat", "client__handed_over_on"
    ).iterator():
        for code in codes:
            if is_repeat or not DEAL_KPIS[code]:
                collected[(manager_id, code)][day].add(str(client_id))
        if handed_over_on is not None:
            handovers[manager_id][str(client_id)] = handed_over_on
    for (emp_id, code), days in collected.items():
        keys[emp_id][code] = {d: frozenset(k) for d, k in days.items()}
        if code in COHORT_KPIS:
            joined[emp_id][code] = handovers[emp_id]
    return DistinctKeys(keys, joined)
