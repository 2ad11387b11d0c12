"""Plain-Python CRM rules: names, stages, export rows, repeat deals, client status."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.crm.clients import (
    ClientInfo,
    ClientStatus,
    WonDeal,
    client_lines,
    client_status,
    repeat_flags,
    sort_lines,
)
from salespulse.lib.crm.formats import (
    AMOCRM,
    BITRIX24,
    DealRecord,
    RowError,
    detect_layout,
    merge_deals,
    parse_currency,
    read_deals,
)
from salespulse.lib.crm.names import PersonIndex, client_key, normalize_name
from salespulse.lib.crm.stages import StageKind, guess_kind
from salespulse.lib.tabular import TabularError

MSK = ZoneInfo("Europe/Moscow")


def test_client_names_match_whatever_the_quotes_and_spaces():
    assert client_key("ООО «Альфа»") == client_key('ооо  "Альфа" ') == "ооо альфа"
    assert normalize_name("Фёдоров") == "федоров"


def test_people_are_found_by_id_login_or_name_in_any_order():
    index = PersonIndex([(1, "17", "volkov", "Павел Волков"), (2, "", "petrov", "Иван Петров"),
                         (3, "", "petrov2", "Иван Петров-Водкин")])  # fmt: skip
    assert index.find("17") == index.find("Волков Павел") == index.find("volkov") == 1
    assert index.find("Петров Иван Сергеевич") == 2
    assert index.find("Никто") is None


def test_an_ambiguous_name_matches_nobody():
    index = PersonIndex([(1, "", "a", "Иван Петров"), (2, "", "b", "Иван Петров")])
    assert index.find("Иван Петров") is None


@pytest.mark.parametrize(
    "name, kind",
    [("Сделка успешна", StageKind.WON), ("C14:WON", StageKind.WON), ("LOSE", StageKind.LOST),
     ("Закрыто и не реализовано", StageKind.LOST), ("Новая", StageKind.LEAD),
     ("Подготовка документов", StageKind.IN_PROGRESS)],
)  # fmt: skip
def test_standard_stages_are_known(name, kind):
    assert guess_kind(name)[0] is kind


def test_an_unknown_stage_is_a_guess():
    assert guess_kind("Оплачено частично") == (StageKind.IN_PROGRESS, False)


def test_layouts_are_recognised_by_their_headers():
    assert detect_layout(["ID", "Стадия сделки", "Сумма"]) is BITRIX24
    assert detect_layout(["ID", "Бюджет ", "Этап  сделки"]) is AMOCRM
    assert detect_layout(["Номер", "Сумма"]) is None


def test_currency_names_as_bitrix24_writes_them():
    assert parse_currency("Российский рубль") == "RUB"
    assert parse_currency("") == "RUB"
    assert parse_currency("Доллар США") == "USD"
    with pytest.raises(TabularError):
        parse_currency("тугрики монгольские")


def rows(*lines):
    return list(enumerate(lines, 1))


def test_rows_become_records_or_errors_with_their_line():
    header = ["ID", "Стадия сделки", "Сумма", "Ответственный", "Дата изменения", "Компания"]
    items = list(
        read_deals(
            rows(header, ["1", "WON", "1 234 567,89", "Павел Волков", "03.02.2026 18:30:00", "А"],
                 ["2", "WON", "abc", "Павел Волков", "03.02.2026", ""],
                 ["3", "WON", "5", "Павел Волков", "03.02.2026", ""]),
            BITRIX24, MSK,
        )
    )  # fmt: skip
    first, bad, third = items
    assert isinstance(first, DealRecord) and first.amount == Decimal("1234567.89")
    assert first.closed_at == datetime(2026, 2, 3, 18, 30, tzinfo=MSK)
    assert isinstance(bad, RowError) and bad.line == 3
    assert third.closed_at == date(2026, 2, 3)  # a bare date stays the seller's day


def test_a_missing_required_column_refuses_the_file():
    with pytest.raises(TabularError, match="Стадия сделки"):
        list(read_deals(rows(["ID", "Ответственный"], ["1", "x"]), BITRIX24, MSK))


def _record(line, external_id, amount, products=1):
    return DealRecord(line, external_id, amount=Decimal(amount), product_rows=products)


@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 10**6)), max_size=30))
def test_product_rows_add_up_to_each_deal_once(rows_):
    merged = merge_deals(_record(i, d, a) for i, (d, a) in enumerate(rows_, 2))
    assert set(merged.deals) == {d for d, _ in rows_}
    for deal_id, record in merged.deals.items():
        assert record.amount == sum(a for d, a in rows_ if d == deal_id)
    assert sum(r.amount for r in merged.deals.values()) == sum(a for _, a in rows_)


def test_without_product_columns_a_repeated_id_is_a_later_copy():
    merged = merge_deals([_record(2, "a", 5, 0), _record(3, "a", 7, 0)])
    assert merged.deals["a"].amount == 7
    assert merged.warnings[0].line == 3


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1))


# Tie-break keys are (source, external id): unique per deal.
@given(
    st.lists(
        st.tuples(moments, st.text(max_size=3), st.booleans()),
        max_size=12,
        unique_by=lambda d: d[1],
    )
)
def test_exactly_the_first_won_deal_is_new_unless_the_crm_says_otherwise(deals):
    flags = repeat_flags(deals)
    if not deals:
        assert flags == []
        return
    first = min(range(len(deals)), key=lambda i: (deals[i][0], deals[i][1]))
    for i, flag in enumerate(flags):
        assert flag == (i != first or deals[i][2])
    # The order the rows came in does not matter.
    backwards = list(reversed(deals))
    assert sorted(zip(deals, flags, strict=True)) == sorted(
        zip(backwards, repeat_flags(backwards), strict=True)
    )


@given(st.integers(0, 1000), st.integers(1, 200), st.integers(0, 300))
def test_status_moves_from_active_to_at_risk_to_lost(idle, at_risk, extra):
    lost = at_risk + extra
    as_of = date(2026, 6, 1)
    status = client_status(as_of - timedelta(days=idle), None, as_of, at_risk, lost)
    expected = (
        ClientStatus.ACTIVE if idle <= at_risk else
        ClientStatus.AT_RISK if idle <= lost else ClientStatus.LOST
    )  # fmt: skip
    assert status is expected


def test_a_client_who_never_bought_ages_from_the_handover():
    assert client_status(None, date(2026, 1, 1), date(2026, 6, 1)) is ClientStatus.AT_RISK


def test_client_lines_count_the_period_from_the_handover_on():
    clients = [ClientInfo(1, "Альфа", date(2026, 3, 10)), ClientInfo(2, "Бета", None)]
    deals = [
        WonDeal(1, date(2026, 3, 5), Decimal(10), False),  # before the handover
        WonDeal(1, date(2026, 3, 12), Decimal(20), True),
        WonDeal(2, date(2026, 1, 5), Decimal(30), False),
    ]
    alfa, beta = client_lines(clients, deals, date(2026, 3, 1), date(2026, 3, 31),
                              date(2026, 3, 31))  # fmt: skip
    assert (alfa.deals, alfa.amount, alfa.is_repeat_buyer) == (1, Decimal(20), True)
    assert (beta.deals, beta.last_purchase, beta.status) == (0, date(2026, 1, 5),
                                                            ClientStatus.AT_RISK)  # fmt: skip
    assert [line.name for line in sort_lines([alfa, beta], "last_purchase", True)] == [
        "Альфа", "Бета"
    ]  # fmt: skip
    assert [line.name for line in sort_lines([alfa, beta], "status")] == ["Бета", "Альфа"]
