"""Bitrix24 deal exports into deals and the salesperson KPIs, as a person would compute them."""

import io
from datetime import date
from decimal import Decimal

import pytest

from salespulse.crm.files import ImportFailed, import_file
from salespulse.crm.models import Deal, Stage
from salespulse.kpis.models import DailyFact
from tests.crm.exports import D, bitrix24_csv, bitrix24_html
from tests.crm.helpers import facts, kpi

FEB = (date(2026, 2, 1), date(2026, 2, 28))

DEALS = [
    D("101", "Павел Волков", "Сделка успешна", Decimal("150000"), "03.02.2026 12:00:00",
      company="ООО «Альфа»"),
    D("102", "Волков Павел", "Сделка успешна", Decimal("1234567.89"), "03.02.2026 18:30:00",
      company="АО «Вектор»"),
    D("103", "Павел Волков", "Подготовка документов", Decimal("90000"), "04.02.2026 10:00:00",
      company="ООО «Гранит»"),
    D("104", "Павел Волков", "Сделка провалена", Decimal("50000"), "04.02.2026 11:00:00",
      company="ООО «Дельта»"),
    # Novosibirsk is four hours ahead of Moscow: 22:30 in Moscow is the next day there.
    D("105", "Андрей Лебедев", "WON", Decimal("70000"), "05.02.2026 22:30:00",
      contact="Иван Петров"),
]  # fmt: skip


def run(data: bytes, **kwargs):
    return import_file(io.BytesIO(data), file_name="deal.csv", **kwargs)


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8-sig", "utf-8"])
def test_won_deals_become_the_salesperson_kpis_of_their_close_day(company, encoding):
    result = run(bitrix24_csv(DEALS, encoding))

    assert (result.format, result.created, result.error_count) == ("bitrix24", 5, 0)
    volkov, lebedev = company["volkov"], company["lebedev"]
    assert facts(volkov, "deals_count") == {date(2026, 2, 3): 2}
    assert facts(volkov, "deals_sum") == {date(2026, 2, 3): Decimal("1384567.89")}
    assert facts(lebedev, "deals_sum") == {date(2026, 2, 6): Decimal("70000")}
    # The average check is the ratio of the sums, by hand: 1 384 567,89 / 2.
    assert kpi(volkov, "avg_check", *FEB) == Decimal("692283.945")
    statuses = dict(Deal.objects.values_list("external_id", "status"))
    assert statuses == {"101": "won", "102": "won", "103": "open", "104": "lost", "105": "won"}


def test_the_html_excel_export_reads_like_the_csv(company):
    run(bitrix24_html(DEALS, "cp1251"), fmt="bitrix24")
    assert facts(company["volkov"], "deals_sum") == {date(2026, 2, 3): Decimal("1384567.89")}


def test_a_deal_with_product_rows_counts_once_with_its_total(company):
    deal = D("201", "Павел Волков", "Сделка успешна", Decimal("0"), "10.02.2026 12:00:00",
             company="ООО «Альфа»",
             products=[("Кирпич", Decimal("12.50"), Decimal("1000")),
                       ("Доставка", Decimal("4999.99"), Decimal("1"))])  # fmt: skip
    result = run(bitrix24_csv([deal, DEALS[0]], products=True))

    assert (result.rows, result.created) == (3, 2)
    assert Deal.objects.get(external_id="201").amount == Decimal("17499.99")
    assert facts(company["volkov"], "deals_count") == {
        date(2026, 2, 3): 1,
        date(2026, 2, 10): 1,
    }


def test_reimporting_the_same_export_changes_nothing(company):
    run(bitrix24_csv(DEALS))
    before = list(DailyFact.objects.order_by("pk").values_list("pk", "value", "updated_at"))

    again = run(bitrix24_csv(DEALS))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert again.facts_changed == 0
    assert list(DailyFact.objects.order_by("pk").values_list("pk", "value", "updated_at")) == before


def test_a_newer_export_moves_stage_amount_and_date_and_the_facts_follow(company):
    run(bitrix24_csv(DEALS))
    newer = [
        D("101", "Павел Волков", "Сделка успешна", Decimal("160000"), "03.02.2026 12:00:00",
          company="ООО «Альфа»"),
        D("102", "Павел Волков", "Сделка успешна", Decimal("1234567.89"), "09.02.2026 09:00:00",
          company="АО «Вектор»"),
        D("103", "Павел Волков", "Сделка успешна", Decimal("90000"), "09.02.2026 10:00:00",
          company="ООО «Гранит»"),
    ]  # fmt: skip

    result = run(bitrix24_csv(newer))

    assert (result.created, result.updated, result.unchanged) == (0, 3, 0)
    assert facts(company["volkov"], "deals_sum") == {
        date(2026, 2, 3): Decimal("160000"),
        date(2026, 2, 9): Decimal("1324567.89"),
    }
    assert facts(company["volkov"], "deals_count") == {date(2026, 2, 3): 1, date(2026, 2, 9): 2}


