"""How far into a period we are: the one cut-off rule of every screen, export and command.

In a period in progress the finished part ends yesterday: today's figures are still coming
in, and judging today's plan against them would put every seller a day behind each morning.
Once the seller has closed today's report, today is finished too (for that seller).

- completion, plan to date, the forecast's elapsed working days and the trend use the
  finished part only;
- today's own figures are shown as today's progress;
- the required pace is (plan - fact so far, today's included) / working days left, today
  included while it is in progress and a working day of the seller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from salespulse.lib.periods import Period

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Cutoff:
    today: date  # the seller's local day in progress (or the day a command was asked about)
    closed: bool = False  # today's report is closed: today belongs to the finished part

    @classmethod
    def through(cls, day: date) -> Cutoff:
        """Everything up to and including `day` is finished (a closed day, a past date)."""
        return cls(day, closed=True)

    @property
    def finished_through(self) -> date:
        """The last finished day."""
        return self.today if self.closed else self.today - ONE_DAY

    def finished_end(self, period: Period) -> date:
        """The last finished day of `period`; before its start when nothing of it is finished."""
        return min(self.finished_through, period.end)

    def so_far_end(self, period: Period) -> date:
        """The last day of `period` with any figures: today's in-progress ones included."""
        return min(self.today, period.end)

    def shown_end(self, period: Period) -> date:
        """The last day a view of `period` shows: the finished part, or, when nothing of it
        is finished yet (today, open), today's progress."""
        end = self.finished_end(period)
        return end if end >= period.start else self.so_far_end(period)

    def in_progress(self, period: Period) -> bool:
        """Today is in `period` and still open."""
        return not self.closed and self.today in period

    def first_day_left(self) -> date:
        """The first day still to work: today while it is open, else tomorrow."""
        return self.finished_through + ONE_DAY


def team_cutoff(today: date, members: Iterable[Cutoff]) -> Cutoff:
    """A team is cut on the viewer's today, finished once every member has closed it."""
    members = list(members)
    return Cutoff(today, closed=bool(members) and all(c.closed for c in members))
