"""`salespulse kpis`: plan against fact for sellers and departments, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from salespulse.kpis.report import Row, kpi_rows, sellers_for_scope
from salespulse.lib import fmt
from salespulse.lib.cutoff import team_cutoff
from salespulse.lib.periods import Kind, Period
from salespulse.org.models import Department, Employee
from salespulse.reports.cutoffs import cutoffs

FORMATS = ("table", "json", "csv")
COLUMNS = (
    "seller",
    "department",
    "kpi",
    "unit",
    "plan",
    "plan_to_date",
    "fact",
    "completion",
    "forecast",
    "required_pace",
)
FIGURES = ("plan", "plan_to_date", "fact", "forecast", "required_pace")
CENT = Decimal("0.01")
COMPLETION_PLACES = Decimal("0.0001")

PERIOD_NAMES = {
    Kind.DAY: "день",
    Kind.WEEK: "неделя",
    Kind.MONTH: "месяц",
    Kind.QUARTER: "квартал",
    Kind.YEAR: "год",
    Kind.RANGE: "период",
}


class Command(BaseCommand):
    help = (
        "Plan, fact, completion, forecast and the required pace of every KPI of the sellers "
        "in a scope over a period, judged as every screen judges them: --date picks the "
        "period and the cut-off. The finished part ends the day before --date (or on it, for "
        "a seller who has closed that day's report); that day's own figures are its "
        "progress, and the required pace counts it among the days left. A period already over "
        "is judged whole. Without --date: each seller's own local today; a range is cut on "
        "today."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Values are checked in handle() rather than by argparse choices, so every bad input
        # ends in the same one-line CommandError from the shell and from call_command alike.
        parser.add_argument("--scope", default="all", help="all, department:CODE or seller:LOGIN")
        parser.add_argument(
            "--period",
            default=None,
            help="day, week, month (default), quarter, year or range (--to alone means range)",
        )
        parser.add_argument(
            "--date",
            default=None,
            help="YYYY-MM-DD: picks the period and the cut-off (default: today)",
        )
        parser.add_argument("--to", default=None, help="YYYY-MM-DD: the last day of a range")
        parser.add_argument("--format", default="table", help="table (default), json or csv")
        parser.add_argument("--totals", action="store_true", help="add department totals")

    def handle(self, *args: object, **options: object) -> None:
        output_format = str(options["format"]).strip().lower()
        if output_format not in FORMATS:
            raise CommandError(
                f"Unknown format: {options['format']} (expected one of: {', '.join(FORMATS)})"
            )
        today = timezone.localdate()
        period, cut_day = resolve_period(
            options["period"], options["date"], options["to"], today=today
        )
        scope = str(options["scope"]).strip()
        try:
            sellers = sellers_for_scope(scope)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if cut_day is not None and period.end < today:
            # A period that is over is judged whole, whichever of its days was named.
            cut_day = None
        cuts = cutoffs(sellers, day=cut_day)
        rows = kpi_rows(sellers, period, cuts, cut_day or today, totals=bool(options["totals"]))
        as_of = team_cutoff(cut_day or today, list(cuts.values())).finished_end(period)

        if output_format == "json":
            data = as_json(period, rows, as_of)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        elif output_format == "csv":
            self.stdout.write(as_csv(rows), ending="")
        else:
            self.stdout.write(as_table(scope, period, as_of, rows))


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"Bad date for {option}: {text!r} (use YYYY-MM-DD)") from None


def resolve_period(
    kind: object, day_text: object, to_text: object, *, today: date
) -> tuple[Period, date | None]:
    """The period asked for, and the day everyone is cut on (None: each seller's today)."""
    day = parse_day(str(day_text), "--date") if day_text is not None else today
    to = parse_day(str(to_text), "--to") if to_text is not None else None
    if kind is None:
        kind = Kind.RANGE if to is not None else Kind.MONTH
    try:
        kind = Kind(str(kind).strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in Kind)
        raise CommandError(f"Unknown period: {kind} (expected one of: {names})") from None
    if kind is Kind.RANGE and to is None:
        raise CommandError("A date range needs --to YYYY-MM-DD")
    if kind is not Kind.RANGE and to is not None:
        raise CommandError(f"--to goes with --period range only (got --period {kind.value})")
    if to is not None and to < day:
        raise CommandError(f"--to ({to.isoformat()}) is before --date ({day.isoformat()})")
    if kind is Kind.RANGE:
        # A range is judged like any period, at today's cut-off: a range in the past is
        # finished, one running into the future is finished up to yesterday.
        return Period.of(kind, day, to), None
    return Period.of(kind, day), day if day_text is not None else None


# --- numbers for machines ----------------------------------------------------------------


def machine_decimal(value: Decimal | None, unit: str) -> Decimal | None:
    """Money to the kopeck; other figures whole when they are whole, else to 2 places."""
    if value is None:
        return None
    rounded = value.quantize(CENT, ROUND_HALF_UP)
    if unit != "money" and rounded == rounded.to_integral_value():
        return rounded.quantize(Decimal(1))
    return rounded


def machine_completion(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(COMPLETION_PLACES, ROUND_HALF_UP)


def row_decimals(row: Row) -> dict[str, object]:
    r = row.result
    unit = row.kpi.unit
    data: dict[str, object] = {
        "seller": row.seller.login if row.seller else None,
        "department": row.department.code,
        "kpi": row.kpi.code,
        "unit": unit,
    }
    for name in FIGURES:
        data[name] = machine_decimal(getattr(r, name), unit)
    data["completion"] = machine_completion(r.completion)
    return {column: data[column] for column in COLUMNS}


def _json_value(value: object, unit: object) -> object:
    if not isinstance(value, Decimal):
        return value
    # Money stays a string so that no JSON reader turns kopecks into a binary fraction.
    if unit == "money":
        return str(value)
    return int(value) if value == value.to_integral_value() else float(value)


def row_dict(row: Row) -> dict[str, object]:
    data = row_decimals(row)
    result = {c: _json_value(v, data["unit"]) for c, v in data.items()}
    if data["completion"] is not None:
        result["completion"] = float(data["completion"])
    return result


def as_json(period: Period, rows: list[Row], as_of: date) -> dict[str, object]:
    return {
        "period": {
            "kind": period.kind.value,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            # The last finished day (lib.cutoff); before `start` when nothing is finished.
            "as_of": as_of.isoformat(),
        },
        "rows": [row_dict(row) for row in rows],
    }


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        data = row_decimals(row)
        writer.writerow(["" if data[c] is None else str(data[c]) for c in COLUMNS])
    return out.getvalue()


# --- the table for people ------------------------------------------------------------------


def scope_title(scope: str) -> str:
    kind, _, code = scope.partition(":")
    if kind == "department":
        return Department.objects.get(code=code).name
    if kind == "seller":
        employee = Employee.objects.select_related("user").get(user__username=code)
        return f"{employee} ({code})"
    return "Все отделы"


def as_table(scope: str, period: Period, as_of: date, rows: list[Row]) -> str:
    title = (
        f"{scope_title(scope)} · {PERIOD_NAMES[period.kind]} "
        f"{fmt.date_ru(period.start)}–{fmt.date_ru(period.end)}, "
        + (f"итоги по {fmt.date_ru(as_of)}" if as_of >= period.start else "день ещё идёт")
    )
    if not rows:
        return f"{title}\n\nНет продавцов."
    header = [
        "Менеджер",
        "Показатель",
        "План",
        "План на дату",
        "Факт",
        "Выполнение",
        "Прогноз",
        "Нужно в день",
    ]
    lines: list[list[str]] = []
    previous = None
    for row in rows:
        r = row.result
        who_key = (row.seller.pk if row.seller else None, row.department.pk)
        if row.seller is not None:
            who = str(row.seller)
        else:
            who = f"Итого: {row.department.name}"
        unit = row.kpi.unit
        lines.append(
            [
                who if who_key != previous else "",
                row.kpi.name_ru,
                fmt.value(r.plan, unit, "ru"),
                fmt.value(r.plan_to_date, unit, "ru"),
                fmt.value(r.fact, unit, "ru"),
                fmt.percent(r.completion, 0, "ru"),
                fmt.value(r.forecast, unit, "ru"),
                fmt.value(r.required_pace, unit, "ru"),
            ]
        )
        previous = who_key
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        # Names are read left to right, figures compared down a column: right-aligned.
        parts = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    body = []
    for i, line in enumerate(lines):
        if i and line[0]:
            body.append("")
        body.append(render(line))
    return "\n".join([title, "", render(header), *body])
