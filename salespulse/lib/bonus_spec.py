"""The scheme language: a bonus scheme as data (TOML, JSON, a form) and back.

Percentages are written as people write them (70 for 70 %), money in rubles, a team
multiplier as a factor (1.2). Every mistake is refused with where it is and why::

    name = "Продажники"
    base = 45000

    [[components]]
    type = "completion"          # per_unit | percent | completion | weighted | team
    name = "Премия за сумму сделок"
    kpi = "deals_sum"
    target = 30000               # ₽ at 100 % of the curve
    gate = 70                    # % of plan below which nothing is paid
    steps = [[70, 50], [100, 100]]   # [% of plan, % of target]; without steps: a line
    accelerator = 2              # above 100 %: each % of plan adds 2 % of target
    cap = 200                    # % of target at most
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from salespulse.lib.bonus import (
    ByCompletion,
    Component,
    Curve,
    Part,
    PerUnit,
    Scheme,
    Team,
    Weighted,
)

HUNDRED = Decimal(100)
TYPES = ("per_unit", "percent", "completion", "weighted", "team")
_CURVE_KEYS = {"gate", "steps", "accelerator", "cap"}
_KEYS = {
    "per_unit": {"type", "name", "kpi", "rate", "threshold", "cap"},
    "percent": {"type", "name", "kpi", "percent", "threshold", "cap"},
    "completion": {"type", "name", "kpi", "target"} | _CURVE_KEYS,
    "weighted": {"type", "name", "target", "parts", "gate_zeroes_all"},
    "team": {"type", "name", "kpi", "steps", "below"},
}
_PART_KEYS = {"kpi", "weight"} | _CURVE_KEYS
DEFAULT_NAMES = {
    "per_unit": "За единицу",
    "percent": "Процент",
    "completion": "За выполнение плана",
    "weighted": "Премия по KPI",
    "team": "Командный коэффициент",
}


class SchemeError(ValueError):
    """A scheme that cannot be read: where (``components[2].steps``), and why, as an English
    template and its values, so that a screen can word it in the reader's language."""

    def __init__(self, where: str, reason: str, **params: Any) -> None:
        self.where, self.reason, self.params = where, reason, params
        text = reason % params  # a template: "%%" is a percent sign
        super().__init__(f"{where}: {text}" if where else text)


def loads(text: str, file_name: str = "") -> dict[str, Any]:
    """A TOML or JSON text (JSON when it starts with "{" or the name ends in .json)."""
    try:
        if file_name.endswith(".json") or text.lstrip().startswith("{"):
            data = json.loads(text, parse_float=Decimal)
        else:
            data = tomllib.loads(text, parse_float=Decimal)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise SchemeError("", "not TOML or JSON: %(error)s", error=str(e)) from None
    if not isinstance(data, dict):
        raise SchemeError("", "a scheme is a table of keys")
    return data


def parse(data: Mapping[str, Any], known_kpis: Collection[str] | None = None) -> Scheme:
    _only(data, {"name", "base", "components"}, "scheme")
    components = data.get("components", [])
    if not isinstance(components, list):
        raise SchemeError("components", "a list of tables")
    parsed = tuple(
        _component(c, f"components[{i + 1}]", known_kpis) for i, c in enumerate(components)
    )
    teams = [i for i, c in enumerate(parsed) if isinstance(c, Team)]
    if teams and teams[0] != len(parsed) - 1 or len(teams) > 1:
        raise SchemeError("", "a team multiplier is the last component, and there is one at most")
    return Scheme(
        name=str(data.get("name", "")).strip(),
        base=_money(data.get("base", 0), "base"),
        components=parsed,
    )


def _component(data: Any, where: str, known_kpis: Collection[str] | None) -> Component:  # noqa: C901 - one branch per type reads better than a table of lambdas
    if not isinstance(data, Mapping):
        raise SchemeError(where, "a table of keys")
    kind = data.get("type")
    if kind not in TYPES:
        raise SchemeError(
            where, "type is one of %(types)s (got %(kind)r)", types=", ".join(TYPES), kind=kind
        )
    _only(data, _KEYS[kind], where)
    name = str(data.get("name") or DEFAULT_NAMES[kind]).strip()
    try:
        if kind in ("per_unit", "percent"):
            kpi = _kpi(data, where, known_kpis)
            if kind == "per_unit":
                rate = _money(_need(data, "rate", where), f"{where}.rate")
            else:
                rate = _number(_need(data, "percent", where), f"{where}.percent") / HUNDRED
            cap = data.get("cap")
            return PerUnit(
                name=name,
                kpi=kpi,
                rate=rate,
                threshold=_number(data.get("threshold", 0), f"{where}.threshold"),
                cap=None if cap is None else _money(cap, f"{where}.cap"),
                percent=kind == "percent",
            )
        if kind == "completion":
            return ByCompletion(
                name=name,
                kpi=_kpi(data, where, known_kpis),
                target=_money(_need(data, "target", where), f"{where}.target"),
                curve=_curve(data, where),
            )
        if kind == "weighted":
            parts_data = _need(data, "parts", where)
            if not isinstance(parts_data, list) or not parts_data:
                raise SchemeError(f"{where}.parts", "a list of KPIs with weights")
            parts = []
            for i, p in enumerate(parts_data):
                at = f"{where}.parts[{i + 1}]"
                if not isinstance(p, Mapping):
                    raise SchemeError(at, "a table of keys")
                _only(p, _PART_KEYS, at)
                weight = _number(_need(p, "weight", at), f"{at}.weight") / HUNDRED
                parts.append(Part(_kpi(p, at, known_kpis), weight, _curve(p, at)))
            return Weighted(
                name=name,
                target=_money(_need(data, "target", where), f"{where}.target"),
                parts=tuple(parts),
                gate_zeroes_all=bool(data.get("gate_zeroes_all", False)),
            )
        steps = _pairs(_need(data, "steps", where), f"{where}.steps", second_percent=False)
        return Team(
            name=name,
            kpi=_kpi(data, where, known_kpis),
            steps=steps,
            below=_number(data.get("below", 1), f"{where}.below"),
        )
    except ValueError as e:
        if isinstance(e, SchemeError):
            raise
        raise SchemeError(where, str(e).replace("%", "%%")) from None


