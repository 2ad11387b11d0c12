"""Reporting periods: a seller's local day, ISO week, month, quarter, year, any date range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Kind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    if day.month == 12:
        return date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included (empty when end < start)."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(frozen=True, order=True)
class Period:
    kind: Kind
    start: date
    end: date  # included

    def __post_init__(self) -> None:
        # Period("range", a, b) is as good as Period(Kind.RANGE, a, b): comparisons below use `is`.
        object.__setattr__(self, "kind", Kind(self.kind))
        if self.end < self.start:
            raise ValueError(f"The period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def of(cls, kind: Kind | str, day: date, to: date | None = None) -> Period:
        """The period of `kind` that holds `day` (for a range: from `day` to `to`)."""
        try:
            kind = Kind(kind)
        except ValueError:
            names = ", ".join(k.value for k in Kind)
            raise ValueError(f"Unknown period {kind!r}: use one of {names}") from None
        if kind is Kind.RANGE:
            if to is None:
                raise ValueError("A date range needs an end date")
            return cls(kind, day, to)
        if to is not None:
            raise ValueError("An end date only goes with a date range")
        if kind is Kind.DAY:
            return cls(kind, day, day)
        if kind is Kind.WEEK:
            start = week_start(day)
            return cls(kind, start, start + timedelta(days=6))
        if kind is Kind.MONTH:
            return cls(kind, month_start(day), month_end(day))
        if kind is Kind.QUARTER:
            first_month = 3 * ((day.month - 1) // 3) + 1
            start = date(day.year, first_month, 1)
            return cls(kind, start, month_end(date(day.year, first_month + 2, 1)))
        return cls(kind, date(day.year, 1, 1), date(day.year, 12, 31))

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def days(self) -> list[date]:
        return days_between(self.start, self.end)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one (a range: as long, just before)."""
        if self.kind is Kind.RANGE:
            end = self.start - timedelta(days=1)
            return Period(self.kind, end - timedelta(days=self.length - 1), end)
        return Period.of(self.kind, self.start - timedelta(days=1))

    def months(self) -> list[date]:
        """First days of the months this period touches."""
        result = []
        current = month_start(self.start)
        while current <= self.end:
            result.append(current)
            current = next_month(current)
        return result


# The periods a dashboard offers, by the name used in its address.
PERIOD_NAMES = ("today", "yesterday", "week", "month", "quarter", "custom")


def named_period(
    name: str, today: date, start: date | None = None, end: date | None = None
) -> Period:
    """The period a head picks on a dashboard, relative to their local today.

    An unknown name falls back to the month: a stale bookmark should still open the page.
    A custom range needs both ends; it is capped at a year so a typo cannot ask for decades.
    """
    if name == "today":
        return Period.of(Kind.DAY, today)
    if name == "yesterday":
        return Period.of(Kind.DAY, today - timedelta(days=1))
    if name == "week":
        return Period.of(Kind.WEEK, today)
    if name == "quarter":
        return Period.of(Kind.QUARTER, today)
    if name == "custom" and start is not None and end is not None:
        if end < start:
            start, end = end, start
        end = min(end, start + timedelta(days=366))
        return Period(Kind.RANGE, start, end)
    return Period.of(Kind.MONTH, today)
