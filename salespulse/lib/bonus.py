"""Bonus arithmetic: what a scheme pays for a month's figures. Plain Python, no Django.

A scheme is a base salary and a short list of components:

- `PerUnit`: ₽ per unit of a KPI (a lead, a deal), or a percentage of a money KPI (deal
  sum), optionally only for what is above a threshold; optionally capped;
- `ByCompletion`: a KPI's completion of plan mapped by a `Curve` to a share of a target
  bonus (a ladder or a line, with a gate, an accelerator above 100 % and a cap);
- `Weighted`: a target bonus split over KPIs by weights, each part paid by its own curve;
  optionally one part below its gate zeroes all of them;
- `Team`: a multiplier of everything above from the department's completion of a KPI.

Lower-is-better KPIs pay on their inverted completion (plan / fact), as the engine
computes it. Money is Decimal throughout; the bonus is rounded to whole rubles once, at the
end, and the components' shown amounts are whole rubles that add up to it exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from salespulse.lib.kpi import Direction, KpiDef, Result, completion_of

ZERO = Decimal(0)
ONE = Decimal(1)
RUBLE = Decimal(1)


def rubles(amount: Decimal) -> Decimal:
    """Whole rubles, half up: the one rounding of a bonus."""
    return amount.quantize(RUBLE, ROUND_HALF_UP)


# -- curves ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    """Completion (1 = plan) to a share of a target (1 = the whole target).

    - below `gate` nothing is paid (exactly at the gate it pays);
    - with `steps` ((completion, share) pairs, both rising) it is a ladder: the share of
      the highest step reached; without steps it is a line: share = completion;
    - above 100 % each further unit of completion adds `accelerator` × that unit (a line's
      slope there; on a ladder, on top of its steps);
    - never more than `cap` (a share), when set.
    """

    gate: Decimal = ZERO
    steps: tuple[tuple[Decimal, Decimal], ...] = ()
    accelerator: Decimal | None = None  # None: 1 for a line, 0 for a ladder
    cap: Decimal | None = None

    def __post_init__(self) -> None:
        ats = [a for a, _ in self.steps]
        shares = [s for _, s in self.steps]
        if ats != sorted(ats) or len(set(ats)) != len(ats):
            raise ValueError("steps must go up in completion")
        if shares != sorted(shares):
            raise ValueError("a higher step cannot pay less than a lower one")
        if any(v < 0 for v in (self.gate, *ats, *shares)):
            raise ValueError("gates and steps are not negative")
        if self.accelerator is not None and self.accelerator < 0:
            raise ValueError("the accelerator is not negative")
        if self.cap is not None and self.cap < 0:
            raise ValueError("the cap is not negative")

    @property
    def slope_above_plan(self) -> Decimal:
        if self.accelerator is not None:
            return self.accelerator
        return ZERO if self.steps else ONE

    def share(self, completion: Decimal | None) -> Decimal:
        if completion is None or completion < self.gate:
            return ZERO
        if self.steps:
            reached = [s for at, s in self.steps if completion >= at]
            share = reached[-1] if reached else ZERO
            if completion > ONE:
                share += (completion - ONE) * self.slope_above_plan
        elif completion > ONE:
            share = ONE + (completion - ONE) * self.slope_above_plan
        else:
            share = completion
        return min(share, self.cap) if self.cap is not None else share

    def thresholds(self) -> list[tuple[Decimal, str]]:
        """Completions where the payout jumps: the gate and each step."""
        found = {at: "step" for at, _ in self.steps}
        if self.gate > 0:
            found[self.gate] = "gate"  # below it nothing at all: say so
        return sorted(found.items())


# -- components ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerUnit:
    """`rate` ₽ per unit of `kpi` above `threshold` (a percentage: rate = 0.03 of a sum)."""

    name: str
    kpi: str
    rate: Decimal
    threshold: Decimal = ZERO
    cap: Decimal | None = None  # ₽
    percent: bool = False  # shown as "3 % of" rather than "₽ per"

    def kpis(self) -> list[str]:
        return [self.kpi]


@dataclass(frozen=True)
class ByCompletion:
    name: str
    kpi: str
    target: Decimal  # ₽ paid at a share of 1
    curve: Curve

    def kpis(self) -> list[str]:
        return [self.kpi]


@dataclass(frozen=True)
class Part:
    kpi: str
    weight: Decimal  # the weights of a Weighted component add up to 1
    curve: Curve


@dataclass(frozen=True)
class Weighted:
    name: str
    target: Decimal
    parts: tuple[Part, ...]
    gate_zeroes_all: bool = False

    def __post_init__(self) -> None:
        if not self.parts:
            raise ValueError("a weighted bonus needs at least one KPI")
        if sum((p.weight for p in self.parts), ZERO) != ONE:
            raise ValueError("the weights must add up to 100 %")

    def kpis(self) -> list[str]:
        return [p.kpi for p in self.parts]


@dataclass(frozen=True)
class Team:
    """Multiplies the components before it by the department's completion of `kpi`:
    `steps` are (completion, multiplier) pairs; below the first step `below` applies."""

    name: str
    kpi: str
    steps: tuple[tuple[Decimal, Decimal], ...]
    below: Decimal = ONE

    def __post_init__(self) -> None:
        ats = [a for a, _ in self.steps]
        factors = [self.below, *(f for _, f in self.steps)]
        if ats != sorted(ats) or len(set(ats)) != len(ats):
            raise ValueError("team steps must go up in completion")
        if factors != sorted(factors) or factors[0] < 0:
            raise ValueError("a higher team step cannot multiply by less")

    def factor(self, completion: Decimal | None) -> Decimal:
        if completion is None:
            return self.below
        reached = [f for at, f in self.steps if completion >= at]
        return reached[-1] if reached else self.below

    def kpis(self) -> list[str]:
        return []  # the department's figure, not the seller's


Component = PerUnit | ByCompletion | Weighted | Team


@dataclass(frozen=True)
class Scheme:
    name: str
    base: Decimal
    components: tuple[Component, ...]

    def kpis(self) -> list[str]:
        """The seller's KPIs the scheme reads, in order, once each."""
        seen: dict[str, None] = {}
        for c in self.components:
            for code in c.kpis():
                seen.setdefault(code)
        return list(seen)

    def team_kpis(self) -> list[str]:
        return [c.kpi for c in self.components if isinstance(c, Team)]


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """What a component is paid on: a fact and the plan it is judged against."""

    fact: Decimal | None
    plan: Decimal | None
    direction: Direction = Direction.HIGHER

    @property
    def completion(self) -> Decimal | None:
        return completion_of(self.fact, self.plan, self.direction)


