"""The sales funnel: calls → conversations → leads → deals → revenue, and where output is lost.

Plain Python over each seller's stage figures for a period (Decimal, or None where the
seller does not work that stage). The rules:

- **Stages.** A funnel keeps the stages of `STAGES` that at least one seller has a figure
  for, in that order. A stage nobody has is skipped and its neighbours become one step:
  with no leads anywhere, conversations → deals is a single step. Steps are the funnel's,
  not a seller's: a seller lacking a middle stage that colleagues have simply has no
  conversion on the two steps around it (we do not bridge the gap for them alone).
- **Conversion** of a step = output stage / input stage, None when either figure is
  missing or the input is 0. The last step, deals → revenue, is not a share but the
  average check (money per deal); it is treated exactly like a conversion, because a low
  check loses revenue just as a low conversion does. `Step.per_unit` tells it apart for
  display.
- **Median.** A step's team median is the median of the conversions of the sellers who
  have both stages with a non-zero input. No such seller: no median, nobody is compared.
- **Loss.** Where a seller converts below the median, the output they lost at that step
  is input × (median − conversion), in units of the step's output stage (`lost`). It is
  carried to the funnel's last stage through the seller's own later conversions (`loss`):
  that is what the shortfall costs in final output (revenue when the funnel has it). A
  later step the seller has no conversion on (no input, or they do not work that stage)
  carries at the team median, else at the team's overall conversion, else nothing.
- **Bottleneck.** A seller's bottleneck is their step with the largest `loss`; the team's
  is the step with the largest `loss` summed over sellers. Ties go to the step with the
  larger relative shortfall (median − conversion) / median, then upstream, so a seller
  below the median somewhere always has one, and one at or above it everywhere has none.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

STAGES: tuple[str, ...] = ("calls", "conversations", "leads", "deals_count", "deals_sum")
REVENUE = "deals_sum"
ZERO = Decimal(0)

Figures = Mapping[str, Decimal | None]


@dataclass(frozen=True)
class Step:
    src: str  # input stage
    dst: str  # output stage

    @property
    def key(self) -> str:
        return f"{self.src}-{self.dst}"

    @property
    def per_unit(self) -> bool:
        """Money per deal (the average check), not a share of the input."""
        return self.dst == REVENUE


@dataclass
class FunnelRow:
    key: Any  # what the caller identified the seller by; None for the team
    values: dict[str, Decimal | None]  # by stage of the funnel
    conversions: dict[Step, Decimal | None]
    lost: dict[Step, Decimal] = field(default_factory=dict)  # in the step's output units
    loss: dict[Step, Decimal] = field(default_factory=dict)  # in the last stage's units
    bottleneck: Step | None = None

    def gap(self, step: Step, median: Decimal | None) -> Decimal | None:
        """Conversion minus the median (negative below it)."""
        conversion = self.conversions.get(step)
        if conversion is None or median is None:
            return None
        return conversion - median


@dataclass(frozen=True)
class StepSummary:
    step: Step
    median: Decimal | None
    loss: Decimal  # summed over sellers, in the last stage's units
    lost: Decimal  # summed over sellers, in the step's output units
    below: int  # sellers converting below the median
    # The pooled conversion of the sellers below the median, minus the median: how far the
    # ones who lose output are from it (None when nobody is below).
    gap: Decimal | None


@dataclass
class Funnel:
    stages: tuple[str, ...]
    steps: tuple[Step, ...]
    team: FunnelRow
    sellers: list[FunnelRow]
    summaries: dict[Step, StepSummary]
    bottleneck: Step | None

    @property
    def medians(self) -> dict[Step, Decimal | None]:
        return {step: s.median for step, s in self.summaries.items()}

    @property
    def loss_by_step(self) -> dict[Step, Decimal]:
        return {step: s.loss for step, s in self.summaries.items()}

    @property
    def final_stage(self) -> str | None:
        return self.stages[-1] if self.stages else None

    def row(self, key: Hashable) -> FunnelRow | None:
        return next((r for r in self.sellers if r.key == key), None)


def conversion(base: Decimal | None, output: Decimal | None) -> Decimal | None:
    if base is None or output is None or base == 0:
        return None
    return output / base


def _median(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    lo, hi = ordered[mid - 1], ordered[mid]
    # (lo + hi) / 2 is rounded to the context's precision: kept between its two values, so
    # two sellers converting alike are both exactly at the median.
    return lo if lo == hi else min(max((lo + hi) / 2, lo), hi)


def _row(key: Any, figures: Figures, stages: tuple[str, ...], steps: tuple[Step, ...]) -> FunnelRow:
    values = {s: figures.get(s) for s in stages}
    conversions = {st: conversion(values[st.src], values[st.dst]) for st in steps}
    return FunnelRow(key=key, values=values, conversions=conversions)


def _shortfall(row: FunnelRow, step: Step, median: Decimal | None) -> Decimal | None:
    """(median − conversion) / median where the row is below a positive median."""
    own = row.conversions[step]
    if own is None or median is None or median <= 0 or own >= median:
        return None
    return (median - own) / median


def build(sellers: Mapping[Hashable, Figures]) -> Funnel:
    """The funnel of a team from each seller's stage figures (keys kept on the rows)."""
    stages = tuple(s for s in STAGES if any(f.get(s) is not None for f in sellers.values()))
    steps = tuple(Step(a, b) for a, b in zip(stages, stages[1:], strict=False))

    rows = [_row(key, figures, stages, steps) for key, figures in sellers.items()]
    team_values: dict[str, Decimal | None] = {}
    for s in stages:
        known = [r.values[s] for r in rows if r.values[s] is not None]
        team_values[s] = sum(known, ZERO) if known else None
    team = _row(None, team_values, stages, steps)

    medians = {
        st: _median([c for r in rows if (c := r.conversions[st]) is not None]) for st in steps
    }
    # What one more unit of a step's output becomes by the last stage, for each step after
    # a seller's shortfall: their own conversion, else the team's.
    fallback = {
        st: medians[st] if medians[st] is not None else team.conversions[st] for st in steps
    }

    for row in rows:
        for i, st in enumerate(steps):
            own, median = row.conversions[st], medians[st]
            base = row.values[st.src]
            if own is None or median is None or base is None or own >= median:
                row.lost[st] = row.loss[st] = ZERO
                continue
            lost = base * (median - own)
            carried = lost
            for later in steps[i + 1 :]:
                rate = row.conversions[later]
                if rate is None:
                    rate = fallback[later]
                carried = carried * rate if rate is not None else ZERO
            row.lost[st], row.loss[st] = lost, carried
        row.bottleneck = _worst(
            steps,
            {st: row.loss[st] for st in steps},
            {st: _shortfall(row, st, medians[st]) for st in steps},
        )

    summaries: dict[Step, StepSummary] = {}
    for st in steps:
        behind = [r for r in rows if _shortfall(r, st, medians[st]) is not None]
        gap = None
        if behind and medians[st] is not None:
            base = sum((r.values[st.src] or ZERO for r in behind), ZERO)
            out = sum((r.values[st.dst] or ZERO for r in behind), ZERO)
            pooled = conversion(base, out)
            gap = pooled - medians[st] if pooled is not None else None
        summaries[st] = StepSummary(
            step=st,
            median=medians[st],
            loss=sum((r.loss[st] for r in rows), ZERO),
            lost=sum((r.lost[st] for r in rows), ZERO),
            below=len(behind),
            gap=gap,
        )
    team.loss = {st: summaries[st].loss for st in steps}
    team.lost = {st: summaries[st].lost for st in steps}
    shortfalls: dict[Step, Decimal | None] = {}
    for st in steps:
        parts = [f for r in rows if (f := _shortfall(r, st, medians[st])) is not None]
        shortfalls[st] = sum(parts, ZERO) if parts else None
    team.bottleneck = _worst(steps, team.loss, shortfalls)
    return Funnel(
        stages=stages,
        steps=steps,
        team=team,
        sellers=rows,
        summaries=summaries,
        bottleneck=team.bottleneck,
    )


def _worst(
    steps: tuple[Step, ...],
    loss: Mapping[Step, Decimal],
    shortfall: Mapping[Step, Decimal | None],
) -> Step | None:
    """The step losing the most; only steps where someone is below the median count."""
    candidates = [st for st in steps if shortfall[st] is not None]
    if not candidates:
        return None
    # max() keeps the first of equals: the upstream step.
    return max(candidates, key=lambda st: (loss[st], shortfall[st]))
