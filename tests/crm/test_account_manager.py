"""Account-manager KPIs and the client report, against a hand computation on the same files."""

import io
from datetime import date
from decimal import Decimal

import pytest

from salespulse.crm.files import import_file
from salespulse.crm.models import Client, Deal
from salespulse.crm.report import client_report
from salespulse.kpis.figures import load as load_figures
from salespulse.lib.crm.clients import ClientStatus
from salespulse.lib.periods import Period
from tests.crm.exports import D, amocrm_csv, bitrix24_csv, clients_csv
from tests.crm.helpers import facts, kpi

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
WON = "Сделка успешна"
NOV = "Елена Новикова"


def history():
    """Новикова's clients: Альфа buys in Jan and twice in March, Вектор once in March (its
    first purchase), Гранит only in January, Дельта is handed over in March and buys."""
    return [
        D("1", NOV, WON, Decimal("100000"), "15.01.2026 12:00", company="ООО «Альфа»"),
        D("2", NOV, WON, Decimal("40000"), "05.03.2026 12:00", company="ООО «Альфа»"),
        D("3", NOV, WON, Decimal("60000"), "20.03.2026 12:00", company="ООО \"Альфа\""),
        D("4", NOV, WON, Decimal("30000"), "10.03.2026 12:00", company="АО «Вектор»"),
        D("5", NOV, WON, Decimal("20000"), "20.01.2026 12:00", company="ООО «Гранит»"),
        D("6", "Павел Волков", WON, Decimal("10000"), "02.02.2026 12:00", company="ООО «Дельта»"),
        D("7", NOV, WON, Decimal("15000"), "25.03.2026 12:00", company="ООО «Дельта»"),
        D("8", NOV, "Сделка провалена", Decimal("999"), "26.03.2026 12:00:00",
          company="ООО «Гранит»"),
    ]  # fmt: skip


def load(company, clients=True):
    if clients:
        import_file(
            io.BytesIO(
                clients_csv(
                    [
                        ("ООО «Альфа»", "Новикова Елена", "10.01.2026"),
                        ("АО «Вектор»", "Новикова Елена", "01.02.2026"),
                        ("ООО «Гранит»", "Новикова Елена", "10.01.2026"),
                        ("ООО «Дельта»", "Новикова Елена", "15.03.2026"),
                    ],
                    "cp1251",
                )
            ),
            kind="clients",
        )
    return import_file(io.BytesIO(bitrix24_csv(history())))


def test_account_manager_kpis_follow_the_readme_definitions(company):
    result = load(company)
    assert result.error_count == 0
    nov = company["novikova"]
    # Portfolio at the end of March: 4. Bought in March: Альфа, Вектор, Дельта (3).
    # Repeat deals in March: Альфа's two (Вектор's and Дельта's are their first won deals
    # after... Дельта bought in February from Волков, so its March deal is repeat too).
    assert kpi(nov, "clients_in_work", *MARCH) == 4
    assert kpi(nov, "buyers", *MARCH) == 3
    assert kpi(nov, "repeat_buyers", *MARCH) == 2  # Альфа, Дельта
    assert kpi(nov, "repeat_deals", *MARCH) == 3
    assert kpi(nov, "repeat_sum", *MARCH) == Decimal("115000")
    assert kpi(nov, "avg_repeat_check", *MARCH) == Decimal("115000") / 3
    assert kpi(nov, "repeat_buyers_pct", *MARCH) == Decimal(50)  # 2 of 4
    # Retention: the portfolio at the start of March (handed over before 1 March) is Альфа,
    # Вектор and Гранит; Альфа (twice) and Вектор bought in March. Дельта, handed over on
    # 15 March, bought too, but was not there when March began.
    assert kpi(nov, "clients_at_start", *MARCH) == 3
    assert kpi(nov, "retained_buyers", *MARCH) == 2
    assert kpi(nov, "retention_pct", *MARCH) == Decimal(2) / 3 * 100
    # Волков's sale to Дельта before the handover is his, not the portfolio's.
    assert facts(company["volkov"], "deals_sum") == {date(2026, 2, 2): Decimal("10000")}
    assert kpi(nov, "repeat_sum", date(2026, 2, 1), date(2026, 2, 28)) == 0


def test_a_month_is_not_the_sum_of_its_days(company):
    load(company)
    nov = company["novikova"]
    by_day = sum(kpi(nov, "repeat_buyers", d, d) for d in (date(2026, 3, 5), date(2026, 3, 20)))
    assert by_day == 2 and kpi(nov, "repeat_buyers", date(2026, 3, 5), date(2026, 3, 20)) == 1


def test_without_a_client_import_the_account_manager_of_the_first_won_deal_gets_the_client(
    company,
):
    load(company, clients=False)
    nov = company["novikova"]
    portfolio = dict(Client.objects.filter(manager=nov).values_list("name", "handed_over_on"))
    assert portfolio == {
        "ООО «Альфа»": date(2026, 1, 15),
        "АО «Вектор»": date(2026, 3, 10),
        "ООО «Гранит»": date(2026, 1, 20),
        "ООО «Дельта»": date(2026, 3, 25),
    }
    assert not Client.objects.filter(manager=company["volkov"]).exists()
    assert kpi(nov, "clients_in_work", *MARCH) == 4
    # Вектор's and Дельта's first purchases in March made them clients: not retention.
    assert kpi(nov, "clients_at_start", *MARCH) == 2
    assert kpi(nov, "retained_buyers", *MARCH) == 1  # Альфа
    assert kpi(nov, "retention_pct", *MARCH) == 50


