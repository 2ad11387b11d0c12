"""The client report and the import page: who may see what, sorting, exports, uploads."""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from salespulse.crm.models import Deal, ImportRun
from tests import factories
from tests.crm.exports import bitrix24_csv
from tests.crm.test_account_manager import history, load

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def url(login):
    return f"/crm/clients/{login}/"


def test_an_account_manager_sees_their_own_clients(client, company):
    load(company)
    client.force_login(company["novikova"].user)
    response = client.get(url("novikova"), MARCH)
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("ООО «Альфа»", "АО «Вектор»", "ООО «Гранит»", "ООО «Дельта»"):
        assert name in body


def test_it_checks_ownership(client, company):
    load(company)
    other_head = factories.make_head("egorov", [factories.make_department("cold")])
    for user, status in [
        (company["volkov"].user, 404),  # another seller
        (company["head_sales"], 404),  # the head of another department
        (other_head, 404),
        (company["head_accounts"], 200),  # the department's head
    ]:
        client.force_login(user)
        assert client.get(url("novikova"), MARCH).status_code == status, user
        assert (
            client.get(url("novikova"), MARCH | {"export": "clients", "format": "csv"}).status_code
            == status
        )
    client.logout()
    assert client.get(url("novikova")).status_code == 302


def test_the_managers_list_shows_only_visible_account_managers(client, company):
    client.force_login(company["head_accounts"])
    body = client.get("/crm/clients/").content.decode()
    assert url("novikova") in body and url("volkov") not in body
    client.force_login(company["head_sales"])
    assert url("novikova") not in client.get("/crm/clients/").content.decode()


def test_sorting_by_sum_descending(client, company):
    load(company)
    client.force_login(company["head_accounts"])
    body = client.get(url("novikova"), MARCH | {"sort": "amount", "dir": "desc"}).content.decode()
    order = [body.index(n) for n in ("ООО «Альфа»", "АО «Вектор»", "ООО «Дельта»", "ООО «Гранит»")]
    assert order == sorted(order)


def test_the_report_renders_in_a_fixed_number_of_queries(
    client, company, django_assert_max_num_queries
):
    load(company)
    client.force_login(company["head_accounts"])
    with django_assert_max_num_queries(12):
        client.get(url("novikova"), MARCH)


def test_xlsx_and_csv_exports_carry_the_report(client, company):
    load(company)
    client.force_login(company["head_accounts"])
    response = client.get(
        url("novikova"), MARCH | {"export": "clients", "format": "xlsx", "sort": "name"}
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 5
    alfa = next(r for r in rows if r[0] == "ООО «Альфа»")
    assert alfa[1].date() == date(2026, 1, 10) and alfa[2] == 2 and alfa[3] == 100000
    # Through the one exporter: the screen's number formats, dates as dd.mm.yyyy.
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["D2"].number_format == '#,##0.00 "₽"' and sheet["C2"].number_format == "#,##0"
    assert sheet["B2"].number_format == "DD.MM.YYYY"

    text = client.get(
        url("novikova"), MARCH | {"export": "clients", "format": "csv"}
    ).content.decode("utf-8-sig")
    assert "ООО «Альфа»;10.01.2026;2;100000,00;20.03.2026;" in text


def test_only_an_admin_may_upload_and_the_result_page_lists_bad_rows(client, company):
    client.force_login(company["head_sales"])
    assert client.get("/crm/import/").status_code == 403
    admin = factories.make_admin("root")
    client.force_login(admin)
    data = bitrix24_csv(
        history()[:2]
    ) + '"99";"x";"Сделка успешна";"1";"";"Никто Никтович";"";"01.03.2026";"";"";"";\n'.encode(
        "cp1251"
    )
    response = client.post(
        "/crm/import/",
        {"file": SimpleUploadedFile("deal.csv", data), "kind": "deals", "format": ""},
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/crm/import/{run.pk}/"
    assert Deal.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Никто Никтович" in page and '<td class="num">4</td>' in page
    client.force_login(company["head_sales"])
    assert client.get(response["Location"]).status_code == 403


def test_an_unreadable_upload_says_why_and_writes_nothing(client, company):
    client.force_login(factories.make_admin("root"))
    response = client.post(
        "/crm/import/",
        {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"), "kind": "deals", "format": ""},
    )
    assert response.status_code == 200
    assert "Не удалось определить, из какой системы эта выгрузка" in response.content.decode()
    assert not Deal.objects.exists()


def test_a_big_upload_is_imported_by_the_worker_not_the_request(client, company, monkeypatch):
    from django.core.management import call_command

    from salespulse.sources import runner
    from salespulse.sources.models import Run

    monkeypatch.setattr(runner, "BACKGROUND_BYTES", 100)  # this export is bigger
    client.force_login(factories.make_admin("root"))
    data = bitrix24_csv(history()[:2])
    response = client.post(
        "/crm/import/",
        {"file": SimpleUploadedFile("deal.csv", data), "kind": "deals", "format": ""},
    )
    run = Run.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sources/runs/{run.pk}/"
    assert (run.status, run.kind, run.trigger) == ("queued", "deal-file", "web")
    assert not Deal.objects.exists()  # nothing on the web server's threads
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page
    call_command("worker")
    run.refresh_from_db()
    assert run.status == "done" and run.counts["created"] == 2
    assert Deal.objects.count() == 2 and Run.objects.count() == 1
    assert f"/crm/import/{run.crm_import_id}/" in client.get(response["Location"]).content.decode()
    # The saved upload is gone; the same file again changes nothing.
    client.post(
        "/crm/import/",
        {"file": SimpleUploadedFile("deal.csv", data), "kind": "deals", "format": ""},
    )
    call_command("worker")
    assert Deal.objects.count() == 2
    assert Run.objects.order_by("-pk").first().counts["unchanged"] == 2


def test_a_refused_big_upload_says_why_on_its_run(client, company, monkeypatch):
    from django.core.management import call_command

    from salespulse.sources import runner
    from salespulse.sources.models import Run

    monkeypatch.setattr(runner, "BACKGROUND_BYTES", 5)
    client.force_login(factories.make_admin("root"))
    client.post(
        "/crm/import/",
        {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n"), "kind": "deals", "format": ""},
    )
    call_command("worker")
    run = Run.objects.get()
    assert run.status == "failed" and run.error  # the reason, worded as the page words it
    assert not Deal.objects.exists()
