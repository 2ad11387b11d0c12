"""Syncing calls from a PBX's CDR table on real MariaDB and PostgreSQL servers.

The day of tests/telephony/conftest.py, loaded into a table in each layout PBXs write,
must give the figures its Master.csv gives; the mess of real tables (zero dates, NULLs,
rows arriving behind the watermark, a sequence a restart started again) must not change
them; a sync cut off mid-way and run again counts nothing twice.
"""

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command

from salespulse.sources import runner
from salespulse.sources.models import Run, Source
from salespulse.telephony import pull
from salespulse.telephony.models import CallLeg
from tests.telephony.conftest import EXPECTED, MSK, call_kpis, master_csv, the_day_calls

pytestmark = pytest.mark.django_db


def records():
    return [r for call in the_day_calls() for r in call.records]


def add_source(server, **fields) -> Source:
    return Source.objects.create(
        name="pbx", kind="asterisk-db", url=server.url, timezone="Europe/Moscow",
        since=date(2026, 2, 1), **fields,
    )  # fmt: skip


def sync(source: Source) -> Run:
    run = runner.run_now(runner.queue_sync(source, Run.Trigger.CLI))
    source.refresh_from_db()
    return run


def file_figures(org, columns: int) -> dict:
    """The figures a Master.csv of the day gives (imported, read, then rolled back)."""
    from django.db import transaction

    from salespulse.telephony.importer import import_file
    from salespulse.telephony.models import CallSource

    class Undo(Exception):
        pass

    figures = {}
    try:
        with transaction.atomic():
            source = CallSource.objects.create(name="file", format="asterisk")
            import_file(source, io.BytesIO(master_csv(columns).encode()))
            figures = {login: call_kpis(org[login]) for login in EXPECTED}
            raise Undo
    except Undo:
        pass
    return figures


# The Master.csv with the same columns: a table without linkedid cannot join a queue's
# Local legs into one call, no more than an 18-column Master.csv can.
FILE_COLUMNS = {"freepbx": 21, "stock": 18, "odbc": 21}


@pytest.mark.parametrize("layout", ["freepbx", "stock", "odbc"])
def test_a_table_in_each_layout_gives_the_figures_of_its_file(org, server, layout):
    expected_figures = file_figures(org, FILE_COLUMNS[layout])
    if layout != "stock":
        assert expected_figures == EXPECTED
    server.create(layout)
    server.insert(records())
    source = add_source(server)
    run = sync(source)
    assert run.status == "done", run.error
    assert (run.counts["rows"], run.counts["imported"], run.counts["refused"]) == (10, 10, 0)
    assert {login: call_kpis(org[login]) for login in EXPECTED} == expected_figures
    assert source.status == "ok" and source.watermark.startswith("2026-02-03 14:00:00")
    assert source.last_success_at is not None
    # Nothing new: the newest call and the row count tell it without reading rows.
    again = sync(source)
    assert again.status == "done" and (again.counts["rows"], again.counts["imported"]) == (0, 0)
    assert CallLeg.objects.count() == 10
    assert {login: call_kpis(org[login]) for login in EXPECTED} == expected_figures


def test_postgres_timestamptz_is_read_on_the_pbx_clock(org):
    from tests.sources.cdrdb import Server

    server = Server("postgres")
    try:
        server.create("odbc", tz=True)
        # The PBX wrote on Moscow's clock; the server's own zone (UTC here) is not it.
        server.execute("SET TIME ZONE 'Europe/Moscow'")
        server.insert(records())
        run = sync(add_source(server))
        assert run.counts["imported"] == 10
        for login, expected in EXPECTED.items():
            assert call_kpis(org[login]) == expected, login
    finally:
        server.drop()


def test_the_mess_of_a_real_table(org, server):
    server.create("freepbx")
    rows = records()
    # A restart started the sequence again: later rows repeat earlier numbers.
    for i, r in enumerate(rows[5:]):
        r["sequence"] = i
    late = rows[5:7]  # the queue call at 12:00, written late
    server.insert(rows[:5] + rows[7:])
    if server.dialect == "mysql":  # MySQL's zero date, written by a PBX with no clock set
        server.execute(JUNK.format(date="'0000-00-00 00:00:00'"))
    server.execute(JUNK.format(date="NULL"))
    source = add_source(server)
    first = sync(source)
    junk = 2 if server.dialect == "mysql" else 1
    assert first.status == "done"
    assert (first.counts["imported"], first.counts["refused"]) == (8, junk)
    assert len([r for r in first.rejected if r["line"]]) == junk
    assert all("start" in r["reason"] or "время" in r["reason"] for r in first.rejected)
    # The last rows arrive after the watermark moved past their start (calls are written
    # when they end): the overlap window finds them.
    watermark = datetime.fromisoformat(source.watermark)
    assert all(r["start"].replace(tzinfo=None) < watermark for r in late)
    server.insert(late)
    second = sync(source)
    assert second.counts["imported"] == 2 and second.counts["refused"] == 0
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected, login


JUNK = (
    "INSERT INTO cdr (calldate, src, dst, duration, billsec, disposition) "
    "VALUES ({date}, '101', NULL, 5, 0, 'NO ANSWER')"
)


class Cut(Exception):
    pass


def test_a_sync_cut_off_mid_way_and_run_again_gives_the_figures_of_one_clean_sync(org, mariadb):
    mariadb.create("freepbx")
    mariadb.insert(records())
    source = add_source(mariadb)
    calls = pull.calls_source("pbx", "Europe/Moscow")

    def stop_after_four(rows: int) -> None:
        if rows >= 4:
            raise Cut

    with pytest.raises(Cut):
        pull.sync(calls, source.url, pull.Mark(), since=source.since, progress=stop_after_four,
                  batch_size=3, progress_every=1)  # fmt: skip
    assert 0 < CallLeg.objects.count() < 10
    source.calls = calls
    source.save()
    run = sync(source)
    assert run.counts["imported"] + run.counts["already_stored"] == 10
    assert CallLeg.objects.count() == 10
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected, login


def test_a_run_whose_worker_stopped_is_marked_cut_off(org, mariadb):
    from django.utils import timezone

    mariadb.create("freepbx")
    source = add_source(mariadb)
    stuck = runner.claim(runner.queue_sync(source, Run.Trigger.SCHEDULE).pk)
    Run.objects.filter(pk=stuck.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    call_command("worker")
    stuck.refresh_from_db()
    assert stuck.status == "cut_off"


def test_the_worker_syncs_due_sources_every_n_minutes(org, mariadb):
    import time_machine

    mariadb.create("odbc")
    mariadb.insert(records())
    source = add_source(mariadb, every_minutes=5)
    start = datetime(2026, 2, 10, 12, 0, tzinfo=MSK)
    with time_machine.travel(start, tick=False):
        call_command("worker")
    assert Run.objects.filter(trigger="schedule", status="done").count() == 1
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        call_command("worker")
    assert Run.objects.count() == 1  # not due yet
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        call_command("worker")
    assert Run.objects.count() == 2
    source.refresh_from_db()
    assert source.status == "ok"
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected, login
