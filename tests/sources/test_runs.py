"""Every way data comes in is a run: listed on the Sources page, with one result page."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from salespulse.crm.files import import_file as import_crm_file
from salespulse.sources.models import Run
from tests import factories
from tests.crm.conftest import company  # noqa: F401, F811
from tests.crm.exports import bitrix24_csv
from tests.crm.test_account_manager import history
from tests.telephony.conftest import master_csv
from tests.telephony.test_views import login, upload

pytestmark = pytest.mark.django_db


def test_uploads_cli_imports_and_crm_exports_are_runs(org, company, client, tmp_path):  # noqa: F811
    admin = factories.make_admin("root")
    login(client, admin)
    upload(client, master_csv().encode("cp1251"))
    path = tmp_path / "Master.csv"
    path.write_text(master_csv())
    call_command("import-calls", str(path), "--source", "cli", stdout=io.StringIO())
    deals = tmp_path / "deal.csv"
    deals.write_bytes(bitrix24_csv(history()[:2]))
    import_crm_file(str(deals), kind="deals", file_name="deal.csv", user=admin)
    runs = {(r.kind, r.trigger): r for r in Run.objects.all()}
    assert set(runs) == {("call-file", "web"), ("call-file", "cli"), ("deal-file", "web")}
    web = runs["call-file", "web"]
    assert web.status == "done" and web.user == admin and web.counts["imported"] == 10
    assert runs["call-file", "cli"].counts["already_stored"] == 0
    assert runs["deal-file", "web"].counts["created"] == 2
    listing = client.get(reverse("sources")).content.decode()
    for run in runs.values():
        assert reverse("source-run", args=[run.pk]) in listing
    page = client.get(reverse("source-run", args=[web.pk])).content.decode()
    assert "Импортировано</th><td>10" in page and "Уже были сохранены (пропущены)</th><td>0" in page
    assert reverse("telephony-import-result", args=[web.call_import_id]) in page
    crm = client.get(reverse("source-run", args=[runs["deal-file", "web"].pk])).content.decode()
    assert reverse("crm-import-result", args=[runs["deal-file", "web"].crm_import_id]) in crm
