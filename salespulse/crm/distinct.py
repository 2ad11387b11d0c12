"""Where `distinct` KPIs come from: the clients seen in won deals, per manager and day.

`buyers` and `repeat_buyers` count the clients of an account manager's portfolio (from
each client's handover day on) with a won deal, or a won repeat deal, that day; the
engine unions the days over a period, so a client buying twice counts once.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from salespulse.crm.portfolio import in_portfolio

# Built-in distinct KPIs: whether a deal must be a repeat deal to count.
DEAL_KPIS: dict[str, bool] = {"buyers": False, "repeat_buyers": True}


def distinct_keys(
    employee_ids: Iterable[int], codes: Iterable[str], start: date, end: date
) -> dict[int, dict[str, dict[date, frozenset[str]]]]:
    """employee id -> KPI code -> day -> the distinct keys seen that day."""
    codes = [c for c in codes if c in DEAL_KPIS]
    result: dict[int, dict[str, dict[date, frozenset[str]]]] = defaultdict(dict)
    if not codes:
        return result
    rows = in_portfolio(list(employee_ids)).filter(day__range=(start, end))
    collected: dict[tuple[int, str], dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for manager_id, day, client_id, is_repeat in rows.values_list(
        "client__manager_id", "day", "client_id", "is_repeat"
    ).iterator():
        for code in codes:
            if is_repeat or not DEAL_KPIS[code]:
                collected[(manager_id, code)][day].add(str(client_id))
    for (emp_id, code), days in collected.items():
        result[emp_id][code] = {d: frozenset(k) for d, k in days.items()}
    return result