def test_repeat_flags_follow_the_close_order_not_the_file_order(company):
    deals = list(reversed(history()))
    import_file(io.BytesIO(bitrix24_csv(deals)))
    flags = dict(Deal.objects.values_list("external_id", "is_repeat"))
    assert flags == {"1": False, "2": True, "3": True, "4": False, "5": False, "6": False,
                     "7": True, "8": False}  # fmt: skip


def test_the_crm_repeat_flag_counts_for_a_client_whose_history_was_not_imported(company):
    deal = D("9", "Елена Новикова", WON, Decimal("5000"), "05.03.2026 12:00:00",
             company="ООО «Новый»", repeat="Да")  # fmt: skip
    import_file(io.BytesIO(bitrix24_csv([deal])))
    assert Deal.objects.get().is_repeat


def test_amocrm_export_gives_the_same_figures(company):
    amo = [
        D(d.id, d.seller, {"Сделка успешна": "Успешно реализовано"}.get(d.stage,
          "Закрыто и не реализовано"), d.amount, d.closed, company=d.company)
        for d in history()
    ]  # fmt: skip
    result = import_file(io.BytesIO(amocrm_csv(amo)))
    assert (result.format, result.created, result.error_count) == ("amocrm", 8, 0)
    nov = company["novikova"]
    assert kpi(nov, "repeat_sum", *MARCH) == Decimal("115000")
    assert kpi(nov, "buyers", *MARCH) == 3


def test_the_client_report_lists_every_client_with_the_period_figures(company):
    load(company)
    lines = {
        line.name: line
        for line in client_report(company["novikova"], *MARCH, as_of=date(2026, 3, 31))
    }
    alfa, vector, granit = lines["ООО «Альфа»"], lines["АО «Вектор»"], lines["ООО «Гранит»"]
    assert (alfa.deals, alfa.amount, alfa.last_purchase, alfa.is_repeat_buyer) == (
        2, Decimal("100000"), date(2026, 3, 20), True
    )  # fmt: skip
    assert (vector.deals, vector.is_repeat_buyer, vector.status) == (1, False, ClientStatus.ACTIVE)
    # 70 days since Гранит's last purchase: at risk after 60, lost after 180.
    assert (granit.deals, granit.status) == (0, ClientStatus.AT_RISK)
    assert lines["ООО «Дельта»"].handed_over_on == date(2026, 3, 15)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251"])
def test_moving_a_client_to_another_manager_moves_its_figures(company, encoding):
    load(company)
    other = company["volkov"]
    import_file(
        io.BytesIO(clients_csv([("ООО «Альфа»", "Павел Волков", "01.03.2026")], encoding)),
        kind="clients",
    )
    nov = company["novikova"]
    assert kpi(nov, "repeat_sum", *MARCH) == Decimal("15000")
    assert kpi(nov, "clients_in_work", *MARCH) == 3
    assert kpi(other, "repeat_sum", *MARCH) == Decimal("100000")
    # Her start portfolio loses Альфа; Волков got it on 1 March, inside the month.
    assert kpi(nov, "clients_at_start", *MARCH) == 2  # Вектор, Гранит
    assert kpi(nov, "retention_pct", *MARCH) == 50  # Вектор
    assert kpi(other, "retained_buyers", *MARCH) == 0
    assert kpi(other, "clients_at_start", *MARCH) is None
    assert kpi(other, "retention_pct", *MARCH) is None
    assert kpi(other, "clients_at_start", date(2026, 3, 2), date(2026, 3, 31)) == 1
    assert kpi(other, "retention_pct", date(2026, 3, 2), date(2026, 3, 31)) == 100


def test_retention_counts_each_client_of_the_start_portfolio_once(company):
    load(company)
    nov = company["novikova"]
    # From 15 March Дельта (handed over that day) is still not in the start portfolio.
    second_half = (date(2026, 3, 15), date(2026, 3, 31))
    assert kpi(nov, "clients_at_start", *second_half) == 3
    assert kpi(nov, "retained_buyers", *second_half) == 1  # Альфа; Дельта is new
    # From 16 March it is, and its purchase on 25 March counts.
    late = (date(2026, 3, 16), date(2026, 3, 31))
    assert kpi(nov, "clients_at_start", *late) == 4
    assert kpi(nov, "retained_buyers", *late) == 2
    assert kpi(nov, "retention_pct", *late) == 50
    # Альфа's two March deals make one retained client; a quarter is not a sum of months.
    q1 = (date(2026, 1, 1), date(2026, 3, 31))
    assert kpi(nov, "clients_at_start", *q1) is None  # nobody was handed over before 2026
    months = [
        kpi(nov, "retained_buyers", date(2026, 1, 1), date(2026, 1, 31)),
        kpi(nov, "retained_buyers", date(2026, 2, 1), date(2026, 2, 28)),
        kpi(nov, "retained_buyers", *MARCH),
    ]
    assert months == [0, 0, 2]  # January's buyers were handed over in January


def test_a_department_retention_adds_up_its_managers_start_portfolios(company):
    load(company)
    import_file(
        io.BytesIO(clients_csv([("ООО «Альфа»", "Павел Волков", "01.02.2026")], "utf-8")),
        kind="clients",
    )
    nov, volkov = company["novikova"], company["volkov"]
    codes = ["clients_at_start", "retained_buyers", "retention_pct"]
    figures = load_figures([nov, volkov], *MARCH, codes)
    period = Period("range", *MARCH)

    def of(who, code):
        return figures.group(who, code, period, MARCH[1]).fact

    assert [of([nov], c) for c in codes] == [2, 1, 50]  # Вектор of Вектор, Гранит
    assert [of([volkov], c) for c in codes] == [1, 1, 100]  # Альфа
    # Together: the same clients as before the move.
    assert [of([nov, volkov], c) for c in codes] == [3, 2, Decimal(2) / 3 * 100]
