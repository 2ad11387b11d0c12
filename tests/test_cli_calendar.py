import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from salespulse.org.models import CalendarOverride

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


def test_json_2026():
    data = json.loads(run("2026", "--format", "json"))
    assert data["year"] == 2026
    assert data["country"] == "RU"
    assert data["total_working_days"] == 247
    assert [m["month"] for m in data["months"]] == list(range(1, 13))
    assert [m["working_days"] for m in data["months"]] == [
        15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22,
    ]  # fmt: skip
    assert data["months"][0] == {
        "month": 1,
        "working_days": 15,
        "days_off": [
            "2026-01-01",
            "2026-01-02",
            "2026-01-05",
            "2026-01-06",
            "2026-01-07",
            "2026-01-08",
            "2026-01-09",
        ],
        "working_weekends": [],
    }
    assert data["months"][11]["days_off"] == ["2026-12-31"]


def test_json_working_weekends_2024():
    data = json.loads(run("2024", "--format=json", "--country", "RU"))
    weekends = [day for m in data["months"] for day in m["working_weekends"]]
    assert weekends == ["2024-04-27", "2024-11-02", "2024-12-28"]
    assert data["total_working_days"] == 248


def test_other_country():
    data = json.loads(run("2025", "--country", "by", "--format", "json"))
    assert data["country"] == "BY"
    assert "2025-07-12" in data["months"][6]["working_weekends"]
    assert "2025-06-12" not in data["months"][5]["days_off"]


def test_table_in_russian():
    with translation.override("ru"):
        out = run("2024")
    lines = out.splitlines()
    assert "2024" in lines[0] and "RU" in lines[0]
    rows = {line.split()[0]: line for line in lines[3:]}
    assert list(rows)[:12] == [
        "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь",
        "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
    ]  # fmt: skip
    assert rows["Ноябрь"].split()[1] == "21"
    assert "04.11.2024" in rows["Ноябрь"] and "02.11.2024" in rows["Ноябрь"]
    assert "30.12.2024, 31.12.2024" in rows["Декабрь"] and "28.12.2024" in rows["Декабрь"]
    assert lines[-1].split()[-1] == "248"
    assert len(lines) == 3 + 12 + 1


def test_table_in_english():
    with translation.override("en"):
        out = run("2025", "--format", "table")
    assert "January" in out
    assert out.splitlines()[-1].split() == ["Total", "247"]
    assert "01.11.2025" in out


def test_company_override_applies_to_the_company_country_only():
    CalendarOverride.objects.create(date=date(2026, 12, 31), is_working=True, note="year-end")
    CalendarOverride.objects.create(date=date(2026, 6, 11), is_working=False, note="offsite")
    data = json.loads(run("2026", "--format", "json"))
    december, june = data["months"][11], data["months"][5]
    assert december["working_days"] == 23 and december["days_off"] == []
    assert june["working_days"] == 20 and june["days_off"] == ["2026-06-11", "2026-06-12"]
    assert data["total_working_days"] == 247
    # Another country's calendar is not touched by the company's exceptions.
    kz = json.loads(run("2026", "--country", "KZ", "--format", "json"))
    assert "2026-06-11" not in kz["months"][5]["days_off"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["twenty"], "Year must be an integer"),
        (["2026.5"], "Year must be an integer"),
        (["1899"], "Year must be between 1900 and 2100"),
        (["2101"], "Year must be between 1900 and 2100"),
        (["2026", "--country", "XX"], "Unknown country code: XX"),
        (["2026", "--format", "xml"], "Unknown format: xml"),
    ],
)
def test_bad_input(args, message):
    with pytest.raises(CommandError, match=message) as exc:
        run(*args)
    assert "\n" not in str(exc.value)


def test_year_bounds_are_accepted():
    assert json.loads(run("1900", "--format", "json"))["year"] == 1900
    assert json.loads(run("2100", "--format", "json"))["year"] == 2100
