"""Who needs the head's attention, and why: the rules behind the dashboard's first list.

Plain arithmetic over what the KPI engine and the fact table give, so each rule is tested
in isolation and the thresholds are named in one place:

- behind plan: how far a seller is behind the plan to date, in units and in days of work
  (the shortfall over their average daily plan);
- falling: a seller's last seven days, per working day, against their own four weeks
  before that (their own history, so a strong seller's dip shows as well as a weak one's);
- pace: at the current run rate the seller will not make the month's plan;
- mismatch: what the seller typed differs from what telephony or the CRM recorded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

ZERO = Decimal(0)

# Completion bands for colouring: at or above 100 % of the plan to date is on pace,
# 90-100 % is close, below 90 % is behind.
NEAR = Decimal("0.9")
# A drop of a fifth against one's own recent weeks is more than daily noise.
FALLING_DROP = Decimal("0.2")
FALLING_WEEKS = 4
# A forecast under 90 % of the plan will not be saved by an ordinary good week.
PACE_SHORT = Decimal("0.9")
# The pace is judged once a few working days have passed, not on the 2nd of the month.
PACE_MIN_DAYS = 3
# A typed figure 10 % away from the recorded one (and by more than a trifle) is worth a look.
MISMATCH_SHARE = Decimal("0.1")
MISMATCH_MIN = Decimal(2)
# A change of less than 5 % against the previous period is shown as flat.
TREND_FLAT = Decimal("0.05")


def pace_class(completion: Decimal | None) -> str:
    """The colour band of a completion figure: ahead, near, behind, or none."""
    if completion is None:
        return "none"
    if completion >= 1:
        return "ahead"
    if completion >= NEAR:
        return "near"
    return "behind"


def trend(change: Decimal | None) -> str:
    """up, down or flat against the previous period; none when there is nothing to compare."""
    if change is None:
        return "none"
    if change > TREND_FLAT:
        return "up"
    if change < -TREND_FLAT:
        return "down"
    return "flat"


@dataclass(frozen=True)
class Behind:
    units: Decimal  # how much short of the plan to date (a level KPI: of its planned level)
    days: Decimal | None  # the same in days of work at the average daily plan; None for levels
    level: bool = False  # a ratio or percentage judged on its level (p.p., ₽), not a sum


def behind(
    fact: Decimal | None,
    plan_to_date: Decimal | None,
    plan: Decimal | None,
    working_days: int,
    lower_is_better: bool = False,
) -> Behind | None:
    """The shortfall against the plan to date of an additive KPI, or None if on plan
    (for a lower-is-better KPI, such as costs, the excess over it)."""
    if fact is None or plan_to_date is None:
        return None
    units = fact - plan_to_date if lower_is_better else plan_to_date - fact
    if units <= 0:
        return None
    days = ZERO
    if plan and plan > 0 and working_days > 0:
        days = units / (plan / working_days)
    return Behind(units, days)


def below_level(
    fact: Decimal | None, plan: Decimal | None, lower_is_better: bool = False
) -> Behind | None:
    """A ratio or percentage KPI (average check, retention) judged on its level: how far the
    period's figure is from the planned level, in its own unit (₽, p.p.). Such a KPI has no
    days of work to catch up with: it is behind or it is not."""
    if fact is None or plan is None:
        return None
    gap = fact - plan if lower_is_better else plan - fact
    if gap <= 0:
        return None
    return Behind(gap, None, level=True)


def level_share(fact: Decimal | None, plan: Decimal | None, lower_is_better: bool = False):
    """The level against its plan, as the share a forecast card shows (1 = on plan)."""
    if fact is None or not plan or plan <= 0:
        return None
    if lower_is_better:
        return plan / fact if fact > 0 else None
    return fact / plan


@dataclass(frozen=True)
class Falling:
    recent: Decimal  # per working day, last seven days
    usual: Decimal  # per working day, the four weeks before
    drop: Decimal  # 0.3 = 30 % below usual


def falling(
    days: Mapping[date, Decimal],
    is_working: Callable[[date], bool],
    as_of: date,
    weeks: int = FALLING_WEEKS,
    threshold: Decimal = FALLING_DROP,
    counts: bool = False,
) -> Falling | None:
    """A drop of the last seven days against the weeks before, per working day.

    Per working day, so a week with a holiday or a day of sick leave is not a "drop".
    Needs figures on at least half of the earlier working days: a newcomer has no baseline.
    For counts (calls, deals) the drop must also exceed chance: 4 deals in a week instead of
    the usual 5 is noise, 355 calls instead of 510 is not. Counts of independent events
    scatter by about the square root of the expected number, so the shortfall must reach
    twice that.
    """
    recent_days, base_days = _windows(as_of, weeks)
    recent_work = [d for d in recent_days if is_working(d)]
    base_work = [d for d in base_days if is_working(d)]
    if not recent_work or not base_work:
        return None
    if sum(1 for d in base_work if d in days) * 2 < len(base_work):
        return None
    usual = sum((days.get(d, ZERO) for d in base_days), ZERO) / len(base_work)
    if usual <= 0:
        return None
    recent = sum((days.get(d, ZERO) for d in recent_days), ZERO) / len(recent_work)
    drop = (usual - recent) / usual
    if drop < threshold:
        return None
    if counts:
        expected = usual * len(recent_work)
        if expected - recent * len(recent_work) < 2 * expected.sqrt():
            return None
    return Falling(recent, usual, drop)


def falling_span(as_of: date, weeks: int = FALLING_WEEKS) -> tuple[date, date]:
    """The first and last day `falling` looks at."""
    recent, base = _windows(as_of, weeks)
    return base[0], recent[-1]


@functools.lru_cache(maxsize=64)
def _windows(as_of: date, weeks: int) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """The last seven days to as_of, and the `weeks` weeks before them (shared by sellers)."""
    recent_start = as_of - timedelta(days=6)
    base_start = recent_start - timedelta(days=7 * weeks)
    recent = tuple(recent_start + timedelta(days=i) for i in range(7))
    return recent, tuple(base_start + timedelta(days=i) for i in range(7 * weeks))


@dataclass(frozen=True)
class PaceShort:
    forecast: Decimal
    plan: Decimal
    share: Decimal  # forecast / plan
    needed: Decimal | None  # per working day left, to make the plan
    current: Decimal  # per working day so far


def pace_short(
    fact: Decimal | None,
    plan: Decimal | None,
    forecast: Decimal | None,
    required_pace: Decimal | None,
    working_days_passed: int,
    threshold: Decimal = PACE_SHORT,
) -> PaceShort | None:
    """The month will be missed at the current run rate."""
    if fact is None or not plan or plan <= 0 or forecast is None:
        return None
    if working_days_passed < PACE_MIN_DAYS:
        return None
    share = forecast / plan
    if share >= threshold:
        return None
    return PaceShort(forecast, plan, share, required_pace, fact / working_days_passed)


def mismatch(reported: Decimal, recorded: Decimal) -> Decimal | None:
    """The gap between a typed figure and the recorded one, when it matters."""
    gap = reported - recorded
    if abs(gap) < MISMATCH_MIN:
        return None
    base = max(abs(recorded), abs(reported))
    if base == 0 or abs(gap) / base < MISMATCH_SHARE:
        return None
    return gap
