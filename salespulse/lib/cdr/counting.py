"""Counting: a seller's legs on a local day -> calls, answered calls, conversations, talk.

The rules of the README ("Counting rules"), stated once: the importer counts the legs of
a batch with them, and a recount of stored seller-days hands them the stored legs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(slots=True, frozen=True)
class FactLeg:
    """What counting needs of a stored leg."""

    employee_id: int
    day: date
    call_key: str
    direction: str
    answered: bool
    talk_start: datetime  # answer time, or end - billsec when the answer time is unknown
    billsec: int
    counts: bool = True  # the source counts calls in this direction
    queue: bool = False  # read from the queue_log, not from a CDR
    covered: bool = False  # the queue_log covers this leg's call


@dataclass(slots=True)
class DayFigures:
    calls: int = 0
    answered_calls: int = 0
    conversations: int = 0
    talk_time: int = 0

    def as_kpis(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "answered_calls": self.answered_calls,
            "conversations": self.conversations,
            "talk_time": self.talk_time,
        }


def talk_union(intervals: Iterable[tuple[datetime, int]]) -> int:
    """Seconds covered by (start, seconds) intervals: overlapping legs count once."""
    total = 0
    current_start: datetime | None = None
    current_end: datetime | None = None
    for start, seconds in sorted(intervals):
        end = start + timedelta(seconds=seconds)
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += int((current_end - current_start).total_seconds())
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None and current_start is not None:
        total += int((current_end - current_start).total_seconds())
    return total


DIRECTIONS = ("outbound", "inbound", "internal")
SERVICE = "service"  # a feature code or voicemail: the PBX, not a person, on the line


def counted(direction: str, directions: set[str] | frozenset[str]) -> bool:
    """Whether a leg in this direction may be a call of the calls KPI (`directions`: the
    ones its source counts; "" is a direction the file does not say)."""
    return direction == "" or direction in directions


def sales_call(direction: str, directions: set[str] | frozenset[str]) -> bool:
    """Whether a row is a sales call at all: not a feature code or voicemail, and in a
    direction its source counts (an internal call is not, unless the source counts those)."""
    return direction != SERVICE and (direction not in DIRECTIONS or direction in directions)


# Directions in which the seller made the call ("": the source does not say).
_MADE = frozenset(("outbound", "internal", ""))


def day_figures(
    legs: Iterable[FactLeg], threshold: Callable[[int], int]
) -> dict[tuple[int, date], DayFigures]:
    """Per (seller, local day): calls, answered calls, conversations and talk time.

    A seller's legs with the same call key on a day are one call. It counts when its
    direction is counted by the source and the seller made it (answered or not) or
    answered it; a ring that the seller missed is not their call. The call's talk is the
    union of the seller's talk intervals in it, so legs that overlap (a Local channel hop
    writes the same conversation twice) count once; talk time is the sum over the day's
    calls, and a conversation is a call whose talk exceeds the seller's department
    threshold (`threshold(employee_id)`). Where the queue_log covers a call, only its
    legs say who answered and how long they talked (a CDR's billsec of a queue call
    includes the wait in the queue; an abandoned call is nobody's).
    """
    calls: dict[tuple[int, date, str], list[FactLeg]] = {}
    for leg in legs:
        calls.setdefault((leg.employee_id, leg.day, leg.call_key), []).append(leg)
    result: dict[tuple[int, date], DayFigures] = {}
    limits: dict[int, int] = {}
    for (employee, day, _key), parts in calls.items():
        figures = result.setdefault((employee, day), DayFigures())
        if len(parts) == 1:  # most calls: one leg, whose talk is its billsec
            only = parts[0]
            if only.covered and not only.queue:
                continue
            answered = only.answered
            if not only.counts or not (answered or only.direction in _MADE):
                continue
            talk = only.billsec
        else:
            if any(p.covered for p in parts):
                parts = [p for p in parts if p.queue]
                if not parts:
                    continue
            answered = any(p.answered for p in parts)
            made = any(p.direction in _MADE for p in parts)
            if not any(p.counts for p in parts) or not (made or answered):
                continue
            talk = talk_union((p.talk_start, p.billsec) for p in parts if p.answered)
        figures.calls += 1
        if answered:
            figures.answered_calls += 1
            figures.talk_time += talk
            limit = limits.get(employee)
            if limit is None:
                limit = limits[employee] = threshold(employee)
            if talk > limit:
                figures.conversations += 1
    return result
