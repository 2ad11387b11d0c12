"""Real PBX exports read right: each row accounted for, each call to the seller who made it.

Runs on SQLite and on PostgreSQL (the suite's PostgreSQL leg).
"""

import io
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salespulse.lib.cdrgen import Pbx, asterisk_line
from salespulse.telephony.importer import import_file
from salespulse.telephony.models import CallImport, CallLeg, CallSource
from salespulse.telephony.queueimport import import_queue_log
from tests.factories import PASSWORD, make_admin, make_department, make_seller
from tests.telephony import pbxfiles
from tests.telephony.conftest import call_kpis

pytestmark = pytest.mark.django_db

COUNTS = ("imported", "already_stored", "repeats", "not_sales", "refused")


@pytest.fixture
def office(db):
    sales = make_department("sales", "Продажи")
    return {
        "ann": make_seller("ann", sales, "cold_caller", extension="301", timezone="Europe/Moscow"),
        "bob": make_seller("bob", sales, "cold_caller", extension="302", timezone="Europe/Moscow"),
    }


def run(path, *args: str) -> dict:
    out = StringIO()
    call_command("import-calls", str(path), *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def add_up(result: dict) -> bool:
    return result["rows"] == sum(result[k] for k in COUNTS)


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_a_russian_asterisk_over_a_digit_named_trunk(office, tmp_path):
    path = write(tmp_path, "Master.csv", pbxfiles.stadion_master_csv())
    result = run(path)
    assert result["layout"] == "Asterisk Master.csv (18 columns)"
    assert {k: result[k] for k in ("rows", *COUNTS)} == pbxfiles.STADION_COUNTS
    assert result["not_sales_by"] == {"service": 2, "internal": 1}
    assert result["unmapped"] == {}  # the trunk 211553 is nobody's extension
    for login, expected in pbxfiles.STADION_EXPECTED.items():
        assert call_kpis(office[login]) == expected, login
    # The failover's two refusals differ only in the trunk tried: two legs, one call.
    assert CallLeg.objects.filter(disposition="failed").count() == 2

    again = run(path)
    assert (again["imported"], again["already_stored"], again["repeats"]) == (0, 8, 1)
    assert again["not_sales"] == 3 and add_up(again)
    for login, expected in pbxfiles.STADION_EXPECTED.items():
        assert call_kpis(office[login]) == expected, login


def test_listed_trunks_and_outside_contexts_of_a_source(office, tmp_path):
    """Without the default contexts the trunk is recognised by what it carries."""
    CallSource.objects.create(name="stadion", format="asterisk", outside_contexts="")
    path = write(tmp_path, "Master.csv", pbxfiles.stadion_master_csv())
    result = run(path, "--source", "stadion")
    assert result["unmapped"] == {}
    for login, expected in pbxfiles.STADION_EXPECTED.items():
        assert call_kpis(office[login]) == expected, login


@pytest.mark.parametrize(
    ("columns", "dates", "line_end"), [(24, "dmy", "\r"), (27, "iso", "\n"), (24, "iso", "\r\n")]
)
def test_the_freepbx_cdr_table_exported_without_a_header(
    office, tmp_path, columns, dates, line_end
):
    path = write(tmp_path, "cdr.csv", pbxfiles.freepbx_cdr(columns, dates, line_end))
    result = run(path)
    assert result["layout"] == f"FreePBX/Issabel cdr table ({columns} columns, no header)"
    assert (result["rows"], result["imported"], result["refused"]) == (3, 3, 0)
    assert call_kpis(office["ann"]) == pbxfiles.FREEPBX_EXPECTED["ann"]
    assert call_kpis(office["bob"]) == {
        "calls": 0, "answered_calls": 0, "conversations": 0, "talk_time": 0,
    }  # fmt: skip


def test_a_cdr_report_keeps_every_leg_that_shares_a_uniqueid(office, tmp_path):
    """Before, uniqueid was the row id: half of these legs were dropped as duplicates."""
    path = write(tmp_path, "report.csv", pbxfiles.cdr_report(100).encode("cp1251"))
    result = run(path)
    assert result["layout"] == "CSV with a header row"
    assert (result["rows"], result["imported"], result["repeats"]) == (200, 200, 0)
    assert CallLeg.objects.count() == 200
    for login, expected in pbxfiles.cdr_report_expected(100).items():
        assert call_kpis(office[login]) == expected, login


line_records = st.fixed_dictionaries(
    {
        "ext": st.sampled_from(["301", "302"]),
        "number": st.sampled_from(["89161234567", "89245555937"]),
        "second": st.integers(0, 5),
        "talk": st.integers(0, 3),
        "trunk": st.sampled_from(["SIP/211553", "SIP/mts-out", "SIP/beeline"]),
        "uniqueid": st.sampled_from(["1770103200.20", "1770103200.21"]),
    }
)


def as_line(r: dict) -> str:
    start = pbxfiles.at(10, 0, r["second"])
    return asterisk_line(
        {"src": r["ext"], "dst": r["number"], "channel": f"SIP/{r['ext']}-00000001",
         "dstchannel": f"{r['trunk']}-00000002", "lastapp": "Dial",
         "lastdata": f"{r['trunk']}/{r['number']}", "start": start,
         "answer": start if r["talk"] else "", "end": start + timedelta(seconds=r["talk"]),
         "duration": r["talk"], "billsec": r["talk"],
         "disposition": "ANSWERED" if r["talk"] else "NO ANSWER", "uniqueid": r["uniqueid"]},
        18,
    )  # fmt: skip


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(line_records.map(as_line), min_size=1, max_size=15, unique=True))
def test_a_file_of_n_different_rows_stores_n_legs(office, lines):
    CallLeg.objects.all().delete()
    source, _ = CallSource.objects.get_or_create(name="pbx", format="asterisk")
    result, _record = import_file(source, io.BytesIO(("\n".join(lines) + "\n").encode()))
    assert (result.rows, result.imported, result.repeats) == (len(lines), len(lines), 0)
    assert CallLeg.objects.count() == len(lines)


