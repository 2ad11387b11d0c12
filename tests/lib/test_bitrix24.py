"""Bitrix24's REST answers into deal records, against a local portal speaking the API."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salespulse.lib.crm import bitrix24 as b24
from salespulse.lib.crm.http import AccessDenied, JsonClient, Unreachable
from salespulse.lib.crm.people import Person, match_users
from salespulse.lib.crm.stages import StageKind
from tests.fake_bitrix24 import Portal, Server, parse_php

MSK = ZoneInfo("Europe/Moscow")


def portal(server: Server, sleeps: list[float] | None = None) -> b24.Portal:
    sleeps = [] if sleeps is None else sleeps
    return b24.Portal(JsonClient(server.url, per_second=0, sleep=sleeps.append))


keys = st.text("abIDZ_>=@!", min_size=1, max_size=8)
values = st.text("az09 &=?+%[]«Ж:", max_size=8)


# Nested dictionaries draw slowly on a busy machine; the inputs are small by construction.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(
        keys,
        st.one_of(values, st.lists(values, min_size=1, max_size=3),
                  st.dictionaries(keys, values, min_size=1, max_size=3)),
        max_size=4,
    )
)  # fmt: skip
def test_a_batch_command_carries_its_parameters_as_php_reads_them(params):
    assert parse_php(b24.php_query(params)) == params


@pytest.mark.parametrize(
    "status_id, semantics, kind",
    [
        ("C8:WON", "S", StageKind.WON),
        ("C8:PREPAYMENT", "S", StageKind.WON),  # a custom id with success semantics
        ("C8:1", "F", StageKind.LOST),
        ("APOLOGY", "failure", StageKind.LOST),
        ("C8:WON", None, StageKind.WON),  # an older portal: the id decides, not the name
        ("C2:LOSE", None, StageKind.LOST),
        ("C2:NEW", "P", StageKind.LEAD),
        ("PREPARATION", None, StageKind.IN_PROGRESS),
    ],
)
def test_won_and_lost_come_from_semantics_or_the_id_never_the_name(status_id, semantics, kind):
    assert b24.stage_kind(status_id, semantics) is kind


def test_stages_are_stored_by_name_unless_a_name_means_two_things():
    stages = b24.read_stages([
        {"STATUS_ID": "WON", "NAME": "Сделка успешна", "SEMANTICS": "S"},
        {"STATUS_ID": "C8:WON", "NAME": "Первая оплата получена", "SEMANTICS": "S"},
        {"STATUS_ID": "C8:NEW", "NAME": "Новая", "SEMANTICS": None},
        {"STATUS_ID": "NEW", "NAME": "Новая", "SEMANTICS": None},
        {"STATUS_ID": "C8:PAY", "NAME": "Оплата", "EXTRA": {"SEMANTICS": "process"}},
        {"STATUS_ID": "C9:PAY", "NAME": "Оплата", "EXTRA": {"SEMANTICS": "success"}},
    ])  # fmt: skip
    names = {i: (s.name, s.kind) for i, s in b24.stage_names(stages).items()}
    assert names == {
        "WON": ("Сделка успешна", StageKind.WON),
        "C8:WON": ("Первая оплата получена", StageKind.WON),
        "C8:NEW": ("Новая", StageKind.LEAD),
        "NEW": ("Новая", StageKind.LEAD),
        "C8:PAY": ("C8:PAY", StageKind.IN_PROGRESS),
        "C9:PAY": ("C9:PAY", StageKind.WON),
    }


def test_users_match_by_mapping_then_crm_id_then_email_then_name():
    people = [
        Person("volkov", "Павел Волков", "volkov@example.ru"),
        Person("lebedev", "Андрей Лебедев", "", crm_id="17"),
        Person("ivanov1", "Иван Иванов"),
        Person("ivanov2", "Иван Иванов"),
        Person("petrov", "Пётр Петров"),
    ]
    users = b24.read_users([
        {"ID": "5", "NAME": "Паша", "LAST_NAME": "В.", "EMAIL": "Volkov@Example.ru"},
        {"ID": "17", "NAME": "Андрей", "LAST_NAME": "Лебедев"},
        {"ID": "20", "NAME": "Иван", "LAST_NAME": "Иванов"},  # two of them: nobody
        {"ID": "21", "NAME": "Петр", "SECOND_NAME": "Ильич", "LAST_NAME": "Петров"},
        {"ID": "22", "NAME": "Иван", "LAST_NAME": "Иванов", "EMAIL": "volkov@example.ru"},
        {"ID": "30", "NAME": "Кто", "LAST_NAME": "Угодно"},
    ])  # fmt: skip
    found = match_users(users.values(), people, {"22": "ivanov2", "99": "volkov"})
    assert found == {"5": "volkov", "17": "lebedev", "21": "petrov", "22": "ivanov2"}


def test_a_deal_becomes_a_record_with_its_win_moment_money_and_repeat_flag():
    stages = b24.stage_names([b24.Stage("C8:WON", "Первая оплата получена", StageKind.WON)])
    clients = b24.Clients({"3": "ООО «Альфа»"}, {"9": "Иван Петров"})
    raw = {
        "ID": "101", "TITLE": "Поставка", "STAGE_ID": "C8:WON", "OPPORTUNITY": "1234567.89",
        "CURRENCY_ID": "USD", "ASSIGNED_BY_ID": "5", "COMPANY_ID": "0", "CONTACT_ID": "9",
        "DATE_CREATE": "2026-02-01T10:00:00+03:00", "DATE_MODIFY": "2026-02-05T09:00:00+03:00",
        "MOVED_TIME": "2026-02-03T22:30:00+03:00", "CLOSEDATE": "2026-02-08T03:00:00+03:00",
        "IS_RETURN_CUSTOMER": "N", "IS_REPEATED_APPROACH": "Y",
    }  # fmt: skip
    record = b24.deal_record(raw, 1, stages, clients, "volkov", MSK)
    assert isinstance(record, b24.DealRecord)
    assert (record.external_id, record.stage, record.seller) == (
        "101",
        "Первая оплата получена",
        "volkov",
    )
    assert (record.amount, record.currency, record.repeat) == (Decimal("1234567.89"), "USD", True)
    assert record.client == "Иван Петров"
    assert record.closed_at == datetime(2026, 2, 3, 19, 30, tzinfo=UTC)
    bad = b24.deal_record(raw | {"OPPORTUNITY": "-5"}, 2, stages, clients, "volkov", MSK)
    assert isinstance(bad, b24.RowError) and "negative" in bad.message


def many(portal: Portal, n: int) -> None:
    portal.add_user(1, "Павел", "Волков")
    for i in range(1, n + 1):
        portal.put_deal(i, user=1, stage="WON", amount="100.00",
                        moved=f"2026-02-{1 + i % 28:02d}T12:00:00+03:00")  # fmt: skip


def test_pages_after_the_first_come_fifty_to_a_batch():
    with Server() as server:
        many(server.portal, 2600)  # 52 pages: the first, then a batch of 50 and one of 1
        api = portal(server)
        params = b24.deal_params({})
        first = api.call("crm.deal.list", {**params, "start": 0})
        rows = b24.rows_of(first.result)
        for page in api.rest(first, "crm.deal.list", params):
            rows.extend(page)
    assert [int(r["ID"]) for r in rows] == list(range(1, 2601))
    assert set(rows[0]) == set(b24.DEAL_SELECT)
    assert api.client.requests == 3


def test_the_date_modify_filter_is_honoured_with_the_overlap():
    with Server() as server:
        many(server.portal, 3)
        server.portal.put_deal(7, user=1, stage="NEW", moved="2026-02-10T12:00:00+03:00",
                               modified="2026-02-10T12:05:00+03:00")  # fmt: skip
        api = portal(server)
        flt = b24.deal_filter("2026-02-10T12:12:00+03:00")
        assert flt == {">DATE_MODIFY": "2026-02-10T12:02:00+03:00"}
        assert [r["ID"] for r in api.every("crm.deal.list", b24.deal_params(flt))] == ["7"]


def test_slow_down_answers_are_waited_out_and_retried():
    sleeps: list[float] = []
    with Server() as server:
        many(server.portal, 3)
        server.portal.fail = [503, "throttle-200"]
        api = portal(server, sleeps)
        rows = api.every("crm.deal.list", b24.deal_params({}))
    assert len(rows) == 3
    assert (api.client.requests, len(sleeps)) == (3, 2) and api.client.waited == sum(sleeps)


def test_a_portal_over_its_limit_is_paced_not_failed():
    with Server() as server:
        many(server.portal, 500)  # 10 pages, asked one by one
        server.portal.rate, server.portal.burst = 20, 2
        api = b24.Portal(JsonClient(server.url, per_second=20, backoff=0.05))
        rows = []
        for start in range(0, 500, 50):
            rows += b24.rows_of(api.call("crm.deal.list", {"start": start}).result)
    assert len(rows) == 500 and server.portal.throttled <= 2


def test_a_revoked_webhook_is_access_denied_and_an_unknown_method_an_error():
    with Server() as server:
        api = portal(server)
        with pytest.raises(b24.Bitrix24Error, match="ERROR_METHOD_NOT_FOUND"):
            api.call("crm.nothing")
        server.portal.revoked = True
        with pytest.raises(AccessDenied, match="401"):
            api.call("crm.deal.list")
        server.portal.revoked = False
        server.portal.fail = [503] * 6
        with pytest.raises(Unreachable):
            api.call("crm.deal.list")


def test_escaped_cyrillic_reads_as_cyrillic():
    with Server() as server:
        server.portal.add_company(3, "ООО «Ромашка»")
        api = portal(server)
        pages = api.batch(b24.by_ids("crm.company.list", ["3"], ["ID", "TITLE"]))
    assert [r["TITLE"] for p in pages.values() for r in p.result] == ["ООО «Ромашка»"]
