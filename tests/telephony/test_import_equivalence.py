"""The fast import path gives exactly the figures of the reference counting rules.

`cdr.day_figures` is the plain statement of the rules (README, "Telephony"); the importer
counts in the database and in one pass over the file. On a messy file (every kind of
multi-leg call, sellers in two time zones, a department with its own threshold, a source
that does not count inbound calls, duplicate rows, rows out of order, a bad row, an
Excel re-save without quotes and seconds, batches cutting calls in half) the stored legs
and the day facts must say what the rules say of those legs.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from salespulse.kpis.models import DailyFact
from salespulse.lib import cdr
from salespulse.lib.cdrgen import Call, Pbx, asterisk_line
from salespulse.org.models import Employee
from salespulse.telephony.daycount import KPI_CODES
from salespulse.telephony.importer import import_file
from salespulse.telephony.models import CallLeg, CallSource, ConversationThreshold
from tests.factories import make_department, make_seller
from tests.telephony.conftest import MSK

pytestmark = pytest.mark.django_db


def messy_lines(seed: int) -> list[str]:
    rng = random.Random(seed)
    pbx = Pbx(MSK, seed=seed)
    exts = ["101", "102", "103", "104", "105"]
    lines: list[str] = []
    moment = datetime(2026, 2, 2, 20, 30, tzinfo=MSK)  # crosses midnight in both zones
    for _ in range(120):
        moment += timedelta(seconds=rng.randint(20, 400))
        number = "79" + str(rng.randrange(10**8, 10**9))
        ext = rng.choice(exts)
        kind = rng.random()
        if kind < 0.4:
            talk = rng.choice([None, 3, 15, 16, rng.randint(1, 300)])
            call = pbx.outbound(ext, number, moment, talk)
        elif kind < 0.6:
            group = rng.sample(exts, 3)
            call = pbx.ring_group(number, group, rng.choice(group), moment, rng.randint(5, 90))
        elif kind < 0.7:
            # Put on hold and picked up again on another channel: two answered legs of one
            # call, overlapping or not, whose talk is the union of both.
            first = pbx.outbound(ext, number, moment, rng.randint(5, 40)).records[0]
            again = moment + timedelta(seconds=rng.randint(10, 90))
            second = pbx.outbound(ext, number, again, rng.randint(5, 40)).records[0]
            second.update(uniqueid=first["uniqueid"], linkedid=first["linkedid"])
            call = Call([first, second])
        elif kind < 0.8:
            call = pbx.queue_via_local(number, ext, moment, rng.choice([10, 15, 16, 200]))
        else:
            other = rng.choice([e for e in exts if e != ext])
            call = pbx.transfer(number, ext, other, moment, rng.randint(5, 30), rng.randint(5, 60))
        lines += [asterisk_line(r, rng.choice([17, 18, 21])) for r in call.records]
    rng.shuffle(lines[40:80])  # out of time order
    lines += lines[10:20]  # duplicate rows
    lines.insert(50, '"a","b","c"')  # a bad row
    # An Excel re-save of a few rows: no quotes, dates without seconds.
    for i in range(100, 110):
        cells = next(csv.reader([lines[i]]))
        for j, cell in enumerate(cells):
            if len(cell) == 19 and cell[4] == "-" and cell[10] == " ":
                cells[j] = cell[:16]
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        lines[i] = out.getvalue()
    return lines


def reference_figures() -> dict[tuple[int, date], dict[str, int]]:
    """The rules, applied to every stored leg (the importer before it counted in SQL)."""
    counted = {s.pk: s.counted_directions for s in CallSource.objects.all()}
    own = dict(ConversationThreshold.objects.values_list("department_id", "seconds"))
    thresholds = {e.pk: own.get(e.department_id, 15) for e in Employee.objects.all()}
    legs = [
        cdr.FactLeg(
            employee_id=leg.employee_id,
            day=leg.day,
            call_key=f"{leg.source_id}:{leg.call_key}",
            direction=leg.direction,
            answered=leg.disposition == "answered",
            talk_start=(leg.answer or leg.end - timedelta(seconds=leg.billsec)).astimezone(UTC),
            billsec=leg.billsec,
            counts=leg.direction == "" or leg.direction in counted[leg.source_id],
        )
        for leg in CallLeg.objects.filter(employee__isnull=False)
    ]
    return {
        key: figures.as_kpis()
        for key, figures in cdr.day_figures(legs, thresholds.__getitem__).items()
    }


def stored_figures() -> dict[tuple[int, date], dict[str, int]]:
    found: dict[tuple[int, date], dict[str, int]] = {}
    for employee, day, code, value in DailyFact.objects.filter(kpi__code__in=KPI_CODES).values_list(
        "employee_id", "day", "kpi__code", "auto_value"
    ):
        found.setdefault((employee, day), {})[code] = int(value)
    return found


@pytest.mark.parametrize(("seed", "batch_size"), [(1, 7), (2, 50), (3, 10_000)])
def test_the_import_counts_what_the_rules_say(tmp_path, seed, batch_size):
    cold = make_department("cold", "Холодные звонки")
    warm = make_department("warm", "Тёплые звонки")
    ConversationThreshold.objects.create(department=warm, seconds=30)
    for i, ext in enumerate(["101", "102", "103", "104"]):
        make_seller(
            f"s{ext}", cold if i < 2 else warm, "cold_caller", extension=ext,
            timezone="Europe/Moscow" if i % 2 else "Asia/Yekaterinburg",
        )  # fmt: skip
    lines = messy_lines(seed)
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(lines) + "\n")
    now = datetime(2026, 2, 10, tzinfo=UTC)
    office = CallSource.objects.create(name="office", format="asterisk", timezone="Europe/Moscow")
    result, _record = import_file(office, str(path), batch_size=batch_size, now=now)
    assert result.rejected_total == 1 and result.imported > 200
    # A second source reads the second half again and counts outbound calls only.
    half = tmp_path / "half.csv"
    half.write_text("\n".join(lines[len(lines) // 2 :]) + "\n")
    outbound = CallSource.objects.create(
        name="outbound", format="asterisk", timezone="Europe/Moscow", directions="outbound"
    )
    import_file(outbound, str(half), batch_size=batch_size, now=now)
    again, _record = import_file(office, str(path), batch_size=batch_size, now=now)
    assert again.imported == 0

    expected = reference_figures()
    assert sum(f["calls"] for f in expected.values()) > 100
    assert any(f["answered_calls"] != f["conversations"] for f in expected.values())
    stored = stored_figures()
    assert {k: v for k, v in stored.items() if any(v.values())} == {
        k: v for k, v in expected.items() if any(v.values())
    }
    assert all(
        value == Decimal(int(value)) for value in DailyFact.objects.values_list("value", flat=True)
    )


@pytest.mark.parametrize("batch_size", [9, 10_000])
def test_overlapping_parts_of_a_file_count_what_the_rules_say(tmp_path, batch_size):
    """Days already holding legs (an earlier part of the file) are counted with them."""
    department = make_department("cold", "Холодные звонки")
    for i, ext in enumerate(["101", "102", "103", "104", "105"]):
        make_seller(
            f"s{ext}", department, "cold_caller", extension=ext,
            timezone="Europe/Moscow" if i % 2 else "Asia/Yekaterinburg",
        )  # fmt: skip
    lines = messy_lines(4)
    now = datetime(2026, 2, 10, tzinfo=UTC)
    office = CallSource.objects.create(name="office", format="asterisk", timezone="Europe/Moscow")
    first, whole = tmp_path / "first.csv", tmp_path / "whole.csv"
    first.write_text("\n".join(lines[: len(lines) * 3 // 5]) + "\n")
    whole.write_text("\n".join(lines) + "\n")
    import_file(office, str(first), batch_size=batch_size, now=now)
    counted_first = stored_figures()
    result, _record = import_file(office, str(whole), batch_size=batch_size, now=now)
    assert result.duplicates > 100 and result.imported > 50

    expected = reference_figures()
    assert stored_figures() != counted_first  # the second file did add to those days
    stored = stored_figures()
    assert {k: v for k, v in stored.items() if any(v.values())} == {
        k: v for k, v in expected.items() if any(v.values())
    }


def test_a_day_another_import_adds_to_between_batches_is_recounted(org):
    """Legs held from the previous batch count a day only while they are all it has."""
    from salespulse.lib.tabular import open_table
    from salespulse.telephony.importer import Importer, reader_for
    from tests.telephony.conftest import EXPECTED, NOW, call_kpis, master_csv

    office = CallSource.objects.create(name="office", format="asterisk", timezone="Europe/Moscow")
    mobile = CallSource.objects.create(name="mobile", format="asterisk", timezone="Europe/Moscow")
    legs = list(
        reader_for(office, now=NOW).legs(open_table(io.BytesIO(master_csv().encode())).rows())
    )
    importer = Importer(office, batch_size=10_000)
    importer.feed(legs[:3])  # ann's first calls
    importer.flush()
    # Meanwhile ann's mobile PBX reports one more answered call of hers that day.
    extra = Pbx(MSK, seed=9).outbound(
        "101", "79160000001", datetime(2026, 2, 3, 16, 0, tzinfo=MSK), 50
    )
    import_file(mobile, io.BytesIO(master_csv(calls=[extra]).encode()), now=NOW)
    importer.feed(legs[3:])
    importer.finish()
    ann = EXPECTED["ann"]
    assert call_kpis(org["ann"]) == {
        "calls": ann["calls"] + 1,
        "answered_calls": ann["answered_calls"] + 1,
        "conversations": ann["conversations"] + 1,
        "talk_time": ann["talk_time"] + 50,
    }


def test_legs_another_import_stored_after_the_check_are_not_stored_twice(org, monkeypatch):
    """The ids are checked before the batch is written; a concurrent import of the same
    file may store some in between. The batch then lets the database sort them out."""
    from salespulse.telephony import legstore
    from tests.telephony.conftest import EXPECTED, NOW, call_kpis, master_csv

    office = CallSource.objects.create(name="office", format="asterisk", timezone="Europe/Moscow")
    lines = master_csv().splitlines(keepends=True)
    import_file(office, io.BytesIO("".join(lines[:4]).encode()), now=NOW)  # the other import
    monkeypatch.setattr(legstore, "stored_ids", lambda source, ids: {})
    result, _record = import_file(office, io.BytesIO("".join(lines).encode()), now=NOW)
    assert (result.imported, result.duplicates) == (len(lines) - 4, 4)
    assert CallLeg.objects.count() == len(lines)
    assert call_kpis(org["ann"]) == EXPECTED["ann"]
