"""Drop the call legs' single-column foreign key indexes.

The unique (source, external_id) and the (employee, day) indexes lead with the same
columns and serve every lookup those two served, while each index costs every imported
row. Only the indexes go: Django's own AlterField would copy the whole legs table on
SQLite (twice) to get there.
"""

import django.db.models.deletion
from django.db import migrations, models

# The names Django gave them (the same on SQLite and PostgreSQL).
INDEXES = {
    "telephony_callleg_employee_id_41efd6fa": "employee_id",
    "telephony_callleg_source_id_fd3fd5fb": "source_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0003_department_show_leaderboard"),
        ("telephony", "0003_time_ordered_leg_ids"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON "telephony_callleg" ("{column}")',
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="callleg",
                    name="employee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="org.employee",
                    ),
                ),
                migrations.AlterField(
                    model_name="callleg",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legs",
                        to="telephony.callsource",
                    ),
                ),
            ],
        ),
    ]