def figure_now(result: Result, kpi: KpiDef) -> Figure:
    """The bonus earned at the cut-off: the finished part's fact against the month's plan
    (a ladder at 100 % is reached when the month's plan is). A level (average check,
    share) is judged against its planned level; an additive lower-is-better KPI (a cost)
    on its forecast, since a cost so far is not a saving."""
    if kpi.additive and kpi.direction is Direction.HIGHER:
        return Figure(result.fact, result.plan, kpi.direction)
    if kpi.additive:
        return Figure(result.forecast, result.plan, kpi.direction)
    return Figure(result.fact, result.plan_to_date, kpi.direction)


def figure_projected(result: Result, kpi: KpiDef) -> Figure:
    """At the current pace: the engine's forecast for the month (a level stays a level)."""
    if kpi.additive:
        forecast = result.forecast if result.forecast is not None else result.fact
        return Figure(forecast, result.plan, kpi.direction)
    return figure_now(result, kpi)


# -- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    name: str
    kpi: str  # "" for a weighted bonus over several KPIs
    rule: str  # per_unit, percent, completion, weighted, team
    fact: Decimal | None
    completion: Decimal | None
    exact: Decimal  # unrounded ₽
    amount: Decimal = ZERO  # whole ₽; the lines' amounts add up to the bonus


