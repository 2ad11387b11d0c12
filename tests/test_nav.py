"""Every role's navigation leads to every page the role may use, and each opens for them;
error pages come in the app's layout, in the user's language, with a way back."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from salespulse.front.views import server_error
from tests.factories import (
    make_admin,
    make_department,
    make_director,
    make_head,
    make_seller,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    north, south = make_department("north", "Север"), make_department("south", "Юг")
    return {
        "caller": make_seller("caller", north, "cold_caller"),
        "manager": make_seller("manager", north, "account_manager"),
        "head": make_head("head", [north]),
        "head2": make_head("head2", [north, south]),
        "director": make_director("director"),
        "admin": make_admin("admin"),
    }


def nav_links(page: str) -> list[str]:
    header = page.split("<nav>", 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', header)


EXPECTED = {
    "caller": {
        "/reports/day/",
        "/reports/month/",
        "/sellers/caller/",
        "/departments/north/leaderboard/",
    },
    "manager": {
        "/reports/day/",
        "/reports/month/",
        "/sellers/manager/",
        "/crm/clients/manager/",
        "/departments/north/leaderboard/",
    },
    "head": {
        "/departments/north/",
        "/departments/north/plans/",
        "/departments/north/team/",
        "/departments/north/funnel/",
        "/departments/north/leaderboard/",
        "/crm/clients/",
    },
    "head2": {"/departments/", "/crm/clients/"},
    "director": {"/departments/", "/crm/clients/"},
    "admin": {"/departments/", "/crm/clients/", "/telephony/import/", "/crm/import/", "/admin/"},
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_reaches_its_pages_and_each_opens(client, org, who):
    person = org[who]
    user = getattr(person, "user", person)
    client.force_login(user)
    home = client.get("/", follow=True)
    links = set(nav_links(home.content.decode()))
    assert EXPECTED[who] <= links, links
    for url in links - {"/admin/"}:
        assert client.get(url).status_code == 200, url


def test_the_board_links_each_departments_plans_and_team(client, org):
    client.force_login(org["director"])
    page = client.get("/departments/south/").content.decode()
    assert "/departments/south/plans/" in page and "/departments/south/team/" in page


@pytest.mark.parametrize(
    "url",
    [
        "/departments/north/plans/",
        "/departments/north/team/",
        "/departments/north/funnel/",
        "/departments/north/",
        "/crm/clients/manager/",
        "/sellers/manager/",
    ],
)
def test_a_seller_gets_404_for_the_heads_pages_in_the_apps_layout(client, org, url):
    client.force_login(org["caller"].user)
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Страница не найдена" in page and 'class="brand"' in page and 'href="/"' in page


def test_error_pages_speak_english_when_chosen(client, org):
    client.force_login(org["caller"].user)
    client.cookies["django_language"] = "en"
    page = client.get("/departments/north/plans/").content.decode()
    assert "Page not found" in page and "To the home page" in page


def test_403_is_in_the_layout(client, org):
    client.force_login(org["head"])
    response = client.get("/telephony/import/")
    assert response.status_code == 403
    assert "Нет доступа" in response.content.decode()


def test_500_is_in_the_layout_and_never_fails_itself():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with translation.override("ru"):  # the language middleware's choice
        response = server_error(request)
    assert response.status_code == 500
    assert "Что-то пошло не так" in response.content.decode()
