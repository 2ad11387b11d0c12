"""The README's worked examples are the demo's schemes, and its commands exist."""

import re
from dataclasses import replace
from pathlib import Path

from django.core.management import get_commands

from salespulse.core.demo_bonus import SCHEMES
from salespulse.lib import bonus_spec

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## Bonuses", 1)[1].split("\n## ", 1)[0]


def unnamed(scheme):
    return [replace(c, name="") for c in scheme.components], scheme.base, scheme.name


def test_the_worked_examples_are_the_demo_schemes():
    blocks = re.findall(r"```toml\n(.*?)```", section(), re.S)
    examples = [unnamed(bonus_spec.parse(bonus_spec.loads(b))) for b in blocks]
    demo = [unnamed(bonus_spec.parse(bonus_spec.loads(t))) for t in SCHEMES.values()]
    assert sorted(examples, key=repr) == sorted(demo, key=repr) and len(examples) == 3


def test_the_commands_it_names_exist():
    commands = get_commands()
    assert {"bonus", "bonus-scheme"} <= set(commands)
    for name in ("salespulse bonus ", "salespulse bonus-scheme set"):
        assert name in section()
