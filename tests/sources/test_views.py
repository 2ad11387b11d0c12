"""The Sources page: staff only; add, test the connection (in Russian), sync via the worker."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from salespulse.sources.models import Run, Source
from tests.factories import make_admin, make_head, make_user
from tests.sources.test_pull import records
from tests.telephony.test_views import login

pytestmark = pytest.mark.django_db


def test_it_checks_access(org, client):
    source = Source.objects.create(name="pbx", kind="asterisk-db", url="sqlite:///nowhere.db")
    run = Run.objects.create(kind="sync", trigger="web", source=source)
    urls = [reverse("sources"), reverse("source-run", args=[run.pk])]
    posts = [reverse("source-test", args=[source.pk]), reverse("source-sync", args=[source.pk])]
    for url in urls:
        assert client.get(url).status_code == 302  # to log in
    for user in (make_head("head", [org["cold"]]), org["ann"].user):
        login(client, user)
        for url in urls:
            assert client.get(url).status_code == 403
        for url in posts:
            assert client.post(url).status_code == 403
    assert Run.objects.count() == 1
    login(client, make_user("staff", is_staff=True))
    assert client.get(reverse("sources")).status_code == 200


def test_add_test_and_sync_from_the_page(org, client, mariadb):
    login(client, make_admin("root"))
    mariadb.create("freepbx")
    mariadb.insert(records())
    response = client.post(
        reverse("sources"),
        {"name": "pbx", "kind": "asterisk-db", "url": mariadb.url, "timezone": "Europe/Moscow",
         "since": "2026-02-01", "every_minutes": 5, "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    source = Source.objects.get()
    page = client.post(reverse("source-test", args=[source.pk]), follow=True).content.decode()
    assert "Подключение работает" in page and "FreePBX" in page
    response = client.post(reverse("source-sync", args=[source.pk]))
    run = Run.objects.get()
    assert response["Location"] == reverse("source-run", args=[run.pk])
    assert run.status == "queued"  # the worker runs it, not the web server
    assert "salespulse worker" in client.get(response["Location"]).content.decode()
    call_command("worker")
    page = client.get(response["Location"]).content.decode()
    assert "Импортировано</th><td>10" in page
    page = client.get(reverse("sources")).content.decode()
    assert "работает" in page and "0 мин" in page and "Проверить подключение" in page
    assert mariadb.url not in page or ":@" not in page


@pytest.mark.parametrize(
    "url, said",
    [
        ("mysql://root:@127.0.0.1:1/cdr", "Сервер базы данных недоступен"),
        ("mysql://nobody_wt14:wrong@127.0.0.1:3306/{db}", "Неверное имя пользователя или пароль"),
        ("mysql://root:@127.0.0.1:3306/{db}?table=calls", "Таблицы «calls» нет"),
        ("mysql://root:@127.0.0.1:3306/{db}?table=other", "нет столбцов даты звонка"),
        ("mysql://root:@127.0.0.1:3306/nosuchdb_wt14", "Такой базы данных нет"),
    ],
)
def test_the_test_button_says_what_is_wrong(org, client, mariadb, url, said):
    mariadb.execute("CREATE TABLE other (id INT, name VARCHAR(20))")
    login(client, make_admin("root"))
    source = Source.objects.create(name="pbx", kind="asterisk-db", url=url.format(db=mariadb.name))
    page = client.post(reverse("source-test", args=[source.pk]), follow=True).content.decode()
    assert said in page
