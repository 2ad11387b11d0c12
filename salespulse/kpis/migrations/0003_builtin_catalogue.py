from django.db import migrations


def install(apps, schema_editor):
    from salespulse.kpis import builtin

    builtin.install(apps.get_model("kpis", "Kpi"), apps.get_model("kpis", "Role"), apps.get_model("kpis", "RoleKpi"))


class Migration(migrations.Migration):
    dependencies = [("kpis", "0002_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
