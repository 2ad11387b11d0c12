"""The head's payroll for a department and month as a `lib.table.Table`: the screen renders
it and the XLSX export writes it, so the accountant's file and the page agree."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from salespulse.bonus.payroll import Statement
from salespulse.kpis.models import Kpi
from salespulse.lib.table import Column, Table
from salespulse.org.models import Employee


def payroll_table(
    statements: Sequence[Statement], employees: Sequence[Employee], kpis: dict[str, Kpi]
) -> Table:
    names = {e.login: str(e) for e in employees}
    components = list(dict.fromkeys(c.name for s in statements for c in s.components))
    facts = list(dict.fromkeys(b.kpi for s in statements for b in s.basis))
    columns = [
        Column("seller", _("Seller")),
        Column("base", _("Base salary"), "money"),
        *(Column(f"c{i}", name, "money") for i, name in enumerate(components)),
        Column("bonus", _("Bonus"), "money"),
        Column("adjustment", _("Correction of the month before"), "money"),
        Column("total", _("To pay"), "money"),
        Column("projected", _("Bonus at the pace"), "money"),
    ]
    for code in facts:
        kpi = kpis.get(code)
        name = kpi.name if kpi else code
        columns += [
            Column(
                f"fact_{code}", _("%(kpi)s: fact") % {"kpi": name}, kpi.unit if kpi else "number"
            ),
            Column(
                f"plan_{code}", _("%(kpi)s: plan") % {"kpi": name}, kpi.unit if kpi else "number"
            ),
            Column(f"done_{code}", _("%(kpi)s: done") % {"kpi": name}, "percent"),
        ]
    table = Table("payroll", _("Bonuses"), columns)
    for s in statements:
        amounts = {c.name: c.amount for c in s.components}
        basis = {b.kpi: b for b in s.basis}
        row = [
            names.get(s.seller, s.seller),
            s.base,
            *(amounts.get(name) for name in components),
            s.bonus,
            s.adjustment,
            s.to_pay,
            None if s.final else s.projected,
        ]
        for code in facts:
            b = basis.get(code)
            row += [b.fact, b.plan, b.completion] if b else [None, None, None]
        table.add(*row)
    if statements:
        total = [
            _("Total"),
            sum(s.base for s in statements),
            *(
                sum(c.amount for s in statements for c in s.components if c.name == name)
                for name in components
            ),
            sum(s.bonus for s in statements),
            sum(s.adjustment or 0 for s in statements),
            sum(s.to_pay for s in statements),
            None,
            *([None] * 3 * len(facts)),
        ]
        table.add_footer(*total)
    return table
