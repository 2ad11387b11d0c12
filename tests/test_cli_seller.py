"""`salespulse seller add`: a seller and their account in one step, or nothing at all."""

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from salespulse.org.models import Employee
from tests.factories import ensure_catalogue, make_department, make_seller

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def sales():
    ensure_catalogue()
    department = make_department("sales", "Отдел продаж")
    make_seller("taken", department, "cold_caller", extension="101")
    return department


def add(*args: str) -> str:
    out = StringIO()
    call_command("seller", "add", *args, stdout=out)
    return out.getvalue()


BASE = ["--name", "Пётр Иванов", "--role", "salesperson", "--department", "sales"]


def test_adds_a_seller_without_a_password(sales):
    out = add("ivanov", *BASE)
    seller = Employee.objects.select_related("user", "sales_role").get(user__username="ivanov")
    assert seller.position == Employee.Position.SELLER
    assert seller.department == sales and seller.sales_role.code == "salesperson"
    assert (seller.user.first_name, seller.user.last_name) == ("Пётр", "Иванов")
    assert seller.timezone == "Europe/Moscow"
    assert seller.hired_on is None and seller.extension == ""
    assert not seller.user.has_usable_password()
    assert "ivanov" in out and "Отдел продаж" in out
    assert "changepassword ivanov" in out


def test_adds_a_seller_with_everything(sales):
    out = add(
        "petrova", "--name", "Анна  Мария Петрова", "--role", "cold_caller",
        "--department", "sales", "--extension", "205", "--timezone", "Asia/Omsk",
        "--hired", "2026-11-16", "--email", "petrova@example.com",
        "--password", "a-long-demo-password",
    )  # fmt: skip
    seller = Employee.objects.select_related("user").get(user__username="petrova")
    assert (seller.user.first_name, seller.user.last_name) == ("Анна", "Мария Петрова")
    assert seller.extension == "205" and seller.timezone == "Asia/Omsk"
    assert seller.hired_on == date(2026, 11, 16)
    assert seller.user.email == "petrova@example.com"
    assert authenticate(username="petrova", password="a-long-demo-password") == seller.user
    assert "входит с указанным паролем" in out


@pytest.mark.parametrize(
    "login, extra, message",
    [
        ("taken", [], "Login already taken: taken"),
        ("TAKEN", [], "Login already taken: TAKEN"),
        ("bad login", [], "Bad login 'bad login'"),
        ("new", ["--role", "closer"], "Unknown role: closer (known: "),
        ("new", ["--department", "north"], "Unknown department: north"),
        ("new", ["--timezone", "Mars/Olympus"], "Unknown time zone: Mars/Olympus"),
        ("new", ["--hired", "2026-02-30"], "Bad date for --hired: '2026-02-30'"),
        ("new", ["--hired", "16.11.2026"], "Bad date for --hired"),
        ("new", ["--extension", "101"], "Extension 101 already belongs to taken"),
        ("new", ["--email", "not-an-address"], "Bad e-mail address: not-an-address"),
        ("new", ["--password", "123"], "Password refused:"),
        ("new", ["--name", "  "], "A seller needs a name"),
    ],
)
def test_bad_input_writes_nothing(sales, login, extra, message):
    users, employees = User.objects.count(), Employee.objects.count()
    args = list(BASE)
    for i in range(0, len(extra), 2):
        if extra[i] in args:
            args[args.index(extra[i]) + 1] = extra[i + 1]
        else:
            args += extra[i : i + 2]
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("seller", "add", login, *args, stdout=out)
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)
    assert out.getvalue() == ""
    assert (User.objects.count(), Employee.objects.count()) == (users, employees)


def test_missing_required_option(sales):
    with pytest.raises(CommandError, match="--name"):
        call_command("seller", "add", "new", "--role", "salesperson", "--department", "sales")
    with pytest.raises(CommandError, match="ACTION|action"):
        call_command("seller")
