"""Leaderboard order: by % of plan, so sellers with different quotas compare fairly.

- Sellers are ranked by completion (fact to date / plan to date, already inverted for
  lower-is-better KPIs), best first, rounded to the precision the screen shows: two rows
  that both read "104 %" share a place rather than being told apart by invisible digits.
- Equal completions share a rank and the next rank skips ("1, 2, 2, 4", competition
  ranking); within a tie the order is by name, so the list does not reshuffle on reload.
- A seller with no plan (completion None) has no rank and comes after everyone who has one.
- "Most improved" is the change of completion against the previous period over the same
  stretch of days, in percentage points: a seller rising from 60 % to 85 % of plan is seen
  even when still far from the top.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

# Completion is a fraction: 0.01 is a whole percent, as the leaderboard shows it.
WHOLE_PERCENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Entry(Generic[K]):
    key: K  # who: an employee id, a login
    name: str  # the order within a tie
    completion: Decimal | None  # this period, to date; None without a plan
    previous: Decimal | None = None  # the previous period's, over the same stretch of days


@dataclass(frozen=True)
class Ranked(Generic[K]):
    entry: Entry[K]
    rank: int | None  # None: no plan, so no place


@dataclass(frozen=True)
class Improvement(Generic[K]):
    entry: Entry[K]
    points: Decimal  # percentage points: 0.60 -> 0.85 is 25


def name_key(name: str) -> tuple[str, str, str]:
    """Alphabetical order for Russian names too: ё sorts with е, case only breaks ties."""
    folded = name.casefold()
    return folded.replace("ё", "е"), folded, name


def _rounded(value: Decimal, quantum: Decimal | None) -> Decimal:
    return value if quantum is None else value.quantize(quantum, rounding=ROUND_HALF_UP)


def rank(entries: Iterable[Entry[K]], quantum: Decimal | None = WHOLE_PERCENT) -> list[Ranked[K]]:
    """Entries best first with their places; `quantum=None` compares exact completions."""
    items = list(entries)
    with_plan = [e for e in items if e.completion is not None]
    without = [e for e in items if e.completion is None]
    score = {id(e): _rounded(e.completion, quantum) for e in with_plan if e.completion is not None}
    # Within a tie by name; namesakes by the exact figure, so the order never depends on input.
    with_plan.sort(key=lambda e: (-score[id(e)], name_key(e.name), -(e.completion or 0)))
    without.sort(key=lambda e: name_key(e.name))

    result: list[Ranked[K]] = []
    for position, entry in enumerate(with_plan, start=1):
        previous = result[-1] if result else None
        if previous is not None and score[id(previous.entry)] == score[id(entry)]:
            result.append(Ranked(entry, previous.rank))
        else:
            result.append(Ranked(entry, position))
    result.extend(Ranked(entry, None) for entry in without)
    return result


def ranked_count(ranking: Iterable[Ranked[K]]) -> int:
    """How many have a place: the M of "N of M"."""
    return sum(1 for r in ranking if r.rank is not None)


def change_points(entry: Entry[K]) -> Decimal | None:
    """Completion now against the previous period's, in percentage points."""
    if entry.completion is None or entry.previous is None:
        return None
    return (entry.completion - entry.previous) * HUNDRED


def most_improved(entries: Iterable[Entry[K]], top: int = 3) -> list[Improvement[K]]:
    """The `top` largest rises of completion, largest first; nobody who stood still or fell."""
    rises = [
        Improvement(e, points)
        for e in entries
        if (points := change_points(e)) is not None and points > 0
    ]
    rises.sort(key=lambda i: (-i.points, name_key(i.entry.name)))
    return rises[: max(top, 0)]
