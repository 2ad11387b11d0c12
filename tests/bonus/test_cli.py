"""`salespulse bonus` and `salespulse bonus-scheme` on the hand-worked department of conftest."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from salespulse.bonus.models import Scheme

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_json_rows_carry_every_component_with_its_fact(org):
    rows = json.loads(
        run("bonus", "--scope", "seller:ann", "--date", "2026-11-11", "--format", "json")
    )
    assert len(rows) == 1
    row = rows[0]
    assert {k: row[k] for k in ("seller", "month", "base", "bonus", "total", "projected")} == {
        "seller": "ann",
        "month": "2026-11",
        "base": "30000",
        "bonus": "2500",
        "total": "32500",
        "projected": "30000",
    }
    assert [
        (c["name"], c["rule"], c["fact"], c["completion"], c["amount"]) for c in row["components"]
    ] == [
        ("За лиды", "per_unit", "15", "0.375", "2500"),
        ("За план по лидам", "completion", "15", "0.375", "0"),
    ]
    assert row["next_step"] == {
        "kpi": "leads", "more": "5", "gain": "7500", "kind": "step", "at": "0.5",
        "direction": "higher",
    }  # fmt: skip


def test_the_table_and_csv_say_the_same(org):
    table = run("bonus", "--scope", "department:north", "--date", "2026-11-11")
    assert (
        "Анна Петрова" in table and "2\u00a0500\u00a0₽" in table and "32\u00a0500\u00a0₽" in table
    )
    assert "Лиды: ещё 5 — +7\u00a0500\u00a0₽ (ступень 50\u00a0%)" in table
    csv_text = run(
        "bonus", "--scope", "department:north", "--date", "2026-11-11", "--format", "csv"
    )
    assert csv_text.splitlines()[1] == (
        "ann,2026-11,30000,2500,32500,30000,,За лиды,leads,per_unit,15,0.375,2500"
    )


def test_a_scheme_is_set_from_a_file_from_its_month_on(org, tmp_path):
    out = run("bonus-scheme", "set", "department:north", str(org["file"]), "--from", "2026-12")
    assert out.strip() == "department:north: scheme set from 2026-12"
    assert Scheme.objects.get(department=org["north"]).spec["base"] == "30000"
    json_file = tmp_path / "s.json"
    json_file.write_text(json.dumps({"base": 1, "components": []}), encoding="utf-8")
    run("bonus-scheme", "set", "seller:ann", str(json_file), "--from", "2026-11")
    shown = json.loads(run("bonus-scheme", "show", "seller:ann", "--from", "2026-11"))
    assert shown == {"valid_from": "2026-11-01", "name": "", "base": "1", "components": []}


def test_a_bad_scheme_file_names_the_place(org, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[components]]\ntype = "per_unit"\nkpi = "leeds"\nrate = 5\n', encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad.toml: components\[1\]: no KPI 'leeds'"):
        run("bonus-scheme", "set", "cold_caller", str(bad))
    with pytest.raises(CommandError, match="Unknown department: nope"):
        run("bonus-scheme", "set", "department:nope", str(bad))


def test_bonuses_are_paid_by_the_month(org):
    with pytest.raises(CommandError, match="--period month"):
        run("bonus", "--period", "week")
