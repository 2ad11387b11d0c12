"""Reading a CDR table: URLs, layouts from column names, rows as an export's text."""

import sqlite3
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespulse.lib.cdr.tables import CdrTable, TableError, parse_url, recognise


def test_urls_of_each_kind():
    url = parse_url("mysql://sp:s%40cret@10.0.0.5:3306/asteriskcdrdb?table=cdr2")
    assert (url.scheme, url.host, url.port, url.user, url.password) == (
        "mysql", "10.0.0.5", 3306, "sp", "s@cret"
    )  # fmt: skip
    assert (url.database, url.table) == ("asteriskcdrdb", "cdr2")
    assert "s@cret" not in url.safe()
    assert parse_url("postgres://pbx@db/asterisk").port == 5432
    assert parse_url("sqlite:///var/log/asterisk/master.db").database == (
        "/var/log/asterisk/master.db"
    )
    assert parse_url("mysql://h/db").table == "cdr"


@pytest.mark.parametrize(
    "url, code",
    [("ftp://h/db", "url"), ("mysql://h/", "url"), ("mysql://h/db?table=cdr;drop", "url")],
)
def test_bad_urls_are_refused(url, code):
    with pytest.raises(TableError) as e:
        parse_url(url)
    assert e.value.code == code


@given(
    st.text(min_size=1, max_size=20).filter(lambda s: s.strip()),
    st.text(max_size=20),
)
def test_any_user_and_password_survive_quoting(user, password):
    url = parse_url(f"mysql://{quote(user, safe='')}:{quote(password, safe='')}@h:3306/db")
    assert (url.user, url.password) == (user, password)


def test_layouts_are_recognised_by_their_columns():
    assert recognise(["calldate", "src", "duration", "billsec", "did", "recordingfile"]).name == (
        "FreePBX/Issabel cdr table"
    )
    stock = recognise(["acctid", "calldate", "src", "duration", "billsec"])
    assert (stock.name, stock.row_id, stock.start) == (
        "Asterisk cdr_mysql/cdr_pgsql table", "acctid", "calldate"
    )  # fmt: skip
    odbc = recognise(["start", "answer", "end", "linkedid", "sequence"])
    assert odbc.name == "Asterisk cdr_adaptive_odbc table (with linkedid)" and odbc.row_id == ""
    with pytest.raises(TableError) as e:
        recognise(["id", "name"])
    assert e.value.code == "columns" and "calldate" in e.value.params["missing"]


def test_a_sqlite_table_reads_from_a_moment_with_its_junk_once(tmp_path):
    path = tmp_path / "master.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE cdr (AcctId INTEGER PRIMARY KEY, calldate TEXT, src TEXT, "
               "duration INTEGER, billsec INTEGER)")  # fmt: skip
    db.executemany(
        "INSERT INTO cdr (calldate, src, duration, billsec) VALUES (?, ?, ?, ?)",
        [("2026-02-03 10:00:00", "101", 60, 45), ("2026-02-03 11:00:00", None, 5, 0),
         ("0000-00-00 00:00:00", "101", 1, 0), (None, "102", 1, 0)],
    )  # fmt: skip
    db.commit()
    with CdrTable(f"sqlite://{path}") as table:
        assert table.layout.row_id == "acctid"
        assert table.newest() == "2026-02-03 11:00:00"
        rows = list(table.rows("2026-02-03 10:30:00"))
        assert rows == [["acctid", "calldate", "src", "duration", "billsec"],
                        ["2", "2026-02-03 11:00:00", "", "5", "0"]]  # fmt: skip
        assert len(list(table.rows("2026-02-01 00:00:00", junk=True))) == 1 + 4


def test_a_missing_file_or_table_says_so(tmp_path):
    with pytest.raises(TableError) as e:
        CdrTable(f"sqlite://{tmp_path}/none.db")
    assert e.value.code == "unreachable"
    sqlite3.connect(tmp_path / "empty.db").execute("CREATE TABLE x (a)")
    with pytest.raises(TableError) as e:
        CdrTable(f"sqlite://{tmp_path}/empty.db")
    assert e.value.code == "no_table"
