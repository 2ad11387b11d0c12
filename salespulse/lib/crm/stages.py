"""CRM stages: which count as won or lost, and which funnel step each one is.

Every source has its own stage names; an admin maps them (salespulse.crm.models.Stage).
`guess_kind` gives the first mapping for a stage seen for the first time: the standard
Bitrix24 and amoCRM names and ids are known, anything else starts as "in progress" and
is listed in the import result for the admin to check.
"""

from __future__ import annotations

import re
from enum import StrEnum

from salespulse.lib.crm.names import normalize_name


class StageKind(StrEnum):
    LEAD = "lead"
    IN_PROGRESS = "in_progress"
    WON = "won"
    LOST = "lost"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


def status_of(kind: StageKind) -> DealStatus:
    if kind is StageKind.WON:
        return DealStatus.WON
    if kind is StageKind.LOST:
        return DealStatus.LOST
    return DealStatus.OPEN


# Bitrix24 writes the stage's name, or its raw id ("WON", "C14:LOSE") when it has none;
# amoCRM's fixed closing stages are 142 (won) and 143 (lost).
_KNOWN: dict[str, StageKind] = {
    **dict.fromkeys(
        [
            "won", "сделка успешна", "успешно реализовано", "успешная сделка", "сделка заключена",
            "выиграна", "успешно", "142",
        ],
        StageKind.WON,
    ),
    **dict.fromkeys(
        [
            "lose", "lost", "apology", "сделка провалена", "провалена", "закрыто и не реализовано",
            "анализ причины провала", "проиграна", "отказ", "143",
        ],
        StageKind.LOST,
    ),
    **dict.fromkeys(
        ["new", "новая", "новая сделка", "неразобранное", "первичный контакт", "лид"],
        StageKind.LEAD,
    ),
}  # fmt: skip
_PIPELINE_ID = re.compile(r"c\d+:(\w+)")


def stage_key(name: str) -> str:
    return normalize_name(name)[:200]


def guess_kind(name: str) -> tuple[StageKind, bool]:
    """The likely kind of a stage, and whether it is a known name (False: a guess)."""
    key = stage_key(name)
    if m := _PIPELINE_ID.fullmatch(key):
        key = m[1]
    if key in _KNOWN:
        return _KNOWN[key], True
    return StageKind.IN_PROGRESS, False
