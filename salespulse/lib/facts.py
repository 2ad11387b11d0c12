"""The rules of one cell of the daily fact table (seller × KPI × day), in plain Python.

A cell holds the figure every screen shows (`value`), what imported events say beside it
(`auto_value`, None when nothing was ever recorded) and who wrote the figure (`source`).
Every writer of the table (telephony, CRM deals and portfolios, the daily report, the
demo) goes through these three functions, so the rules below hold whoever writes:

- **A typed correction wins until cleared.** What the seller typed stays the figure; an
  import only moves `auto_value` beside it. Withdrawing the correction shows what events
  say again (or removes the cell when events never said anything).
- **No events.** A seller-day an importer looked at and found no events for has no cell:
  a missing cell reads as 0 for an additive KPI, and "nothing recorded" on the seller's
  form, which is the truth. The exception is a typed correction whose events vanished
  (calls moved to another seller, a deal lost): there `auto_value` becomes 0, so the head
  still sees the gap between what was typed and what the machines saw. A correction
  beside which nothing was ever recorded is left alone: a recount must not invent a
  0 for a day telephony was not connected yet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

TYPED = "report"  # the seller typed it (DailyFact.Source.REPORT)
AUTO = "auto"  # imported events say so (DailyFact.Source.AUTO)
ZERO = Decimal(0)


class Cell(NamedTuple):
    # A tuple, not a dataclass: an import compares tens of thousands of them per batch.
    value: Decimal
    auto_value: Decimal | None
    source: str

    @property
    def typed(self) -> bool:
        # Anything but a typed figure (an import's, the old demo's "seed") is the machines'.
        return self.source == TYPED


def imported(stored: Cell | None, events: Decimal | None) -> Cell | None:
    """The cell after an importer counted the day: `events` is what they say, None: none."""
    if stored is not None and stored.typed:
        if events is None:
            events = None if stored.auto_value is None else ZERO
        return Cell(stored.value, events, TYPED)
    if events is None:
        return None
    return Cell(events, events, AUTO)


def typed(stored: Cell | None, value: Decimal) -> Cell:
    """The cell after the seller typed `value` (a manual KPI, or a correction)."""
    return Cell(value, None if stored is None else stored.auto_value, TYPED)


def withdrawn(stored: Cell | None) -> Cell | None:
    """The cell after the seller took a correction back: events speak again."""
    if stored is None or not stored.typed:
        return stored
    if stored.auto_value is None:
        return None
    return Cell(stored.auto_value, stored.auto_value, AUTO)