def test_bad_rows_are_reported_by_line_and_the_good_ones_kept(company):
    deals = [
        DEALS[0],
        D("301", "Пётр Неизвестный", "Сделка успешна", Decimal("1"), "03.02.2026 12:00:00"),
        D("302", "Павел Волков", "Сделка успешна", "двести", "03.02.2026 12:00:00"),
        D("303", "Павел Волков", "Сделка успешна", Decimal("5"), "31.02.2026 12:00:00"),
        D("", "Павел Волков", "Сделка успешна", Decimal("5"), "03.02.2026 12:00:00"),
        DEALS[1],
    ]
    result = run(bitrix24_csv(deals))

    assert result.created == 2
    assert [(e.line, e.text()) for e in sorted(result.errors, key=lambda e: e.line)] == [
        (3, "Unknown responsible person 'Пётр Неизвестный': set their full name or CRM id on "
            "the employee, then import again."),
        (4, "Not an amount: 'двести'"),
        (5, "No such date: '31.02.2026 12:00:00'"),
        (6, "The deal has no ID."),
    ]  # fmt: skip
    assert facts(company["volkov"], "deals_count") == {date(2026, 2, 3): 2}


def test_a_stage_never_seen_is_counted_in_progress_until_the_admin_maps_it(company):
    from salespulse.crm.importer import apply_stage_kinds

    deal = D("401", "Павел Волков", "Оплачено полностью", Decimal("1000"), "03.02.2026 12:00:00")
    result = run(bitrix24_csv([deal]))
    assert result.new_stages == ["Оплачено полностью"]
    assert facts(company["volkov"], "deals_count") == {}

    Stage.objects.filter(name="Оплачено полностью").update(kind="won", confirmed=True)
    assert apply_stage_kinds("bitrix24") == 1

    assert facts(company["volkov"], "deals_count") == {date(2026, 2, 3): 1}


def test_a_seller_is_found_by_crm_id_too(company):
    from salespulse.crm.importer import ImportResult, save_deals
    from salespulse.lib.crm.formats import DealRecord

    record = DealRecord(1, "x1", seller_id="17", stage="WON", amount=Decimal(5),
                        closed_at=date(2026, 2, 2))  # fmt: skip
    save_deals([record], "api", ImportResult())
    assert facts(company["lebedev"], "deals_sum") == {date(2026, 2, 2): Decimal(5)}


def test_a_file_of_unknown_columns_is_refused_whole(company):
    with pytest.raises(ImportFailed, match="Cannot tell whose export"):
        run("Номер;Сумма\n1;2\n".encode())
    assert not Deal.objects.exists()


def test_an_unclosed_quote_refuses_the_file_whole_with_its_line(company):
    data = bitrix24_csv(DEALS[:2]) + b'"103;"' + b"x" * 2_000_000 + b"\n"
    with pytest.raises(ImportFailed, match="Line 4 cannot be read") as caught:
        run(data)
    assert caught.value.params["line"] == 4
    assert not Deal.objects.exists()


def test_a_damaged_xlsx_is_refused_whole_with_its_reason(company):
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["ID", "Стадия сделки", "Сумма", "Ответственный"])
    book.active.append(["1", "Сделка успешна", 100, "Павел Волков"])
    whole, damaged = io.BytesIO(), io.BytesIO()
    book.save(whole)
    # The workbook opens; its sheet, read row by row, breaks in the header.
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data[: len(data) // 2] if "sheet1" in info.filename else data)
    with pytest.raises(ImportFailed, match="The XLSX file cannot be read"):
        run(damaged.getvalue())
    assert not Deal.objects.exists()


def test_a_seller_reported_figure_stays_and_the_import_goes_beside_it(company):
    from salespulse.kpis.facts import set_reported_facts

    set_reported_facts(company["volkov"].pk, date(2026, 2, 3), {"deals_count": Decimal(3)})
    run(bitrix24_csv(DEALS))
    fact = DailyFact.objects.get(employee=company["volkov"], kpi__code="deals_count")
    assert (fact.value, fact.auto_value, fact.source) == (3, 2, "report")
