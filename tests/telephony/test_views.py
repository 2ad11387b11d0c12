"""The staff's upload page, its result page and the unmapped agents page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salespulse.telephony.models import AgentAlias, CallImport, CallLeg, CallSource
from tests.factories import PASSWORD, make_admin, make_director, make_head, make_seller, make_user
from tests.telephony.conftest import EXPECTED, call_kpis, master_csv

pytestmark = pytest.mark.django_db

PAGES = ["telephony-upload", "telephony-unmapped"]


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def upload(client, content: bytes, **fields):
    data = {"file": SimpleUploadedFile("Master.csv", content), "name": "office",
            "format": "asterisk", "timezone": "Europe/Moscow"} | fields  # fmt: skip
    return client.post(reverse("telephony-upload"), data)


@pytest.mark.parametrize("page", PAGES)
def test_it_checks_who_may_import(org, client, page):
    url = reverse(page)
    assert client.get(url).status_code == 302  # to the login page
    for user in (org["ann"].user, make_head("head", [org["cold"]]), make_director("dir")):
        login(client, user)
        assert client.get(url).status_code == 403, user
    login(client, make_user("staff", is_staff=True))
    assert client.get(url).status_code == 200
    login(client, make_admin("root"))
    assert client.get(url).status_code == 200


def test_the_result_page_checks_who_may_see_it(org, client):
    login(client, make_admin("root"))
    response = upload(client, master_csv().encode())
    url = response["Location"]
    client.logout()
    login(client, org["ann"].user)
    assert client.get(url).status_code == 403
    assert upload(client, master_csv().encode()).status_code == 403
    assert CallImport.objects.count() == 1


def test_an_upload_shows_the_same_result_as_the_cli(org, client):
    login(client, make_admin("root"))
    response = upload(client, master_csv().encode("cp1251"))
    record = CallImport.objects.get()
    assert response["Location"] == reverse("telephony-import-result", args=[record.pk])
    assert CallSource.objects.get().name == "office"
    page = client.get(response["Location"]).content.decode()
    assert "104" in page and "Master.csv" in page
    for login_, expected in EXPECTED.items():
        assert call_kpis(org[login_]) == expected
    again = upload(client, master_csv().encode(), source=CallSource.objects.get().pk, name="")
    assert CallImport.objects.latest("pk").result["duplicates"] == 10
    assert again.status_code == 302


def test_a_bad_file_is_reported_on_the_result_page(org, client):
    login(client, make_admin("root"))
    response = upload(client, b"\x00\x01binary" * 40)
    page = client.get(response["Location"]).content.decode()
    assert "This is not a table" in page or "Это не таблица" in page
    assert not CallLeg.objects.exists()


def test_mapping_an_agent_moves_its_past_calls(org, client):
    login(client, make_admin("root"))
    upload(client, master_csv().encode())
    dan = make_seller("dan", org["cold"], "cold_caller")
    page = client.get(reverse("telephony-unmapped")).content.decode()
    assert ">104<" in page
    response = client.post(reverse("telephony-unmapped"), {"agent": "104", "seller": dan.pk})
    assert response.status_code == 302
    assert AgentAlias.objects.get().employee == dan
    # Moving past calls reads every stored leg: the worker does it, not the request.
    assert call_kpis(dan) == {}
    call_command("worker")
    assert call_kpis(dan) == {"calls": 1, "answered_calls": 1, "conversations": 1,
                              "talk_time": 90}  # fmt: skip
    assert ">104<" not in client.get(reverse("telephony-unmapped")).content.decode()


def test_pages_read_a_fixed_number_of_queries(org, client):
    login(client, make_admin("root"))
    upload(client, master_csv().encode())
    for ext in ("105", "106", "107"):
        upload(client, master_csv().replace('"104"', f'"{ext}"').replace("SIP/104", f"SIP/{ext}")
               .encode(), name=f"pbx{ext}")  # fmt: skip
    for name in ("telephony-upload", "telephony-unmapped"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        assert len(queries) <= 8, (name, [q["sql"] for q in queries])
