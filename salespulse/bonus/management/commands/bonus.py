"""`salespulse bonus`: each seller's bonus for a month, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from salespulse.bonus.payroll import Statement, statements
from salespulse.bonus.wording import next_step_text
from salespulse.core.management.commands.kpis import resolve_period
from salespulse.kpis.models import Kpi
from salespulse.kpis.report import sellers_for_scope
from salespulse.lib import fmt
from salespulse.lib.periods import Kind

FORMATS = ("table", "json", "csv")
CSV_COLUMNS = (
    "seller",
    "month",
    "base",
    "bonus",
    "total",
    "projected",
    "adjustment",
    "component",
    "kpi",
    "rule",
    "fact",
    "completion",
    "amount",
)


class Command(BaseCommand):
    help = (
        "Each seller's bonus for the month of --date: base, every component with the fact "
        "and completion it came from, bonus, total, the bonus at the current pace "
        "(projected) and the nearest step. Judged at the same cut-off as `salespulse kpis`; "
        "a closed month gives what was frozen when it was closed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scope", default="all", help="all, department:CODE or seller:LOGIN")
        parser.add_argument("--period", default="month", help="month (the only one paid)")
        parser.add_argument("--date", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--format", default="table", help="table (default), json or csv")

    def handle(self, *args: object, **options: object) -> None:
        output = str(options["format"]).strip().lower()
        if output not in FORMATS:
            raise CommandError(f"Unknown format: {options['format']} (expected table, json, csv)")
        if str(options["period"]).strip().lower() != Kind.MONTH:
            raise CommandError("Bonuses are paid by the month: use --period month")
        today = timezone.localdate()
        period, day = resolve_period("month", options["date"], None, today=today)
        if day is not None and period.end < today:
            day = None  # a month that is over is judged whole
        try:
            sellers = sellers_for_scope(str(options["scope"]).strip())
        except ValueError as e:
            raise CommandError(str(e)) from None
        rows = statements(sellers, period, day, adjustments=True)
        if output == "json":
            data = [r.to_data() for r in rows]
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        elif output == "csv":
            self.stdout.write(as_csv(rows), ending="")
        else:
            names = {e.login: str(e) for e in sellers}
            with translation.override("ru"):
                self.stdout.write(as_table(rows, names, period.start.strftime("%m.%Y")))


def as_csv(rows: list[Statement]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        data = r.to_data()
        head = [data[c] for c in CSV_COLUMNS[:7]]
        for c in data["components"] or [{}]:
            tail = [c.get("name"), c.get("kpi"), c.get("rule"), c.get("fact")]
            tail += [c.get("completion"), c.get("amount")]
            writer.writerow(["" if v is None else v for v in head + tail])
    return out.getvalue()


def as_table(rows: list[Statement], names: dict[str, str], month: str) -> str:
    if not rows:
        return f"Премии за {month}\n\nНет продавцов со схемой премирования."
    kpis = {k.code: k for k in Kpi.objects.all()}
    header = ["Менеджер", "Оклад", "Премия", "Итого", "К концу месяца", "Следующая ступень"]
    lines = []
    for r in rows:
        step = r.next_step
        kpi = kpis.get(step.kpi) if step else None
        lines.append(
            [
                names.get(r.seller, r.seller) + (" (закрыт)" if r.closed else ""),
                fmt.rubles(r.base),
                fmt.rubles(r.bonus),
                fmt.rubles(r.total),
                fmt.rubles(r.projected),
                next_step_text(step, kpi.name_ru if kpi else "", kpi.unit if kpi else "number"),
            ]
        )
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if i in (0, 5) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([f"Премии за {month}", "", render(header), *map(render, lines)])
