"""`salespulse import-deals` and `import-clients`: a JSON result, refusals as one line."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from salespulse.crm.models import ColumnMapping, Deal
from tests.crm.exports import bitrix24_csv
from tests.crm.test_account_manager import history


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_deals_prints_a_json_result(company, tmp_path):
    path = tmp_path / "deal.csv"
    path.write_bytes(bitrix24_csv(history()))
    result = json.loads(run("import-deals", str(path), "--format", "bitrix24", "--json"))
    assert (result["rows"], result["created"], result["error_count"]) == (8, 8, 0)
    again = json.loads(run("import-deals", str(path), "--json"))
    assert (again["created"], again["unchanged"]) == (0, 8)
    assert "8" in run("import-deals", str(path))


def test_a_mapped_spreadsheet_of_sales_without_stages(company, tmp_path):
    ColumnMapping.objects.create(
        name="sales-1c",
        columns={"id": "Номер", "seller": "Менеджер", "amount": "Сумма, руб", "closed_at": "Дата",
                 "client": "Покупатель"},
    )  # fmt: skip
    path = tmp_path / "sales.csv"
    path.write_bytes(
        'Номер,Дата,Покупатель,Менеджер,"Сумма, руб"\n'
        'А-1,03.02.2026,ООО Альфа,Волков Павел,"1 234,50"\n'.encode("cp1251")
    )
    result = json.loads(run("import-deals", str(path), "--mapping", "sales-1c", "--json"))
    assert result["created"] == 1
    deal = Deal.objects.get()
    assert (deal.source, deal.status, str(deal.amount)) == ("sales-1c", "won", "1234.50")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "excel"], "Unknown format"),
        (["--mapping", "nope"], "No column mapping named 'nope'"),
    ],
)
def test_refusals_are_one_line(company, tmp_path, args, message):
    path = tmp_path / "deal.csv"
    path.write_bytes(bitrix24_csv(history()))
    with pytest.raises(CommandError, match=message):
        run("import-deals", str(path), *args)


def test_a_missing_file(company):
    with pytest.raises(CommandError, match="No such file"):
        run("import-deals", "/nonexistent.csv")


def test_the_progress_bar_redraws_one_line():
    from salespulse.crm.management.commands._importcmd import ProgressBar

    out = StringIO()
    bar = ProgressBar(out)
    bar(1000, 0.5)
    bar(2000, None)
    bar.close()
    assert out.getvalue().count("\r") == 2 and out.getvalue().endswith("\n")
    assert "[###############...............]" in out.getvalue()