def test_every_row_ends_in_exactly_one_count(office, tmp_path):
    """Imported, already stored, an exact repeat, not a sales call, or refused."""
    stadion = pbxfiles.stadion_master_csv().splitlines()
    first = write(tmp_path, "a.csv", "\n".join(stadion[:5]) + "\n")
    run(first)
    messy = [*stadion, '"a","b","c"', stadion[0].replace("2026-02-03", "1970-01-01")]
    result = run(write(tmp_path, "b.csv", "\n".join(messy) + "\n"))
    assert {k: result[k] for k in ("rows", *COUNTS)} == {
        "rows": 14, "imported": 3, "already_stored": 5, "repeats": 1, "not_sales": 3,
        "refused": 2,
    }  # fmt: skip
    assert add_up(result)
    record = CallImport.objects.latest("pk").result
    assert record["rows"] == sum(record[k] for k in COUNTS)


def test_repeats_across_batches_are_told_from_legs_stored_before(office):
    source = CallSource.objects.create(name="pbx", format="asterisk")
    lines = pbxfiles.stadion_master_csv().splitlines()
    import_file(source, io.BytesIO((lines[0] + "\n").encode()))
    text = "\n".join(lines + lines) + "\n"
    result, _record = import_file(source, io.BytesIO(text.encode()), batch_size=5)
    assert (result.already_stored, result.imported, result.not_sales) == (1, 7, 3)
    assert result.repeats == 13 and result.counts_add_up


def test_a_file_error_counts_the_rows_it_left_unwritten_as_refused(office):
    """A cell past the csv field limit (1 MiB) stops the reading: the batch read is not written."""
    source = CallSource.objects.create(name="pbx", format="asterisk")
    pbx = Pbx(pbxfiles.MSK)
    calls = [pbx.outbound("301", "89161234567", pbxfiles.at(9, 0) + timedelta(minutes=i), 30)
             for i in range(400)]  # fmt: skip
    lines = [asterisk_line(r, 18) for call in calls for r in call.records]
    text = "\n".join([*lines, '"' + "x" * 2_000_000 + '"', *lines[:3]]) + "\n"
    result, _record = import_file(source, io.BytesIO(text.encode()))
    assert "Line 401" in result.error and result.counts_add_up
    assert (result.rows, result.refused) == (400, 400) and CallLeg.objects.count() == 0


def test_a_cell_over_128_kib_refuses_its_row_not_the_file(office):
    source = CallSource.objects.create(name="pbx", format="asterisk")
    pbx = Pbx(pbxfiles.MSK)
    calls = [pbx.outbound("301", "89161234567", pbxfiles.at(9, 0) + timedelta(minutes=i), 30)
             for i in range(50)]  # fmt: skip
    lines = [asterisk_line(r, 18) for call in calls for r in call.records]
    text = "\n".join([*lines[:25], '"' + "x" * 200_000 + '"', *lines[25:]]) + "\n"
    result, _record = import_file(source, io.BytesIO(text.encode()))
    assert result.error == "" and result.counts_add_up
    assert (result.imported, result.refused) == (len(lines), 1)


