"""`salespulse source add|list|test` and `salespulse sync [NAME] [--json]`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from salespulse.sources.models import Run, Source
from tests.sources.test_pull import records
from tests.telephony.conftest import EXPECTED, call_kpis

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_source_add_then_sync_json_then_list(org, mariadb):
    mariadb.create("freepbx")
    mariadb.insert(records())
    said = run("source", "add", "pbx", "--kind", "asterisk-db", "--url", mariadb.url,
               "--tz", "Europe/Moscow", "--since", "2026-02-01", "--every", "10")  # fmt: skip
    assert "pbx" in said
    source = Source.objects.get()
    assert (source.every_minutes, str(source.since), source.timezone) == (
        10, "2026-02-01", "Europe/Moscow"
    )  # fmt: skip
    printed = json.loads(run("sync", "pbx", "--json"))
    (row,) = printed["sources"]
    assert set(row) == {"name", "kind", "status", "rows", "imported", "already_stored",
                        "refused", "started", "finished", "error"}  # fmt: skip
    assert (row["name"], row["kind"], row["status"]) == ("pbx", "asterisk-db", "done")
    assert (row["rows"], row["imported"], row["already_stored"], row["refused"]) == (10, 10, 0, 0)
    assert row["started"] and row["finished"] and row["error"] == ""
    for login, expected in EXPECTED.items():
        assert call_kpis(org[login]) == expected
    assert Run.objects.get().trigger == "cli"
    listed = json.loads(run("source", "list", "--json"))["sources"][0]
    assert listed["status"] == "ok" and listed["lag_minutes"] == 0
    assert "root" not in listed["url"] or ":@" not in listed["url"]  # no password shown


def test_source_test_says_what_is_wrong_in_russian(org, mariadb):
    mariadb.create("freepbx")
    Source.objects.create(name="ok", kind="asterisk-db", url=mariadb.url)
    assert "FreePBX" in run("source", "test", "ok")
    Source.objects.create(name="notable", kind="asterisk-db", url=mariadb.url + "?table=calls")
    with pytest.raises(CommandError, match="Таблицы «calls» нет"):
        run("source", "test", "notable")


def test_a_failed_sync_exits_non_zero_with_its_error(org):
    Source.objects.create(name="down", kind="asterisk-db", url="mysql://u:p@127.0.0.1:1/cdr")
    with pytest.raises(SystemExit) as exit_:
        run("sync", "--json")
    assert exit_.value.code == 1
    source = Source.objects.get()
    assert source.status == "failing" and "недоступен" in source.last_error


def test_source_add_refuses_a_bad_url(db):
    with pytest.raises(CommandError, match="mysql://"):
        run("source", "add", "x", "--kind", "asterisk-db", "--url", "ftp://pbx/cdr")
    assert not Source.objects.exists()
