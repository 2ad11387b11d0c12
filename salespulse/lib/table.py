"""A table as screens show it and exports write it: one structure, so the numbers agree.

A screen builds `Table`s from the KPI engine's results; the template renders the cells with
the Russian formatters, and the XLSX/CSV export writes the same values with number formats.
Cells hold raw values (Decimal, int, date, str or None), never pre-formatted text, so an
export never has to parse a string back into a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Units of a column: the KPI units of lib/fmt plus plain text and dates.
# A "percent" cell holds a fraction (0.875 shows as 88 %), like KPI completion.
UNITS = ("count", "money", "duration", "percent", "number", "text", "date")

Value = Decimal | int | date | str | None


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # already translated
    unit: str = "text"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"Unknown unit {self.unit!r} of column {self.key!r}")


@dataclass
class Table:
    name: str  # a file name stem for exports: latin letters, digits, dashes
    title: str  # already translated; the sheet's title
    columns: list[Column]
    rows: list[list[Value]] = field(default_factory=list)
    # Rows after the body (department totals): exported too, set apart on screen.
    footer: list[list[Value]] = field(default_factory=list)

    def add(self, *values: Value) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{self.name}: {len(values)} values for {len(self.columns)} columns")
        self.rows.append(list(values))

    def add_footer(self, *values: Value) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{self.name}: {len(values)} values for {len(self.columns)} columns")
        self.footer.append(list(values))

    def all_rows(self) -> list[list[Value]]:
        return self.rows + self.footer
