"""The head edits a scheme in a form (not JSON), previews it on last month, saves it."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import time_machine

from salespulse.bonus.models import Scheme
from salespulse.lib import bonus_spec
from tests.bonus.conftest import SCHEME, fact
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
URL = "/bonus/north/scheme/"


def form_data(page) -> dict:
    """What the browser would post back untouched."""
    data = {}
    for form in [page.context["form"], *page.context["lines"].forms]:
        for name in form.fields:
            value = form[name].value()
            if value not in (None, False):
                data[form.add_prefix(name)] = str(value)
    management = page.context["lines"].management_form
    for name in management.fields:
        data[management.add_prefix(name)] = management[name].value()
    return data


@pytest.fixture
def head(client, org):
    client.login(username="north_head", password=PASSWORD)
    return client


def test_it_checks_ownership(client, org):
    with time_machine.travel(NOON, tick=False):
        for outsider in ("ann", "bob", "south_head"):
            client.login(username=outsider, password=PASSWORD)
            assert client.get(URL).status_code == 404
            assert client.post(URL, {"save": "1"}).status_code == 404
        client.login(username="director", password=PASSWORD)
        assert client.get(URL).status_code == 200


def test_the_form_shows_the_scheme_in_force_and_saves_it_back_unchanged(head, org):
    with time_machine.travel(NOON, tick=False):
        page = head.get(URL)
        data = form_data(page)
        assert data["lines-0-kind"] == "per_unit" and data["lines-1-steps"] == "50 → 50; 100 → 100"
        response = head.post(URL, {**data, "valid_from": "2026-12", "save": "1"})
    assert response.status_code == 302
    saved = Scheme.objects.get(department=org["north"])
    assert saved.valid_from == date(2026, 12, 1)
    assert saved.parsed() == bonus_spec.parse(bonus_spec.loads(SCHEME))


def test_the_preview_shows_what_last_month_would_have_paid(head, org):
    for day in (1, 2):
        fact(org["ann"], "leads", date(2026, 10, day + 4), 12)  # 24 leads in October
    with time_machine.travel(NOON, tick=False):
        data = form_data(head.get(URL))
        data["lines-0-rate"] = "1000"  # 1 000 ₽ a lead above 10 instead of 500
        page = head.post(URL, {**data, "preview": "1"})
    ((new, old),) = page.context["preview"]
    # October had no plan (the ladder pays nothing) and no scheme yet (nothing to compare).
    assert new.bonus == (24 - 10) * 1000 and old is None
    assert "14\u00a0000\u00a0₽" in page.content.decode().replace("&nbsp;", "\u00a0")
    assert not Scheme.objects.filter(department=org["north"]).exists()


def test_a_mistake_is_shown_and_nothing_is_saved(head, org):
    with time_machine.travel(NOON, tick=False):
        data = form_data(head.get(URL))
        page = head.post(URL, {**data, "lines-1-steps": "100 → 50; 70 → 20", "save": "1"})
        assert page.context["error"] == "строка 2: ступени должны идти по возрастанию выполнения"
        page = head.post(URL, {**data, "lines-1-steps": "seventy", "save": "1"})
        assert "ступень пишется так" in str(page.context["lines"].errors)
    assert not Scheme.objects.filter(department=org["north"]).exists()


def test_a_weighted_bonus_is_built_from_its_lines(head, org):
    with time_machine.travel(NOON, tick=False):
        data = form_data(head.get(URL))
        data |= {
            "weighted_target": "20000",
            "gate_zeroes_all": "on",
            "lines-0-kind": "weighted", "lines-0-kpi": "leads", "lines-0-weight": "60",
            "lines-0-gate": "80", "lines-0-rate": "",
            "lines-1-kind": "weighted", "lines-1-kpi": "calls", "lines-1-weight": "40",
            "lines-1-steps": "", "lines-1-target": "",
            "valid_from": "2026-11", "save": "1",
        }  # fmt: skip
        assert head.post(URL, data).status_code == 302
    (weighted,) = Scheme.objects.get(department=org["north"]).parsed().components
    assert weighted.target == 20000 and weighted.gate_zeroes_all
    assert [(p.kpi, p.weight, p.curve.gate) for p in weighted.parts] == [
        ("leads", D("0.6"), D("0.8")), ("calls", D("0.4"), 0),
    ]  # fmt: skip


def test_a_head_overrides_the_scheme_for_one_seller(head, org):
    with time_machine.travel(NOON, tick=False):
        data = form_data(head.get(URL + "?for=seller:ann"))
        response = head.post(
            URL,
            {**data, "for": "seller:ann", "base": "50000", "valid_from": "2026-12", "save": "1"},
        )
        assert response.status_code == 302
        # bob is not in north: his name is not a choice here.
        assert head.get(URL + "?for=seller:bob").status_code == 404
    saved = Scheme.objects.get(employee=org["ann"])
    assert saved.parsed().base == 50000 and saved.valid_from == date(2026, 12, 1)
    assert not Scheme.objects.filter(department=org["north"]).exists()
