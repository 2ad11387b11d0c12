"""Outside a transaction, a file's batches can be stored by a second thread: same result.

(The other telephony tests run inside the test's transaction, where the importer stores
on the caller's connection; these commit for real, so the writer's connection sees the
sellers and the test sees what the writer stored.)
"""

import importlib
import io

import pytest
from django.db import IntegrityError

from salespulse.lib.tabular import open_table
from salespulse.telephony import importer as importer_module
from salespulse.telephony.importer import Importer, import_file, reader_for
from salespulse.telephony.models import CallImport, CallLeg, CallSource
from tests.telephony.conftest import EXPECTED, call_kpis, master_csv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("catalogue")]


@pytest.fixture
def catalogue(transactional_db):
    """The KPIs the data migrations install (an earlier transactional test may have
    flushed them)."""
    from django.apps import apps

    from salespulse.kpis import builtin
    from salespulse.kpis.models import Kpi, Role, RoleKpi

    builtin.install(Kpi, Role, RoleKpi)
    importlib.import_module("salespulse.telephony.migrations.0002_answered_call_kpis").forward(
        apps, None
    )


@pytest.fixture
def writers(monkeypatch):
    started = []
    original = importer_module._Writer.start

    def start(self):
        started.append(self)
        original(self)

    monkeypatch.setattr(importer_module._Writer, "start", start)
    return started


@pytest.mark.parametrize("batch_size", [1, 4, 1000])
def test_a_file_stored_in_the_background_gives_the_same_figures(org, tmp_path, writers, batch_size):
    path = tmp_path / "Master.csv"
    path.write_text(master_csv(21))
    source = CallSource.objects.create(name="pbx", format="asterisk")
    result, record = import_file(source, str(path), batch_size=batch_size, background=True)
    assert len(writers) == 1 and not writers[0].is_alive()
    assert (result.rows, result.calls, result.imported, result.duplicates) == (10, 6, 10, 0)
    assert result.unmapped == {"104": 1}
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected, login
    again, _record = import_file(source, str(path), batch_size=batch_size, background=True)
    assert (again.imported, again.duplicates, again.facts_changed) == (0, 10, 0)
    assert CallLeg.objects.count() == 10 and CallImport.objects.count() == 2


def test_a_failing_batch_in_the_background_stops_the_import_with_its_error(org, writers):
    source = CallSource.objects.create(name="pbx", format="asterisk")
    with open_table(io.BytesIO(master_csv(21).encode())) as table:
        legs = list(reader_for(source).legs(table.rows()))
    importer = Importer(source, batch_size=5, background=True)
    importer.feed(legs[:5])
    legs[7].billsec = -1  # the database refuses it
    with pytest.raises(IntegrityError):
        importer.feed(legs[5:])
        importer.finish()
    assert len(writers) == 1 and not writers[0].is_alive()
    assert CallLeg.objects.count() == 5
    assert call_kpis(org["ann"]) == {"calls": 2, "answered_calls": 1, "conversations": 1,
                                     "talk_time": 45}  # fmt: skip
