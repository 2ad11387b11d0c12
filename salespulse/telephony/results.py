"""What an import did: the five counts every CDR row ends in (and a queue_log's lines)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from salespulse.telephony.daycount import Stored

# Rejected rows kept for the report; the count is always exact.
MAX_REJECTED_LISTED = 1000


@dataclass
class ImportResult:
    """What an import did. Every row read ends in exactly one of: imported, already
    stored, an exact repeat (of a row read before in this import), not a sales call, or
    refused; `counts_add_up` checks it."""

    rows: int = 0
    layout: str = ""  # how the rows were read ("Asterisk Master.csv (21 columns)")
    calls: int = 0
    imported: int = 0
    already_stored: int = 0
    repeats: int = 0
    not_sales: int = 0
    not_sales_by: dict[str, int] = field(default_factory=dict)  # direction -> rows
    refused: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_total: int = 0
    unmapped: dict[str, int] = field(default_factory=dict)
    replaced_bytes: int = 0
    replaced_lines: list[int] = field(default_factory=list)
    facts_changed: int = 0
    error: str = ""  # a file-level problem; the rows before it may still be imported

    @property
    def duplicates(self) -> int:
        """Rows not stored again: already stored or repeated (the total of old results)."""
        return self.already_stored + self.repeats

    @property
    def failed(self) -> bool:
        """Nothing could be imported (the CLI exits non-zero)."""
        return self.imported + self.duplicates + self.not_sales == 0

    @property
    def counts_add_up(self) -> bool:
        return self.rows == (
            self.imported + self.already_stored + self.repeats + self.not_sales + self.refused
        )

    def reject(self, line: int, reason: str) -> None:
        """A refused row (`line` > 0), or the file as a whole (line 0)."""
        if line > 0:
            self.refused += 1
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTED_LISTED:
            self.rejected.append({"line": line, "reason": reason})

    def add(self, stored: Stored) -> None:
        self.imported += stored.imported
        self.already_stored += stored.already_stored
        self.repeats += stored.repeats
        self.not_sales += stored.not_sales
        for direction, n in stored.not_sales_by.items():
            self.not_sales_by[direction] = self.not_sales_by.get(direction, 0) + n
        self.facts_changed += stored.facts_changed

    def as_json(self) -> dict[str, Any]:
        """The shape the CLI's --json prints (and the API answers)."""
        return {
            "rows": self.rows,
            "layout": self.layout,
            "calls": self.calls,
            "imported": self.imported,
            "already_stored": self.already_stored,
            "repeats": self.repeats,
            "not_sales": self.not_sales,
            "not_sales_by": self.not_sales_by,
            "refused": self.refused,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "unmapped": self.unmapped,
        }

    def as_record(self) -> dict[str, Any]:
        return self.as_json() | {
            "rejected_total": self.rejected_total,
            "replaced_bytes": self.replaced_bytes,
            "replaced_lines": self.replaced_lines[:50],
            "facts_changed": self.facts_changed,
            "error": self.error,
        }


@dataclass
class QueueLogResult:
    """Every line ends in one of: about a call's outcome, another event, or refused."""

    lines: int = 0
    used: int = 0
    other: int = 0
    refused: int = 0
    answered: int = 0
    abandoned: int = 0
    imported: int = 0
    already_stored: int = 0
    facts_changed: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)
    error: str = ""

    def reject(self, line: int, reason: str) -> None:
        if line > 0:
            self.refused += 1
        if len(self.rejected) < MAX_REJECTED_LISTED:
            self.rejected.append({"line": line, "reason": reason})

    def as_json(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "used": self.used,
            "other": self.other,
            "refused": self.refused,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "imported": self.imported,
            "already_stored": self.already_stored,
            "rejected": self.rejected,
            "unmapped": self.unmapped,
        }

    def as_record(self) -> dict[str, Any]:
        return (
            {"kind": "queue_log"}
            | self.as_json()
            | {
                "facts_changed": self.facts_changed,
                "error": self.error,
            }
        )
