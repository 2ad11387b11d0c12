"""`salespulse import-calls`: Asterisk Master.csv in, the sellers' call KPIs out."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from salespulse.kpis.models import DailyFact
from salespulse.telephony.models import CallImport, CallLeg, CallSource
from tests.telephony.conftest import EXPECTED, call_kpis, master_csv

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = StringIO()
    call_command("import-calls", *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def run_failing(*args: str) -> tuple[dict, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import-calls", *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue()), str(caught.value)


@pytest.fixture
def master(tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text(master_csv(21))
    return path


def test_the_multi_leg_day_gives_each_seller_their_calls(org, master):
    result = run(str(master))
    assert result == {
        "rows": 10,
        "layout": "Asterisk Master.csv (21 columns)",
        "calls": 6,
        "imported": 10,
        "already_stored": 0,
        "repeats": 0,
        "not_sales": 0,
        "not_sales_by": {},
        "refused": 0,
        "duplicates": 0,
        "rejected": [],
        "unmapped": {"104": 1},
    }
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected, login
    fact = DailyFact.objects.filter(employee=org["ann"], kpi__code="calls").get()
    assert fact.source == DailyFact.Source.AUTO and fact.auto_value == 3
    source = CallSource.objects.get()
    assert (source.name, source.format, source.timezone) == ("calls", "detect", "Europe/Moscow")
    assert CallImport.objects.get().result["imported"] == 10


def test_importing_twice_changes_nothing(org, master):
    run(str(master))
    before = list(DailyFact.objects.order_by("pk").values_list("pk", "value", "updated_at"))
    again = run(str(master))
    assert (again["imported"], again["already_stored"], again["calls"]) == (0, 10, 6)
    assert list(DailyFact.objects.order_by("pk").values_list("pk", "value", "updated_at")) == before
    assert CallLeg.objects.count() == 10


def test_an_overlapping_file_only_adds_what_is_new(org, tmp_path):
    lines = master_csv(21).splitlines(keepends=True)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("".join(lines[:6]))
    second.write_text("".join(lines[3:]))
    run(str(first))
    result = run(str(second))
    assert (result["imported"], result["already_stored"]) == (4, 3)
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected, login


def test_a_sellers_correction_is_kept_beside_what_the_pbx_says(org, master):
    from decimal import Decimal

    from salespulse.kpis.facts import set_reported_facts
    from tests.telephony.conftest import DAY

    set_reported_facts(org["ann"].pk, DAY, {"calls": Decimal(5)})
    run(str(master))
    fact = DailyFact.objects.get(employee=org["ann"], kpi__code="calls")
    assert (fact.value, fact.auto_value, fact.source) == (5, 3, DailyFact.Source.REPORT)


def test_plain_output_and_the_progress_bar_stay_off_stdout(org, master):
    out, err = StringIO(), StringIO()
    call_command("import-calls", str(master), stdout=out, stderr=err)
    text = out.getvalue()
    assert "10" in text and "104: 1" in text
    assert "[" not in text  # the bar is only drawn on a terminal, and never on stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Файл пуст."),
        (b"\x00\x01\x02\x03binary\x00" * 50, "Это не таблица"),
    ],
)
def test_a_file_that_is_not_a_table_exits_non_zero(org, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result, error = run_failing(str(path))
    assert message in error
    assert result["imported"] == 0 and result["rejected"][0]["line"] == 0
    assert not CallLeg.objects.exists() and not DailyFact.objects.exists()


def test_a_missing_file_and_a_bad_zone_are_errors(org, tmp_path):
    with pytest.raises(CommandError, match="Файл не найден"):
        call_command("import-calls", str(tmp_path / "nope.csv"), stdout=StringIO())
    with pytest.raises(CommandError, match="Неизвестный часовой пояс"):
        call_command("import-calls", "x", "--tz", "Mars/Olympus", stdout=StringIO())


def test_a_source_keeps_its_format(org, master):
    run(str(master), "--source", "office", "--format", "asterisk")
    with pytest.raises(CommandError, match="читает файлы asterisk"):
        call_command(
            "import-calls", str(master), "--source", "office", "--format", "csv",
            stdout=StringIO(),
        )  # fmt: skip


def test_a_wrong_format_file_is_refused_as_a_whole(org, tmp_path):
    path = tmp_path / "deals.csv"
    rows = ["ID;Название;Стадия;Сумма;Ответственный;Дата создания"]
    rows += [f"{i};Сделка {i};Успешно;1000,00;Иванов;03.02.2026" for i in range(300)]
    path.write_text("\n".join(rows) + "\n", encoding="cp1251")
    result, error = run_failing(str(path), "--format", "asterisk")
    assert "не похоже на файл" in error and "Столбцов в строке: 6" in error
    assert result["imported"] == 0 and not CallLeg.objects.exists()


def test_bad_rows_are_listed_and_the_good_ones_imported(org, tmp_path):
    good = master_csv(18).splitlines()
    bad = [
        '"a","b","c","d","e","f","g"',
        good[0].replace(",57,45,", ",-57,45,"),
        good[0].replace('"2026-02-03', '"1970-01-01'),
    ]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join([bad[0], *good[:3], bad[1], *good[3:], bad[2]]) + "\n")
    result = run(str(path))
    assert [r["line"] for r in result["rejected"]] == [1, 5, 13]
    assert result["imported"] == 10
    assert "7" in result["rejected"][0]["reason"]


def test_a_failing_batch_leaves_no_half_counted_day(org):
    """Batch 1 commits with its day figures; batch 2 fails and leaves nothing behind."""
    import io

    from django.db import IntegrityError

    from salespulse.lib.tabular import open_table
    from salespulse.telephony.importer import Importer, reader_for

    source = CallSource.objects.create(name="pbx", format="asterisk")
    with open_table(io.BytesIO(master_csv(21).encode())) as table:
        legs = list(reader_for(source).legs(table.rows()))
    importer = Importer(source, batch_size=5)
    importer.feed(legs[:5])
    legs[7].billsec = -1  # the database refuses it, as a disk error or a bug would fail it
    with pytest.raises(IntegrityError):
        importer.feed(legs[5:])
        importer.finish()
    assert CallLeg.objects.count() == 5
    # ann's day says exactly what her stored legs say: two outbound calls, 45 s.
    assert call_kpis(org["ann"]) == {"calls": 2, "answered_calls": 1, "conversations": 1,
                                     "talk_time": 45}  # fmt: skip
    assert call_kpis(org["bob"])["talk_time"] == 70


def test_demo_figures_written_as_cdrs_import_back_to_the_same_kpis(org, tmp_path):
    from datetime import date

    from salespulse.lib.cdrgen import Pbx, asterisk_line, calls_for_figures
    from tests.telephony.conftest import MSK

    wanted = {
        ("ann", "101", date(2026, 2, 2)): (40, 12, 1500),
        ("ann", "101", date(2026, 2, 3)): (55, 20, 2400),
        ("bob", "102", date(2026, 2, 3)): (30, 0, 0),
    }
    pbx = Pbx(MSK, seed=3)
    lines = [
        asterisk_line(record, 21)
        for (_login, ext, day), (calls, conversations, talk) in wanted.items()
        for call in calls_for_figures(pbx, ext, day, calls, conversations, talk)
        for record in call.records
    ]
    path = tmp_path / "demo.csv"
    path.write_text("\n".join(lines) + "\n")
    run(str(path))
    for (login, _ext, day), (calls, conversations, talk) in wanted.items():
        assert call_kpis(org[login], day) == {
            "calls": calls,
            "answered_calls": conversations,
            "conversations": conversations,
            "talk_time": talk,
        }


@pytest.mark.parametrize("batch_size", [1, 3, 4, 1000])
def test_calls_and_figures_do_not_depend_on_the_batch_size(org, master, batch_size):
    from salespulse.telephony.importer import import_file

    source = CallSource.objects.create(name="pbx", format="asterisk")
    result, _record = import_file(source, str(master), batch_size=batch_size)
    assert (result.rows, result.calls, result.imported) == (10, 6, 10)
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected, login