def _curve(data: Mapping[str, Any], where: str) -> Curve:
    accelerator = data.get("accelerator")
    cap = data.get("cap")
    return Curve(
        gate=_number(data.get("gate", 0), f"{where}.gate") / HUNDRED,
        steps=_pairs(data.get("steps", []), f"{where}.steps", second_percent=True),
        accelerator=None if accelerator is None else _number(accelerator, f"{where}.accelerator"),
        cap=None if cap is None else _number(cap, f"{where}.cap") / HUNDRED,
    )


def _pairs(value: Any, where: str, second_percent: bool) -> tuple[tuple[Decimal, Decimal], ...]:
    if not isinstance(value, list):
        raise SchemeError(where, "a list of [%% of plan, value] pairs")
    pairs = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise SchemeError(f"{where}[{i + 1}]", "a pair [%% of plan, value]")
        at = _number(pair[0], f"{where}[{i + 1}]") / HUNDRED
        second = _number(pair[1], f"{where}[{i + 1}]")
        pairs.append((at, second / HUNDRED if second_percent else second))
    return tuple(pairs)


def _only(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    if unknown := sorted(set(data) - allowed):
        raise SchemeError(
            where,
            "unknown key %(keys)s (allowed: %(allowed)s)",
            keys=", ".join(unknown),
            allowed=", ".join(sorted(allowed)),
        )


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise SchemeError(where, "%(key)s is missing", key=key)
    return data[key]


def _kpi(data: Mapping[str, Any], where: str, known: Collection[str] | None) -> str:
    code = str(_need(data, "kpi", where)).strip()
    if known is not None and code not in known:
        raise SchemeError(where, "no KPI %(code)r", code=code)
    return code


def _number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool):
        raise SchemeError(where, "a number, not %(value)r", value=value)
    try:
        d = Decimal(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise SchemeError(where, "a number, not %(value)r", value=value) from None
    if not d.is_finite() or d < 0:
        raise SchemeError(where, "a number not below zero, not %(value)r", value=value)
    return d


def _money(value: Any, where: str) -> Decimal:
    return _number(value, where)


# -- back to data ----------------------------------------------------------------------------


def _num(d: Decimal) -> str:
    """A decimal string without exponent or trailing zeros: "0.5", "30000"."""
    text = format(d.normalize(), "f")
    return text


def _pct_num(d: Decimal) -> str:
    return _num(d * HUNDRED)


def dump(scheme: Scheme) -> dict[str, Any]:
    """The scheme as data `parse` reads back to the same scheme (numbers as strings, so a
    JSON column keeps them exact)."""
    return {
        "name": scheme.name,
        "base": _num(scheme.base),
        "components": [_dump_component(c) for c in scheme.components],
    }


def _dump_curve(curve: Curve) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if curve.gate:
        data["gate"] = _pct_num(curve.gate)
    if curve.steps:
        data["steps"] = [[_pct_num(a), _pct_num(s)] for a, s in curve.steps]
    if curve.accelerator is not None:
        data["accelerator"] = _num(curve.accelerator)
    if curve.cap is not None:
        data["cap"] = _pct_num(curve.cap)
    return data


def _dump_component(c: Component) -> dict[str, Any]:
    if isinstance(c, PerUnit):
        data: dict[str, Any] = {"type": "percent" if c.percent else "per_unit", "name": c.name}
        data["kpi"] = c.kpi
        if c.percent:
            data["percent"] = _pct_num(c.rate)
        else:
            data["rate"] = _num(c.rate)
        if c.threshold:
            data["threshold"] = _num(c.threshold)
        if c.cap is not None:
            data["cap"] = _num(c.cap)
        return data
    if isinstance(c, ByCompletion):
        return {
            "type": "completion",
            "name": c.name,
            "kpi": c.kpi,
            "target": _num(c.target),
            **_dump_curve(c.curve),
        }
    if isinstance(c, Weighted):
        return {
            "type": "weighted",
            "name": c.name,
            "target": _num(c.target),
            "gate_zeroes_all": c.gate_zeroes_all,
            "parts": [
                {"kpi": p.kpi, "weight": _pct_num(p.weight), **_dump_curve(p.curve)}
                for p in c.parts
            ],
        }
    return {
        "type": "team",
        "name": c.name,
        "kpi": c.kpi,
        "steps": [[_pct_num(a), _num(f)] for a, f in c.steps],
        "below": _num(c.below),
    }
