# The account-manager KPIs as the CRM import computes them (README, "CRM data"):
# the portfolio's size comes from client data, not from typing, and the repeat buyers'
# share is taken over the portfolio, like retention. Only built-in rows still holding
# the old definition are changed: an admin's own edits stay.

from django.db import migrations

CHANGES = [
    # code, field, old value, new value
    ("clients_in_work", "source", "manual", "auto"),
    ("repeat_buyers_pct", "formula", "repeat_buyers / buyers * 100",
     "repeat_buyers / clients_in_work * 100"),
]


def forward(apps, schema_editor):
    Kpi = apps.get_model("kpis", "Kpi")
    for code, field, old, new in CHANGES:
        Kpi.objects.filter(code=code, builtin=True, **{field: old}).update(**{field: new})


def backward(apps, schema_editor):
    Kpi = apps.get_model("kpis", "Kpi")
    for code, field, old, new in CHANGES:
        Kpi.objects.filter(code=code, builtin=True, **{field: new}).update(**{field: old})


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0004_dailyfact_auto_value"),
    ]

    operations = [migrations.RunPython(forward, backward)]
