"""Leg ids: time-ordered, and files imported before they were still recognised."""

import importlib
import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection

from salespulse.telephony.models import CallLeg
from tests.telephony.conftest import EXPECTED, call_kpis, master_csv

pytestmark = pytest.mark.django_db

migration = importlib.import_module("salespulse.telephony.migrations.0003_time_ordered_leg_ids")
EDITOR = SimpleNamespace(connection=connection)


def run(*args: str) -> dict:
    out = StringIO()
    call_command("import-calls", *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def files(tmp_path):
    master = tmp_path / "Master.csv"
    master.write_text(master_csv(21))
    # The same calls as a cloud PBX export without ids of its own: ids are hashed too.
    export = tmp_path / "export.csv"
    export.write_text(
        "Дата звонка;Оператор;Кто звонил;Куда звонил;Длительность;Время разговора;Статус\n"
        "03.02.2026 10:00:03;101;101;79161234567;57;45;Отвечен\n"
        "03.02.2026 10:05:00;101;101;79161234568;30;0;Не отвечен\n",
        encoding="cp1251",
    )
    return master, export


def test_hashed_ids_start_with_their_utc_minute(org, files):
    run(str(files[0]))
    for leg in CallLeg.objects.all():
        assert leg.external_id.startswith("h:" + leg.start.strftime("%Y%m%d%H%M"))


def test_legs_stored_with_old_ids_are_found_again_after_the_migration(org, files):
    master, export = files
    run(str(master))
    run(str(export), "--format", "csv", "--source", "cloud")
    ids = sorted(CallLeg.objects.values_list("external_id", flat=True))
    assert len(ids) == 12

    migration.to_hash_only_ids(None, EDITOR)  # as an import before the migration left them
    old = sorted(CallLeg.objects.values_list("external_id", flat=True))
    assert all(len(i) == migration.OLD_LENGTH for i in old)
    assert set(old).isdisjoint(ids)

    migration.to_time_ordered_ids(None, EDITOR)
    assert sorted(CallLeg.objects.values_list("external_id", flat=True)) == ids
    migration.to_time_ordered_ids(None, EDITOR)  # twice changes nothing
    assert sorted(CallLeg.objects.values_list("external_id", flat=True)) == ids

    assert run(str(master))["duplicates"] == 10
    assert run(str(export), "--format", "csv", "--source", "cloud")["duplicates"] == 2
    assert CallLeg.objects.count() == 12
    assert call_kpis(org["bob"]) == EXPECTED["bob"]


def test_the_legs_table_keeps_only_the_indexes_the_import_and_counting_use(db):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, CallLeg._meta.db_table)
    indexed = sorted(
        tuple(c["columns"]) for c in found.values() if c["index"] or c["unique"] or c["primary_key"]
    )
    assert indexed == [("employee_id", "day"), ("id",), ("source_id", "external_id")]


def test_a_source_with_legs_cannot_be_deleted_and_a_deleted_sellers_legs_stay(org, files):
    """The legs' links are kept by Django (the database does not check them on PostgreSQL)."""
    from django.db.models import ProtectedError

    from salespulse.telephony.models import CallSource

    run(str(files[0]))
    source = CallSource.objects.get()
    with pytest.raises(ProtectedError):
        source.delete()
    ann_legs = CallLeg.objects.filter(employee=org["ann"]).count()
    assert ann_legs > 0
    org["ann"].delete()
    assert CallLeg.objects.filter(employee__isnull=True, agent="101").count() >= ann_legs
    assert CallLeg.objects.count() == len(master_csv(21).splitlines())


every_field = importlib.import_module(
    "salespulse.telephony.migrations.0008_leg_ids_from_every_field"
)


def test_the_migrations_ids_are_the_readers():
    cells = ["", "101", "79161234567", "from-internal", '"Анна" <101>', "SIP/101-1"]
    from salespulse.lib.cdr import hashed_id

    assert every_field.hashed_id("202602030700", cells) == hashed_id("202602030700", cells)


def test_legs_stored_under_the_old_ids_are_recognised_and_the_merged_ones_added(org, tmp_path):
    """Old imports stored a Master.csv leg under a hash of some fields, a FreeSWITCH leg
    under its uuid and a mapped CSV's leg under its uniqueid (one leg per uniqueid: the
    others were dropped as duplicates). After the migration, importing the same files
    again finds every stored leg and adds the dropped ones."""
    from django.apps import apps

    from salespulse.telephony.models import CallSource
    from tests.telephony import pbxfiles

    master = tmp_path / "Master.csv"
    master.write_text(master_csv(21))
    report = tmp_path / "report.csv"
    report.write_bytes(pbxfiles.cdr_report(4).encode("cp1251"))
    fs = tmp_path / "fs.csv"
    fs.write_text(
        '"Анна","101","79161234567","default","2026-02-03 10:00:00","2026-02-03 10:00:10",'
        '"2026-02-03 10:01:10","70","60","NORMAL_CLEARING","aaaa-1","","","PCMA","PCMA"\n'
    )
    run(str(master), "--source", "pbx", "--format", "asterisk")
    run(str(report), "--source", "report", "--format", "csv")
    run(str(fs), "--source", "fs", "--format", "freeswitch")
    new_ids = dict(CallLeg.objects.values_list("pk", "external_id"))

    # As the old versions left them.
    for leg in CallLeg.objects.filter(source__name="pbx"):
        leg.external_id = f"h:{leg.start:%Y%m%d%H%M}{leg.pk:024x}"
        leg.save(update_fields=["external_id"])
    CallLeg.objects.filter(source__name="fs").update(external_id="aaaa-1")
    kept = {}
    for leg in CallLeg.objects.filter(source__name="report").order_by("pk"):
        uniqueid = json.loads(leg.raw)[2]
        if uniqueid in kept:
            leg.delete()
        else:
            kept[uniqueid] = leg.pk
            leg.external_id = uniqueid
            leg.save(update_fields=["external_id"])
    assert CallLeg.objects.filter(source__name="report").count() == 4

    every_field.every_field_ids(apps, EDITOR)
    assert all(new_ids[pk] == i for pk, i in CallLeg.objects.values_list("pk", "external_id"))
    assert run(str(master), "--source", "pbx")["already_stored"] == 10
    assert run(str(fs), "--source", "fs")["already_stored"] == 1
    again = run(str(report), "--source", "report")
    assert (again["already_stored"], again["imported"]) == (4, 4)
    assert CallSource.objects.get(name="report").legs.count() == 8
