"""The demo company's bonus schemes, one per role, written in the scheme language as a head
would write the file (the README's worked examples are these).

What the stories show: volkov, well above plan, earns the salespeople's accelerator above
100 %; popova, falling, is below the cold callers' 85 % gate on calls and gets only her
per-lead money.
"""

from __future__ import annotations

from datetime import date

from salespulse.bonus import schemes
from salespulse.lib import bonus_spec

COLD_CALLER = """
name = "Холодные звонки"
base = 35000

[[components]]
type = "per_unit"
name = "За лиды"
kpi = "leads"
rate = 300

[[components]]
type = "completion"
name = "За план звонков"
kpi = "calls"
target = 5000
gate = 85
steps = [[85, 50], [100, 100]]
"""

SALESPERSON = """
name = "Продажи"
base = 40000

[[components]]
type = "completion"
name = "За сумму сделок"
kpi = "deals_sum"
target = 30000
gate = 70
steps = [[70, 50], [90, 80], [100, 100]]
accelerator = 2
cap = 200
"""

ACCOUNT_MANAGER = """
name = "Работа с клиентами"
base = 45000

[[components]]
type = "weighted"
name = "Премия по KPI"
target = 25000
gate_zeroes_all = true

[[components.parts]]
kpi = "repeat_buyers_pct"
weight = 50
gate = 60
cap = 150

[[components.parts]]
kpi = "retention_pct"
weight = 50
gate = 60
cap = 150
"""

SCHEMES = {
    "cold_caller": COLD_CALLER,
    "salesperson": SALESPERSON,
    "account_manager": ACCOUNT_MANAGER,
}


def install(valid_from: date) -> None:
    for role, text in SCHEMES.items():
        schemes.save(schemes.target_of(role), bonus_spec.loads(text), valid_from)
