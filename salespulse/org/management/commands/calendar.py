"""`salespulse calendar YEAR`: the production calendar the plans are spread over."""

import json
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from salespulse.lib.workcal import MonthSummary, WorkCalendar
from salespulse.org.calendars import company_calendar

FORMATS = ("table", "json")
MIN_YEAR, MAX_YEAR = 1900, 2100


class Command(BaseCommand):
    help = (
        "Print the production calendar of a year: working days per month, weekdays off and "
        "working weekends. The company's own exceptions apply to the company's country."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Year and format are checked here rather than by argparse so that every bad input
        # ends in the same one-line CommandError, from the shell and from call_command alike.
        parser.add_argument("year", help=f"{MIN_YEAR}–{MAX_YEAR}")
        parser.add_argument(
            "--country",
            default=settings.SALESPULSE_COUNTRY,
            help="ISO 3166-1 alpha-2 code (default: %(default)s, the company's country)",
        )
        parser.add_argument("--format", default="table", help="table (default) or json")

    def handle(self, *args: object, **options: object) -> None:
        year = self._year(str(options["year"]))
        output_format = str(options["format"]).strip().lower()
        if output_format not in FORMATS:
            raise CommandError(
                f"Unknown format: {options['format']} (expected one of: {', '.join(FORMATS)})"
            )
        calendar = self._calendar(str(options["country"]))
        months = calendar.year(year)
        if output_format == "json":
            self.stdout.write(json.dumps(as_json(year, calendar.country, months), indent=2))
        else:
            self.stdout.write(as_table(year, calendar.country, months))

    def _year(self, text: str) -> int:
        try:
            year = int(text)
        except ValueError:
            raise CommandError(f"Year must be an integer, got {text!r}") from None
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CommandError(f"Year must be between {MIN_YEAR} and {MAX_YEAR}, got {year}")
        return year

    def _calendar(self, country: str) -> WorkCalendar:
        try:
            # The company's exceptions describe its own country; they mean nothing elsewhere.
            if country.strip().upper() == settings.SALESPULSE_COUNTRY.strip().upper():
                return company_calendar()
            return WorkCalendar(country)
        except ValueError as exc:
            raise CommandError(str(exc)) from None


def as_json(year: int, country: str, months: list[MonthSummary]) -> dict[str, object]:
    return {
        "year": year,
        "country": country,
        "months": [
            {
                "month": m.month,
                "working_days": m.working_days,
                "days_off": [day.isoformat() for day in m.days_off],
                "working_weekends": [day.isoformat() for day in m.working_weekends],
            }
            for m in months
        ],
        "total_working_days": sum(m.working_days for m in months),
    }


def as_table(year: int, country: str, months: list[MonthSummary]) -> str:
    def dates(days: list[date]) -> str:
        return ", ".join(f"{day:%d.%m.%Y}" for day in days) or "—"

    header = [_("Month"), _("Working days"), _("Weekdays off"), _("Working weekends")]
    rows = [
        [str(MONTHS[m.month]), str(m.working_days), dates(m.days_off), dates(m.working_weekends)]
        for m in months
    ]
    total = [_("Total"), str(sum(m.working_days for m in months)), "", ""]
    # The last column is not padded, so lines carry no trailing spaces.
    widths = [max(len(row[i]) for row in [header, *rows, total]) for i in range(3)]

    def line(cells: list[str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[3]]).rstrip()

    title = _("Production calendar %(year)s, %(country)s") % {"year": year, "country": country}
    return "\n".join([title, "", line(header), *map(line, rows), line(total)])
