"""Where `distinct` KPIs come from: the keys (clients) seen in raw events, per seller and day."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from salespulse.crm.models import Deal

# Built-in distinct KPIs: which deals (by their repeat flag) count towards distinct clients.
DEAL_KPIS: dict[str, Callable[[bool], bool]] = {
    "buyers": lambda is_repeat: True,
    "repeat_buyers": lambda is_repeat: is_repeat,
}


def distinct_keys(
    employee_ids: Iterable[int], codes: Iterable[str], start: date, end: date
) -> dict[int, dict[str, dict[date, frozenset[str]]]]:
    """employee id -> KPI code -> day -> the distinct keys seen that day."""
    codes = [c for c in codes if c in DEAL_KPIS]
    result: dict[int, dict[str, dict[date, frozenset[str]]]] = defaultdict(dict)
    if not codes:
        return result
    rows = Deal.objects.filter(employee_id__in=list(employee_ids), day__range=(start, end))
    collected: dict[tuple[int, str], dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for emp_id, day, client, is_repeat in rows.values_list(
        "employee_id", "day", "client_key", "is_repeat"
    ).iterator():
        for code in codes:
            if DEAL_KPIS[code](is_repeat):
                collected[(emp_id, code)][day].add(client)
    for (emp_id, code), days in collected.items():
        result[emp_id][code] = {d: frozenset(k) for d, k in days.items()}
    return result