@dataclass(frozen=True)
class Payout:
    base: Decimal
    lines: tuple[Line, ...]
    exact: Decimal  # the components' sum, unrounded
    bonus: Decimal  # whole rubles
    total: Decimal  # base + bonus


def evaluate(
    scheme: Scheme,
    figures: Mapping[str, Figure],
    team: Mapping[str, Decimal | None] | None = None,
) -> Payout:
    """The scheme's payout for a seller's figures (by KPI code) and the department's
    completion (by KPI code, for team multipliers)."""
    team = team or {}
    lines: list[Line] = []
    running = ZERO
    for c in scheme.components:
        line = _line(c, figures, team, running)
        running += line.exact
        lines.append(line)
    bonus = rubles(running)
    shown = _allocate([line.exact for line in lines], bonus)
    lines = [replace(line, amount=a) for line, a in zip(lines, shown, strict=True)]
    return Payout(scheme.base, tuple(lines), running, bonus, scheme.base + bonus)


def _line(
    c: Component,
    figures: Mapping[str, Figure],
    team: Mapping[str, Decimal | None],
    before: Decimal,
) -> Line:
    if isinstance(c, PerUnit):
        f = figures.get(c.kpi, Figure(None, None))
        fact = f.fact if f.fact is not None else ZERO
        units = fact - c.threshold if f.direction is Direction.HIGHER else c.threshold - fact
        amount = max(units, ZERO) * c.rate
        if c.cap is not None:
            amount = min(amount, c.cap)
        rule = "percent" if c.percent else "per_unit"
        return Line(c.name, c.kpi, rule, f.fact, f.completion, amount)
    if isinstance(c, ByCompletion):
        f = figures.get(c.kpi, Figure(None, None))
        amount = c.target * c.curve.share(f.completion)
        return Line(c.name, c.kpi, "completion", f.fact, f.completion, amount)
    if isinstance(c, Weighted):
        completions = [figures.get(p.kpi, Figure(None, None)).completion for p in c.parts]
        below = any(
            comp is None or comp < p.curve.gate
            for p, comp in zip(c.parts, completions, strict=True)
        )
        amount = ZERO
        if not (c.gate_zeroes_all and below):
            amount = sum(
                (
                    c.target * p.weight * p.curve.share(comp)
                    for p, comp in zip(c.parts, completions, strict=True)
                ),
                ZERO,
            )
        # The weighted completion, for the table.
        known = [p.weight * comp for p, comp in zip(c.parts, completions, strict=True) if comp]
        completion = sum(known, ZERO) if known else None
        return Line(c.name, "", "weighted", None, completion, amount)
    completion = team.get(c.kpi)
    amount = before * (c.factor(completion) - ONE)
    return Line(c.name, c.kpi, "team", None, completion, amount)


