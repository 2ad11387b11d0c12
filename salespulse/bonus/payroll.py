"""Each seller's bonus statement for a month: from the same facts and cut-off as every
other screen (`figures.seller(employee, code, period, cut)`), or, once the head has closed
the month, as it was frozen then.

A correction of a closed month's facts does not change what was paid: it shows as an
adjustment on the next month's statement (the month recomputed now, less what was paid).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salespulse.bonus.models import ClosedMonth, Payout
from salespulse.bonus.schemes import schemes_for
from salespulse.kpis.figures import Figures, load, sellers_queryset, span_for
from salespulse.kpis.models import Kpi
from salespulse.lib import bonus
from salespulse.lib.cutoff import Cutoff, team_cutoff
from salespulse.lib.kpi import Direction, Result
from salespulse.lib.periods import Period
from salespulse.org.models import Department, Employee
from salespulse.reports.cutoffs import cutoffs

CENT = Decimal("0.01")
COMPLETION_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Basis:
    """A KPI figure the bonus came from."""

    kpi: str
    fact: Decimal | None
    plan: Decimal | None
    completion: Decimal | None


@dataclass(frozen=True)
class Statement:
    seller: str  # login
    month: date  # first day
    scheme: str  # the scheme's name
    base: Decimal
    components: tuple[bonus.Line, ...]
    bonus: Decimal
    total: Decimal
    projected: Decimal | None  # the bonus at the current pace, for the month
    next_step: bonus.NextStep | None
    basis: tuple[Basis, ...] = ()
    closed: bool = False  # frozen when the head closed the month
    adjustment: Decimal | None = None  # the previous (closed) month recomputed, less paid
    final: bool = False  # the month is over at the cut-off: no pace, no next step

    @property
    def to_pay(self) -> Decimal:
        return self.total + (self.adjustment or 0)

    def to_data(self) -> dict[str, Any]:
        """The JSON row of `salespulse bonus` (money and figures as decimal strings)."""
        step = self.next_step
        return {
            "seller": self.seller,
            "month": self.month.isoformat()[:7],
            "scheme": self.scheme,
            "base": _s(self.base),
            "components": [
                {
                    "name": c.name,
                    "kpi": c.kpi,
                    "rule": c.rule,
                    "fact": _s(c.fact),
                    "completion": _s(c.completion, COMPLETION_PLACES),
                    "amount": _s(c.amount),
                }
                for c in self.components
            ],
            "bonus": _s(self.bonus),
            "total": _s(self.total),
            "projected": _s(self.projected),
            "next_step": None
            if step is None
            else {
                "kpi": step.kpi,
                "more": _s(step.more),
                "gain": _s(step.gain),
                "kind": step.kind,
                "at": _s(step.at, COMPLETION_PLACES),
                "direction": step.direction.value,
            },
            "facts": [
                {
                    "kpi": b.kpi,
                    "fact": _s(b.fact),
                    "plan": _s(b.plan),
                    "completion": _s(b.completion, COMPLETION_PLACES),
                }
                for b in self.basis
            ],
            "closed": self.closed,
            "adjustment": _s(self.adjustment),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Statement:
        step = data.get("next_step")
        return cls(
            seller=data["seller"],
            month=date.fromisoformat(data["month"] + "-01"),
            scheme=data.get("scheme", ""),
            base=Decimal(data["base"]),
            components=tuple(
                bonus.Line(
                    c["name"],
                    c["kpi"],
                    c["rule"],
                    _d(c["fact"]),
                    _d(c["completion"]),
                    Decimal(c["amount"]),
                    Decimal(c["amount"]),
                )
                for c in data["components"]
            ),
            bonus=Decimal(data["bonus"]),
            total=Decimal(data["total"]),
            projected=_d(data.get("projected")),
            next_step=None
            if not step
            else bonus.NextStep(
                step["kpi"],
                Decimal(step["more"]),
                Decimal(step["gain"]),
                step["kind"],
                _d(step.get("at")),
                Direction(step.get("direction", "higher")),
            ),
            basis=tuple(
                Basis(b["kpi"], _d(b["fact"]), _d(b["plan"]), _d(b["completion"]))
                for b in data.get("facts", [])
            ),
            closed=bool(data.get("closed")),
            final=True,  # only a month that is over is frozen
            adjustment=_d(data.get("adjustment")),
        )


def _s(value: Decimal | None, places: Decimal = CENT) -> str | None:
    if value is None:
        return None
    rounded = value.quantize(places, ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return str(rounded.quantize(Decimal(1)))
    # Kopecks keep two places ("0.50"); a completion drops its trailing zeros ("0.375").
    return str(rounded) if places == CENT else format(rounded.normalize(), "f")


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass
class _Context:
    """What computing many statements shares: figures, cut-offs, team completions."""

    figures: Figures
    cuts: dict[int, Cutoff]
    today: date
    team_cache: dict[tuple[int, str], Decimal | None] = field(default_factory=dict)


def statements(
    employees: Sequence[Employee],
    period: Period,
    day: date | None = None,
    *,
    adjustments: bool = False,
) -> list[Statement]:
    """A statement for each seller of `employees` with a scheme in force in the month, at
    each seller's cut-off (`day`: everyone cut on that day, as `salespulse kpis --date`).

    A closed month gives what was frozen; with `adjustments`, a correction of the closed
    month before shows on this one.
    """
    employees = list(employees)
    frozen = _frozen(employees, period.start)
    live = [e for e in employees if e.pk not in frozen]
    computed = {s.seller: s for s in _compute(live, period, day)}
    result = []
    for e in employees:
        statement = frozen.get(e.pk) or computed.get(e.login)
        if statement is not None:
            result.append(statement)
    if adjustments and result:
        result = _with_adjustments(employees, period, result, day)
    return result


def preview(employees: Sequence[Employee], period: Period, scheme: bonus.Scheme) -> list[Statement]:
    """What `scheme` would pay each seller for `period` (a form's preview; nothing saved)."""
    return _compute(list(employees), period, None, override=scheme)


def _compute(
    employees: list[Employee],
    period: Period,
    day: date | None,
    override: bonus.Scheme | None = None,
) -> list[Statement]:
    if override is not None:
        parsed = {e.pk: override for e in employees}
    else:
        found = schemes_for(employees, period.start)
        parsed = {pk: s.parsed() for pk, s in found.items() if s is not None}
    if not parsed:
        return []
    wanted = {c for s in parsed.values() for c in s.kpis() + s.team_kpis()}
    # A KPI deleted after a scheme named it has no figures: that part pays nothing.
    codes = set(Kpi.objects.filter(code__in=wanted).values_list("code", flat=True))
    teams = {e.department_id for e in employees if e.pk in parsed and parsed[e.pk].team_kpis()}
    # A team multiplier reads the whole department, not only the sellers asked about.
    members = list(employees)
    if teams:
        known = {e.pk for e in employees}
        members += [
            e for e in sellers_queryset().filter(department_id__in=teams) if e.pk not in known
        ]
    cuts = cutoffs(members, day=day)
    ctx = _Context(load(members, *span_for(period), kpi_codes=codes), cuts, day or _today(cuts))
    result = []
    for e in employees:
        if e.pk in parsed:
            result.append(_statement(ctx, e, period, parsed[e.pk], members))
    return result


def _today(cuts: dict[int, Cutoff]) -> date:
    """The team's today when each seller is cut on their own: the latest of theirs (a team
    is finished once all its members have closed their day)."""
    return max((c.today for c in cuts.values()), default=timezone.localdate())


def _statement(
    ctx: _Context,
    employee: Employee,
    period: Period,
    scheme: bonus.Scheme,
    members: list[Employee],
) -> Statement:
    cut = ctx.cuts[employee.pk]
    catalogue = ctx.figures.catalogue
    results: dict[str, Result] = {
        code: ctx.figures.seller(employee, code, period, cut)
        for code in scheme.kpis()
        if code in catalogue
    }
    now = {c: bonus.figure_now(r, catalogue[c]) for c, r in results.items()}
    projected = {c: bonus.figure_projected(r, catalogue[c]) for c, r in results.items()}
    team_now: dict[str, Decimal | None] = {}
    team_projected: dict[str, Decimal | None] = {}
    for code in scheme.team_kpis():
        if code in catalogue:
            team_now[code], team_projected[code] = _team(ctx, employee, code, period, members)
    units = {c: catalogue[c].unit for c in results}
    payout = bonus.evaluate(scheme, now, team_now)
    return Statement(
        seller=employee.login,
        month=period.start,
        scheme=scheme.name,
        base=payout.base,
        components=payout.lines,
        bonus=payout.bonus,
        total=payout.total,
        projected=bonus.evaluate(scheme, projected, team_projected).bonus,
        next_step=bonus.next_step(scheme, now, team_now, units),
        basis=tuple(Basis(c, f.fact, f.plan, f.completion) for c, f in now.items()),
        final=cut.finished_end(period) >= period.end,
    )


def _team(
    ctx: _Context, employee: Employee, code: str, period: Period, members: list[Employee]
) -> tuple[Decimal | None, Decimal | None]:
    """The department's completion of `code` now and at the current pace."""
    key = (employee.department_id, code)
    if key not in ctx.team_cache:
        own = [ctx.cuts[m.pk] for m in members if m.department_id == employee.department_id]
        cut = team_cutoff(ctx.today, own)
        result = ctx.figures.team(employee.department, code, period, cut)
        kpi = ctx.figures.catalogue[code]
        ctx.team_cache[key] = (
            bonus.figure_now(result, kpi).completion,
            bonus.figure_projected(result, kpi).completion,
        )
    return ctx.team_cache[key]


# -- closed months ---------------------------------------------------------------------------


def _frozen(employees: Sequence[Employee], month: date) -> dict[int, Statement]:
    rows = Payout.objects.filter(
        employee_id__in=[e.pk for e in employees], closed__month=month
    ).values_list("employee_id", "row")
    return {pk: Statement.from_data(row) for pk, row in rows}


def is_closed(department: Department, month: date) -> ClosedMonth | None:
    return ClosedMonth.objects.filter(department=department, month=month).first()


class CannotClose(Exception):
    pass


def close_month(
    department: Department, period: Period, user: AbstractBaseUser | None, today: date
) -> ClosedMonth:
    """Freeze the department's statements of a month that is over (judged whole)."""
    if period.end >= today:
        raise CannotClose(_("The month is not over yet."))
    sellers = list(sellers_queryset().filter(department=department))
    computed = statements(sellers, period, today, adjustments=True)
    by_login = {e.login: e for e in sellers}
    try:
        with transaction.atomic():
            closed = ClosedMonth.objects.create(
                department=department, month=period.start, closed_by=user
            )
            Payout.objects.bulk_create(
                Payout(
                    closed=closed,
                    employee=by_login[s.seller],
                    row={**s.to_data(), "closed": True},
                )
                for s in computed
            )
    except IntegrityError:
        raise CannotClose(_("The month is already closed.")) from None
    return closed


def _with_adjustments(
    employees: Sequence[Employee], period: Period, result: list[Statement], day: date | None
) -> list[Statement]:
    """The closed month before, recomputed from today's facts, less what was paid."""
    previous = period.previous()
    paid = _frozen(employees, previous.start)
    if not paid:
        return result
    recomputed = _compute([e for e in employees if e.pk in paid], previous, day)
    again = {s.seller: s for s in recomputed}
    by_login = {e.login: e.pk for e in employees}
    adjusted = []
    for s in result:
        before = paid.get(by_login[s.seller])
        now = again.get(s.seller)
        if s.closed or before is None or now is None or now.bonus == before.bonus:
            adjusted.append(s)
            continue
        adjusted.append(replace(s, adjustment=now.bonus - before.bonus))
    return adjusted