@pytest.mark.parametrize("queue_log_first", [False, True])
def test_a_queue_log_decides_who_answered_and_how_long(office, tmp_path, queue_log_first):
    master = write(tmp_path, "Master.csv", pbxfiles.queue_master_csv())
    qlog = write(tmp_path, "queue_log", pbxfiles.queue_log())
    source = CallSource.objects.create(name="queue", format="detect", timezone="Europe/Moscow")
    if queue_log_first:
        queue, _record = import_queue_log(source, str(qlog))
        run(master, "--source", "queue")
    else:
        run(master, "--source", "queue")
        assert call_kpis(office["ann"])["talk_time"] == 190  # the wait and the abandon in it
        queue, _record = import_queue_log(source, str(qlog))
    assert (queue.lines, queue.used, queue.other, queue.refused) == (8, 5, 3, 0)
    assert (queue.answered, queue.abandoned) == (1, 1)
    assert call_kpis(office["ann"]) == pbxfiles.QUEUE_EXPECTED
    assert call_kpis(office["bob"])["calls"] == 0


def test_the_cli_takes_a_queue_log_with_its_cdrs(office, tmp_path):
    master = write(tmp_path, "Master.csv", pbxfiles.queue_master_csv())
    qlog = write(tmp_path, "queue_log", pbxfiles.queue_log())
    result = run(master, "--queue-log", str(qlog))
    assert result["queue_log"]["answered"] == 1 and result["queue_log"]["abandoned"] == 1
    assert call_kpis(office["ann"]) == pbxfiles.QUEUE_EXPECTED
    again = run(master, "--queue-log", str(qlog))
    assert again["queue_log"]["imported"] == 0 and again["imported"] == 0
    assert call_kpis(office["ann"]) == pbxfiles.QUEUE_EXPECTED
    out = StringIO()
    call_command("import-calls", str(master), "--queue-log", str(qlog), stdout=out)
    assert "queue_log" in out.getvalue()


def test_the_upload_detects_the_layout_and_takes_a_queue_log(office, client):
    admin = make_admin("root")
    assert client.login(username=admin.username, password=PASSWORD)
    response = client.post(
        reverse("telephony-upload"),
        {
            "file": SimpleUploadedFile("Master.csv", pbxfiles.queue_master_csv().encode()),
            "queue_log": SimpleUploadedFile("queue_log", pbxfiles.queue_log().encode()),
            "name": "office", "format": "detect", "timezone": "Europe/Moscow",
        },
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Asterisk Master.csv (21 columns)" in page and "queue_log" in page
    assert call_kpis(office["ann"]) == pbxfiles.QUEUE_EXPECTED
    assert CallSource.objects.get().format == "detect"


def test_a_trunk_stored_as_an_agent_before_is_not_offered_once_listed(office, tmp_path):
    from salespulse.telephony.importer import unmapped_agents

    source = CallSource.objects.create(name="old", format="asterisk")
    path = write(tmp_path, "Master.csv", pbxfiles.stadion_master_csv())
    import_file(source, str(path))
    CallLeg.objects.filter(pk=CallLeg.objects.first().pk).update(employee=None, agent="211553")
    CallLeg.objects.filter(dst="*60").update(employee=None, agent="305")
    assert {a["agent"] for a in unmapped_agents()} == {"211553", "305"}
    source.trunks = "211553"
    source.save()
    assert [a["agent"] for a in unmapped_agents()] == ["305"]


def test_the_upload_leaves_an_existing_source_its_own_format(office, client):
    admin = make_admin("root")
    assert client.login(username=admin.username, password=PASSWORD)
    source = CallSource.objects.create(name="stadion", format="asterisk")
    response = client.post(
        reverse("telephony-upload"),
        {
            "file": SimpleUploadedFile("Master.csv", pbxfiles.stadion_master_csv().encode()),
            "source": source.pk, "format": "detect", "timezone": "Europe/Moscow",
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert CallImport.objects.get().result["imported"] == 8
    source.refresh_from_db()
    assert source.format == "asterisk"