def _allocate(exact: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """Whole rubles for each amount adding up to `total`: each rounded down, then the
    rubles left over go to the largest remainders (ties to the earlier line)."""
    floors = [a.to_integral_value(rounding="ROUND_FLOOR") for a in exact]
    left = int(total - sum(floors, ZERO))
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    # 0 <= left <= len(exact): the total is the exact sum rounded, the floors lose < 1 each.
    result = list(floors)
    for i in order[:left]:
        result[i] += 1
    return result


# -- what the next step takes ----------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    kpi: str
    more: Decimal  # how much the fact has to grow (lower-is-better: to fall)
    gain: Decimal  # whole rubles the bonus grows by
    kind: str  # "step" or "gate" of a curve at `at`, a per-unit "threshold", one more "unit"
    at: Decimal | None = None  # the completion of a step or gate
    direction: Direction = Direction.HIGHER


UNIT_STEP = {"count": Decimal(1), "money": Decimal(1), "duration": Decimal(1)}


def next_step(
    scheme: Scheme,
    figures: Mapping[str, Figure],
    team: Mapping[str, Decimal | None] | None = None,
    units: Mapping[str, str] | None = None,
) -> NextStep | None:
    """The nearest threshold that pays more: the gate or step of a curve, or a per-unit
    threshold, the one that takes the least (relative to the plan); failing those, one
    more unit of a per-unit KPI."""
    units = units or {}
    now = evaluate(scheme, figures, team).bonus
    candidates: list[tuple[Decimal, NextStep]] = []
    for code, at, kind in _thresholds(scheme):
        f = figures.get(code)
        if f is None or f.fact is None or f.plan is None or f.plan <= 0:
            continue
        target = f.plan * at if f.direction is Direction.HIGHER else f.plan / at
        if not _short_of(f, target):
            continue
        step = _step_to(scheme, figures, team, code, f, target, now, kind, units, at)
        if step is not None:
            candidates.append((step.more / f.plan, step))
    if candidates:
        return min(candidates, key=lambda c: c[0])[1]
    for c in scheme.components:
        f = figures.get(c.kpi) if isinstance(c, PerUnit) else None
        if f is None or f.fact is None:
            continue
        quantum = UNIT_STEP.get(units.get(c.kpi, ""), Decimal("0.01"))
        # Below a threshold nothing is paid until one unit past it.
        if f.direction is Direction.HIGHER:
            target = max(f.fact, c.threshold) + quantum
        else:
            target = min(f.fact, c.threshold) - quantum
        kind = "threshold" if _short_of(f, c.threshold) and c.threshold else "unit"
        step = _step_to(scheme, figures, team, c.kpi, f, target, now, kind, units)
        if step is not None:
            return step
    return None


def _thresholds(scheme: Scheme) -> list[tuple[str, Decimal, str]]:
    """(KPI, completion, kind) of every gate and step of the scheme's curves."""
    found: list[tuple[str, Decimal, str]] = []
    for c in scheme.components:
        if isinstance(c, ByCompletion):
            found += [(c.kpi, at, kind) for at, kind in c.curve.thresholds()]
        elif isinstance(c, Weighted):
            for p in c.parts:
                found += [(p.kpi, at, kind) for at, kind in p.curve.thresholds()]
    return found


def _short_of(f: Figure, target: Decimal) -> bool:
    assert f.fact is not None
    return f.fact < target if f.direction is Direction.HIGHER else f.fact > target


def _step_to(
    scheme: Scheme,
    figures: Mapping[str, Figure],
    team: Mapping[str, Decimal | None] | None,
    code: str,
    f: Figure,
    target: Decimal,
    now: Decimal,
    kind: str,
    units: Mapping[str, str],
    at: Decimal | None = None,
) -> NextStep | None:
    assert f.fact is not None
    quantum = UNIT_STEP.get(units.get(code, ""), Decimal("0.01"))
    if f.direction is Direction.HIGHER:
        more = _up_to((target - f.fact), quantum)
        reached = f.fact + more
    else:
        more = _up_to((f.fact - target), quantum)
        reached = f.fact - more
    changed = {**figures, code: replace(f, fact=reached)}
    gain = evaluate(scheme, changed, team).bonus - now
    if gain <= 0 or more <= 0:
        return None
    return NextStep(code, more, gain, kind, at, f.direction)


def _up_to(amount: Decimal, quantum: Decimal) -> Decimal:
    """`amount` rounded up to whole quanta: 5.2 leads are 6."""
    return (amount / quantum).to_integral_value(ROUND_CEILING) * quantum


# -- which version is in force ---------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Version:
    """A scheme valid from the first day of a month on, until a later version of it."""

    valid_from: date
    scheme: Any = field(compare=False)  # a Scheme, or whatever stores one


def in_force(versions: Sequence[Version], month_start: date) -> Any:
    """The version valid in the month starting on `month_start`: the latest that began on
    or before it. A version from a later month does not change this one."""
    valid = [v for v in versions if v.valid_from <= month_start]
    return max(valid).scheme if valid else None


__all__ = [
    "ByCompletion",
    "Curve",
    "Figure",
    "Line",
    "NextStep",
    "Part",
    "PerUnit",
    "Payout",
    "Scheme",
    "Team",
    "Version",
    "Weighted",
    "evaluate",
    "figure_now",
    "figure_projected",
    "in_force",
    "next_step",
    "rubles",
]
