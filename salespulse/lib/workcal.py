"""Production calendars: which days are working days for a company and for one seller.

Plain Python on top of the `holidays` library, so plans and dashboards can be computed and
tested without Django. A country's calendar comes from `holidays` (public holidays, the
government's transfers of days off and of working Saturdays); a company adds its own
exceptions on top; a seller's calendar takes their absences and employment dates out.

The official Russian production calendars for 2024-2026 (Consultant/Garant) agree with
holidays 0.109 month by month, so no correction of the library's data is needed; the tests
pin those figures so that a library upgrade which changes them fails loudly.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from holidays.holiday_base import HolidayBase

__all__ = ["MonthSummary", "SellerCalendar", "WorkCalendar", "supported_countries"]


def supported_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes the calendar knows."""
    return _supported_countries()


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    # Aliases (alpha-3 codes, names) are left out so that a calendar has one spelling of its
    # country, which callers compare with the company's configured country.
    return frozenset(holidays.list_supported_countries(include_aliases=False))


@lru_cache(maxsize=512)
def _holidays(country: str, year: int) -> HolidayBase:
    return holidays.country_holidays(country, years=year)


@lru_cache(maxsize=512)
def _country_working_days(country: str, year: int) -> frozenset[date]:
    # Built once per country and year and shared by all calendars: a dashboard creates a
    # calendar per request and asks about thousands of days.
    hol = _holidays(country, year)
    # is_working_day: a weekend day works only if transferred (weekend_workdays), any other
    # day unless it is a holiday, substituted days off ("Day off (substituted ...)") included.
    return frozenset(
        day for day in _days(date(year, 1, 1), date(year, 12, 31)) if hol.is_working_day(day)
    )


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True)
class MonthSummary:
    month: int
    working_days: int
    days_off: list[date]
    """Days of the country's working week (Mon-Fri in Russia) that are not working days."""
    working_weekends: list[date]
    """Weekend days (Sat/Sun in Russia) that are working days."""


class WorkCalendar:
    """A country's production calendar with the company's own exceptions on top."""

    country: str

    def __init__(self, country: str = "RU", overrides: Mapping[date, bool] | None = None) -> None:
        code = country.strip().upper()
        if code not in _supported_countries():
            raise ValueError(f"Unknown country code: {country}")
        self.country = code
        self._overrides: dict[int, dict[date, bool]] = {}
        for day, working in (overrides or {}).items():
            self._overrides.setdefault(day.year, {})[day] = bool(working)
        self._years: dict[int, tuple[frozenset[date], list[date]]] = {}

    def __repr__(self) -> str:
        return f"WorkCalendar({self.country!r}, overrides={self._override_count()})"

    def _override_count(self) -> int:
        return sum(len(days) for days in self._overrides.values())

    def _year(self, year: int) -> tuple[frozenset[date], list[date]]:
        cached = self._years.get(year)
        if cached is None:
            days = _country_working_days(self.country, year)
            if overrides := self._overrides.get(year):
                days = days.difference(d for d, w in overrides.items() if not w).union(
                    d for d, w in overrides.items() if w
                )
            # The sorted list lets a range be cut out by bisection instead of by walking days.
            cached = self._years[year] = (days, sorted(days))
        return cached

    def is_working(self, day: date) -> bool:
        return day in self._year(day.year)[0]

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days from start to end, both included, in order."""
        result: list[date] = []
        for year in range(start.year, end.year + 1):
            ordered = self._year(year)[1]
            lo = bisect.bisect_left(ordered, start) if year == start.year else 0
            hi = bisect.bisect_right(ordered, end) if year == end.year else len(ordered)
            result.extend(ordered[lo:hi])
        return result

    def count_working_days(self, start: date, end: date) -> int:
        total = 0
        for year in range(start.year, end.year + 1):
            ordered = self._year(year)[1]
            lo = bisect.bisect_left(ordered, start) if year == start.year else 0
            hi = bisect.bisect_right(ordered, end) if year == end.year else len(ordered)
            total += max(hi - lo, 0)
        return total

    def month(self, year: int, month: int) -> MonthSummary:
        first = date(year, month, 1)
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        hol = _holidays(self.country, year)
        working = self._year(year)[0]
        days_off: list[date] = []
        working_weekends: list[date] = []
        count = 0
        for day in _days(first, last):
            if day in working:
                count += 1
                if hol.is_weekend(day):
                    working_weekends.append(day)
            elif not hol.is_weekend(day):
                days_off.append(day)
        return MonthSummary(month, count, days_off, working_weekends)

    def year(self, year: int) -> list[MonthSummary]:
        return [self.month(year, month) for month in range(1, 13)]


class SellerCalendar:
    """A seller's own working days: the company calendar minus absences, within employment dates."""

    def __init__(
        self,
        base: WorkCalendar,
        absences: Iterable[tuple[date, date]] = (),
        hired_on: date | None = None,
        left_on: date | None = None,
    ) -> None:
        self.base = base
        self.hired_on = hired_on
        self.left_on = left_on
        # Absences may overlap (a sick leave inside a vacation); merged, they become disjoint
        # sorted intervals, and a day is looked up by bisection however many there are.
        merged: list[list[date]] = []
        for start, end in sorted(absences):
            if end < start:
                raise ValueError(f"Absence ends before it starts: {start} – {end}")
            if merged and start <= merged[-1][1] + timedelta(days=1):
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def __repr__(self) -> str:
        return (
            f"SellerCalendar({self.base!r}, absences={len(self._starts)}, "
            f"hired_on={self.hired_on}, left_on={self.left_on})"
        )

    def _absent(self, day: date) -> bool:
        i = bisect.bisect_right(self._starts, day) - 1
        return i >= 0 and day <= self._ends[i]

    def _employed(self, day: date) -> bool:
        if self.hired_on and day < self.hired_on:
            return False
        return not (self.left_on and day > self.left_on)

    def is_working(self, day: date) -> bool:
        return self._employed(day) and not self._absent(day) and self.base.is_working(day)

    def working_days(self, start: date, end: date) -> list[date]:
        if self.hired_on:
            start = max(start, self.hired_on)
        if self.left_on:
            end = min(end, self.left_on)
        if start > end:
            return []
        days = self.base.working_days(start, end)
        if not self._starts:
            return days  # most sellers, most months: nothing to take out
        return [day for day in days if not self._absent(day)]
