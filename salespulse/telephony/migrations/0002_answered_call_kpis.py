# The share of answered calls asked for by the telephony issue: an additive count the
# import fills in, and a ratio over it (the period's sums, never a mean of daily shares).
# Not added to any role: the cold caller's role already holds five KPIs.

from django.db import migrations

KPIS = [
    dict(code="answered_calls", name_ru="Звонки с ответом", name_en="Answered calls",
         unit="count", source="auto", aggregation="sum", daily_max=2000),
    dict(code="answered_share", name_ru="Доля звонков с ответом", name_en="Answered calls share",
         unit="percent", source="derived", aggregation="ratio",
         formula="answered_calls / calls * 100"),
]


def forward(apps, schema_editor):
    Kpi = apps.get_model("kpis", "Kpi")
    for spec in KPIS:
        Kpi.objects.get_or_create(code=spec["code"], defaults={**spec, "builtin": True})


def backward(apps, schema_editor):
    Kpi = apps.get_model("kpis", "Kpi")
    Kpi.objects.filter(code__in=[k["code"] for k in KPIS], builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0003_builtin_catalogue"),
        ("telephony", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
