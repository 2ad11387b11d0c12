# Retention against the portfolio at the period START (README, "CRM data"): two new
# aggregations, `opening` (the value standing when a period begins) and `cohort` (distinct
# over the period, of those already there at its start); two built-in KPIs using them,
# and `retention_pct` over them. Only built-in rows still holding the old definition are
# changed: an admin's own edits stay.

from django.db import migrations, models
from django.db.models import ProtectedError

NEW_KPIS = ("clients_at_start", "retained_buyers")
OLD_RETENTION = "buyers / clients_in_work * 100"
NEW_RETENTION = "retained_buyers / clients_at_start * 100"


def forward(apps, schema_editor):
    from salespulse.kpis import builtin

    Kpi = apps.get_model("kpis", "Kpi")
    specs = {spec["code"]: spec for spec in builtin.KPIS}
    for code in NEW_KPIS:
        Kpi.objects.get_or_create(code=code, defaults={**specs[code], "builtin": True})
    if Kpi.objects.filter(code__in=NEW_KPIS, builtin=True).count() == len(NEW_KPIS):
        Kpi.objects.filter(code="retention_pct", builtin=True, formula=OLD_RETENTION).update(
            formula=NEW_RETENTION
        )


def backward(apps, schema_editor):
    Kpi = apps.get_model("kpis", "Kpi")
    Kpi.objects.filter(code="retention_pct", builtin=True, formula=NEW_RETENTION).update(
        formula=OLD_RETENTION
    )
    for kpi in Kpi.objects.filter(code__in=NEW_KPIS, builtin=True):
        if any(
            kpi.code in f for f in Kpi.objects.exclude(formula="").values_list("formula", flat=True)
        ):
            continue
        try:
            kpi.delete()
        except ProtectedError:
            pass  # in a role or with facts: kept


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0005_crm_account_manager_definitions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="kpi",
            name="aggregation",
            field=models.CharField(
                choices=[
                    ("sum", "sum of days"),
                    ("ratio", "ratio of sums"),
                    ("last", "last value (snapshot)"),
                    ("distinct", "distinct over the period"),
                    ("opening", "value at the period start (snapshot)"),
                    ("cohort", "distinct over the period, of those there at its start"),
                ],
                default="sum",
                max_length=10,
                verbose_name="aggregation over time",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
