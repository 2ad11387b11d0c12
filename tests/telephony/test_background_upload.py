"""A big web upload is imported on its own thread; the result page follows it."""

import threading
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from salespulse.telephony import background
from salespulse.telephony.models import CallImport, CallSource
from tests.factories import make_admin
from tests.telephony.conftest import EXPECTED, call_kpis, master_csv
from tests.telephony.test_import_background import catalogue  # noqa: F401
from tests.telephony.test_views import login, upload


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("catalogue")
def test_a_big_upload_is_imported_in_the_background(org, client, monkeypatch, settings):
    monkeypatch.setattr(background, "BACKGROUND_BYTES", 100)  # this file is 4 KB
    # The import waits at the gate until the test has seen the page of a running import.
    gate, real_import = threading.Event(), background.import_file

    def gated_import(*args, **kwargs):
        gate.wait(timeout=30)
        return real_import(*args, **kwargs)

    monkeypatch.setattr(background, "import_file", gated_import)
    login(client, make_admin("root"))
    response = upload(client, master_csv().encode("cp1251"))
    record = CallImport.objects.get()
    assert response["Location"] == reverse("telephony-import-result", args=[record.pk])
    assert record.status == CallImport.Status.RUNNING
    assert 'http-equiv="refresh"' in client.get(response["Location"]).content.decode()
    thread = background.running[record.pk]
    gate.set()
    thread.join(timeout=30)
    record.refresh_from_db()
    assert record.status == CallImport.Status.DONE
    assert (record.result["imported"], record.rows_read) == (10, 10)
    assert CallSource.objects.get().name == "office"
    for login_, expected in EXPECTED.items():
        assert call_kpis(org[login_]) == expected
    page = client.get(response["Location"]).content.decode()
    assert "104" in page and 'http-equiv="refresh"' not in page
    assert not list((settings.DATA_DIR / "imports").iterdir())  # the saved upload is gone


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
def test_an_import_that_failed_on_its_thread_shows_its_error(org, client):
    login(client, make_admin("root"))
    source = CallSource.objects.create(name="office", format="asterisk")
    record = CallImport.objects.create(
        source=source, result={"error": "disk full", "rejected": [], "rejected_total": 0}
    )
    page = client.get(reverse("telephony-import-result", args=[record.pk])).content.decode()
    assert "disk full" in page and 'http-equiv="refresh"' not in page
