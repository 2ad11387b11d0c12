"""Hashed leg ids start with their UTC minute; the unused index on call_key goes.

A PBX writes its rows in time order, so ids that start with the minute are appended at
the end of the (source, external_id) index rather than scattered through it: imports stay
fast as the legs table outgrows the database's cache. Stored ids are rewritten the same
way (the minute comes from the stored start, which is what the id was hashed from), so
re-importing a file imported before this migration still finds every leg.
"""

from django.db import migrations

# "h:" + 24 hex digits before, "h:" + yyyymmddhhmm + the same 24 digits after.
OLD_LENGTH, NEW_LENGTH = 26, 38


def _minute_sql(vendor: str) -> str:
    if vendor == "postgresql":
        return "to_char(start AT TIME ZONE 'UTC', 'YYYYMMDDHH24MI')"
    return "strftime('%Y%m%d%H%M', start)"  # SQLite keeps naive UTC text


def _ours(vendor: str, digits: int) -> str:
    """A condition for ids of our making: "h:" and `digits` hex digits, nothing else."""
    if vendor == "postgresql":
        return f"external_id ~ '^h:[0-9a-f]{{{digits}}}$'"
    return "external_id GLOB 'h:" + "[0-9a-f]" * digits + "'"


def to_time_ordered_ids(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE telephony_callleg SET external_id = "
            f"'h:' || {_minute_sql(connection.vendor)} || substr(external_id, 3) "
            f"WHERE {_ours(connection.vendor, OLD_LENGTH - 2)}"
        )


def to_hash_only_ids(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE telephony_callleg SET external_id = 'h:' || substr(external_id, 15) "
            f"WHERE {_ours(connection.vendor, NEW_LENGTH - 2)}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0002_answered_call_kpis"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="callleg", name="callleg_source_call"),
        migrations.RunPython(to_time_ordered_ids, to_hash_only_ids, elidable=True),
    ]
