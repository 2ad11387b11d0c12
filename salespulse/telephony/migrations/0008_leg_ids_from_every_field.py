"""A leg's id is a hash of every field of its row; uniqueid is no longer anyone's row id.

Before, Asterisk rows were told apart by a hash of some of their fields (legs of a trunk
failover or a forked CDR could share it), FreeSWITCH rows by their channel's uuid, and a
mapped CSV's rows by its `uniqueid` column (shared by every leg of a ring group). Their
stored ids are recomputed here from the row each leg keeps (`raw`) and its start, exactly
as an import computes them now, so files imported before are still recognised. A leg
that the old ids had merged into another was never stored: importing its file again
adds it. Ids a PBX gave its rows itself (a mapped `id` column) are kept.
"""

import hashlib
import json
import re
from datetime import UTC

from django.db import migrations

# A copy, not an import: a migration must keep doing what it did when it was written.
# (tests/telephony/test_leg_ids.py checks it against salespulse.lib.cdr.hashed_id.)


def hashed_id(minute: str, cells: list[str]) -> str:
    return "h:" + minute + hashlib.blake2b("\x1f".join(cells).encode(), digest_size=12).hexdigest()


_UNIQUEID = re.compile(r"(?:[\w.-]+-)?\d+\.\d+")


def _rewritten(external_id: str, fmt: str) -> bool:
    if external_id.startswith("h:") or fmt == "freeswitch":
        return True
    # A mapped CSV's ids came from its uniqueid column when they look like one.
    return fmt == "csv" and _UNIQUEID.fullmatch(external_id) is not None


def every_field_ids(apps, schema_editor) -> None:
    CallLeg = apps.get_model("telephony", "CallLeg")
    table = CallLeg._meta.db_table
    connection = schema_editor.connection
    legs = CallLeg.objects.values_list("pk", "external_id", "raw", "start", "source__format")
    changes: list[tuple[str, int]] = []

    def flush() -> None:
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET external_id = %s WHERE id = %s", changes)
        changes.clear()

    for pk, external_id, raw, start, fmt in legs.order_by("pk").iterator(chunk_size=5000):
        if not _rewritten(external_id, fmt):
            continue
        try:
            cells = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(cells, list) or not all(isinstance(c, str) for c in cells):
            continue
        new = hashed_id(start.astimezone(UTC).strftime("%Y%m%d%H%M"), cells)
        if new != external_id:
            changes.append((new, pk))
        if len(changes) >= 5000:
            flush()
    if changes:
        flush()


class Migration(migrations.Migration):
    dependencies = [
        ("telephony", "0007_source_trunks_and_detected_layouts"),
    ]

    operations = [
        migrations.RunPython(every_field_ids, migrations.RunPython.noop, elidable=True),
    ]
