from datetime import date

import pytest

from tests import factories


@pytest.fixture
def company(db):
    """Two salespeople (one in Novosibirsk, known to the CRM by id 17) and an account manager."""
    factories.ensure_catalogue()
    sales = factories.make_department("sales", "Отдел продаж")
    accounts = factories.make_department("accounts", "Работа с клиентами")
    volkov = factories.make_seller(
        "volkov", sales, "salesperson", first_name="Павел", last_name="Волков",
        hired_on=date(2025, 1, 1),
    )  # fmt: skip
    lebedev = factories.make_seller(
        "lebedev", sales, "salesperson", first_name="Андрей", last_name="Лебедев",
        timezone="Asia/Novosibirsk", crm_id="17",
    )  # fmt: skip
    novikova = factories.make_seller(
        "novikova", accounts, "account_manager", first_name="Елена", last_name="Новикова",
        timezone="Asia/Yekaterinburg",
    )  # fmt: skip
    head_sales = factories.make_head("kozlov", [sales])
    head_accounts = factories.make_head("pavlova", [accounts])
    return {
        "sales": sales,
        "accounts": accounts,
        "volkov": volkov,
        "lebedev": lebedev,
        "novikova": novikova,
        "head_sales": head_sales,
        "head_accounts": head_accounts,
    }
