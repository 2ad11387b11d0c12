"""Call legs: the foreign keys to the source and the seller are Django's, not PostgreSQL's.

PostgreSQL checked both for every imported leg at commit (deferred constraint triggers):
1.8 s of a 100 000-row import whose legs take 2 s to write. Django still refuses to
delete a source with legs (PROTECT) and unlinks the legs of a deleted seller (SET_NULL).
SQLite checks a foreign key with one index lookup per row, cheaply, and dropping the
clause would copy the whole legs table, so its tables keep theirs.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "telephony_callleg"
REFERENCES = {"employee_id": "org_employee", "source_id": "telephony_callsource"}


def drop_constraints(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, TABLE)
    for name, info in found.items():
        if info["foreign_key"] and info["columns"][0] in REFERENCES:
            schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{name}"')


def add_constraints(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for column, target in REFERENCES.items():
        schema_editor.execute(
            f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_{column}_fk" FOREIGN KEY '
            f'("{column}") REFERENCES "{target}" ("id") DEFERRABLE INITIALLY DEFERRED'
        )


class Migration(migrations.Migration):
    dependencies = [("telephony", "0004_leg_fk_indexes_covered")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_constraints, add_constraints)],
            state_operations=[
                migrations.AlterField(
                    model_name="callleg",
                    name="employee",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
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
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legs",
                        to="telephony.callsource",
                    ),
                ),
            ],
        ),
    ]
