"""No correction a seller types is lost to imports running at the same time, on either
database (the fact writer re-checks the row's source in the statement that writes)."""

import json
import os
import subprocess
import sys

import pytest

from tests import concurrent_corrections
from tests.concurrent_corrections import DAYS

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite runs it on a real file below")
@pytest.mark.django_db(transaction=True)
def test_no_correction_is_lost_on_postgresql():
    result = concurrent_corrections.run()
    assert result["failures"] == []
    assert result["imports"] > 0
    assert (result["cells"], result["lost"], result["without_auto"]) == (len(DAYS), 0, 0)


def on_a_sqlite_file(tmp_path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESPULSE_", "DJANGO_"))}
    env.update(SALESPULSE_DATA_DIR=str(tmp_path), DATABASE_URL="")
    out = subprocess.run(
        [sys.executable, "-m", "tests.concurrent_corrections", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.skipif(ON_POSTGRES, reason="the PostgreSQL leg runs it on its own server")
def test_no_correction_is_lost_on_a_sqlite_file(tmp_path):
    result = on_a_sqlite_file(tmp_path)
    assert result["failures"] == []
    assert result["imports"] > 0
    assert (result["cells"], result["lost"], result["without_auto"]) == (len(DAYS), 0, 0)


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite runs it on a real file below")
@pytest.mark.django_db(transaction=True)
def test_a_double_click_saves_one_version_on_postgresql():
    result = concurrent_corrections.double_submit()
    assert result == {"saved": 1, "same": 3, "errors": [], "versions": 1}


@pytest.mark.skipif(ON_POSTGRES, reason="the PostgreSQL leg runs it on its own server")
def test_a_double_click_saves_one_version_on_a_sqlite_file(tmp_path):
    result = on_a_sqlite_file(tmp_path, "double-submit")
    assert result == {"saved": 1, "same": 3, "errors": [], "versions": 1}
