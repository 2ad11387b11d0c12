"""A big web upload is queued and imported by the worker; the result page follows it."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from salespulse.sources import runner
from salespulse.sources.models import Run
from salespulse.telephony.models import CallImport, CallLeg, CallSource
from tests.factories import make_admin
from tests.telephony.conftest import EXPECTED, call_kpis, master_csv
from tests.telephony.test_import_background import catalogue  # noqa: F401
from tests.telephony.test_views import login, upload


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("catalogue")
def test_a_big_upload_is_imported_by_the_worker(org, client, monkeypatch, settings):
    monkeypatch.setattr(runner, "BACKGROUND_BYTES", 100)  # this file is 4 KB
    login(client, make_admin("root"))
    response = upload(client, master_csv().encode("cp1251"))
    record = CallImport.objects.get()
    assert response["Location"] == reverse("telephony-import-result", args=[record.pk])
    assert record.status == CallImport.Status.RUNNING
    run = Run.objects.get()
    assert (run.status, run.kind, run.trigger) == ("queued", "call-file", "web")
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and "salespulse worker" in page
    assert not CallLeg.objects.exists()  # nothing on the web server's threads
    call_command("worker")
    record.refresh_from_db()
    run.refresh_from_db()
    assert record.status == CallImport.Status.DONE
    assert (record.result["imported"], record.rows_read) == (10, 10)
    assert run.status == "done" and run.counts["imported"] == 10
    assert CallSource.objects.get().name == "office"
    for login_, expected in EXPECTED.items():
        assert call_kpis(org[login_]) == expected
    page = client.get(response["Location"]).content.decode()
    assert "104" in page and 'http-equiv="refresh"' not in page
    assert not list((settings.DATA_DIR / "imports").iterdir())  # the saved upload is gone


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("catalogue")
def test_an_upload_cut_off_by_a_restart_is_run_again_counting_nothing_twice(
    org, client, monkeypatch
):
    monkeypatch.setattr(runner, "BACKGROUND_BYTES", 100)
    login(client, make_admin("root"))
    upload(client, master_csv().encode("cp1251"))
    run = runner.claim()
    # The worker imported part of the file, then its server restarted.
    half = "\n".join(master_csv().splitlines()[:5]) + "\n"
    source = CallSource.objects.get()
    from salespulse.telephony.importer import import_file

    import_file(source, __import__("io").BytesIO(half.encode("cp1251")))
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert Path(run.file_path).is_file()
    call_command("worker")
    run.refresh_from_db()
    again = Run.objects.exclude(pk=run.pk).get(call_import_id=run.call_import_id)
    assert run.status == "cut_off" and again.status == "done"
    assert again.counts["imported"] + again.counts["already_stored"] == 10
    assert again.counts["already_stored"] == 5
    for login_, expected in EXPECTED.items():
        assert call_kpis(org[login_]) == expected
    assert CallImport.objects.get(pk=run.call_import_id).status == CallImport.Status.DONE


@pytest.mark.django_db
def test_the_result_page_follows_a_running_import_and_tells_a_stopped_one(org, client):
    login(client, make_admin("root"))
    source = CallSource.objects.create(name="office", format="asterisk")
    record = CallImport.objects.create(
        source=source, file_name="Master.csv", status=CallImport.Status.RUNNING, rows_read=40000
    )
    url = reverse("telephony-import-result", args=[record.pk])
    page = client.get(url).content.decode()
    assert 'http-equiv="refresh"' in page and "Идёт импорт" in page
    assert "Прочитано строк: 40\xa0000" in page
    assert "идёт импорт" in client.get(reverse("telephony-upload")).content.decode()
    CallImport.objects.filter(pk=record.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    page = client.get(url).content.decode()
    assert 'http-equiv="refresh"' not in page and "Загрузите файл снова" in page


@pytest.mark.django_db
def test_an_import_that_failed_in_the_worker_shows_its_error(org, client):
    login(client, make_admin("root"))
    source = CallSource.objects.create(name="office", format="asterisk")
    record = CallImport.objects.create(
        source=source, result={"error": "disk full", "rejected": [], "rejected_total": 0}
    )
    page = client.get(reverse("telephony-import-result", args=[record.pk])).content.decode()
    assert "disk full" in page and 'http-equiv="refresh"' not in page
