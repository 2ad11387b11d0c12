"""The demo company's PBX: an asterisk-db source on a cdr_sqlite3_custom-style file."""

from datetime import date

import pytest

from salespulse.core import demo
from salespulse.kpis.models import DailyFact
from salespulse.sources import demo as demo_pbx
from salespulse.sources.models import Run, Source

pytestmark = pytest.mark.django_db

FIGURES = ["calls", "conversations", "talk_time"]


def call_figures() -> dict:
    return {
        (f.employee_id, f.day, f.kpi.code): f.value
        for f in DailyFact.objects.filter(kpi__code__in=FIGURES).select_related("kpi")
    }


def test_the_seed_has_a_working_pbx_source():
    demo.seed(date(2026, 11, 25))
    source = Source.objects.get(name=demo_pbx.NAME)
    assert source.kind == "asterisk-db" and source.url.endswith("demo-pbx/master.db")
    assert source.status == "ok" and source.last_success_at is not None
    run = Run.objects.get(source=source)
    assert run.status == "done" and run.counts["imported"] > 100 and run.counts["refused"] == 0


def test_its_sync_changes_no_figure_the_demo_wrote():
    demo._Seeder(date(2026, 11, 25)).run()
    before = call_figures()
    source = demo_pbx.install()
    assert Run.objects.get(source=source).counts["imported"] > 100
    assert call_figures() == before
    assert DailyFact.objects.filter(day=source.since, kpi__code="answered_calls").exists()
