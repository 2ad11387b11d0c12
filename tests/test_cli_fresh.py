"""Every read-only command on a fresh data directory: it migrates it, never a traceback.

Run as a user runs them: the console script's module in a child process, with its own
empty data directory and the embedded database.
"""

import json
import os
import subprocess
import sys


def salespulse(data_dir, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ |= {"SALESPULSE_DATA_DIR": str(data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "salespulse", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def test_a_read_only_command_sets_up_a_fresh_data_directory(tmp_path):
    done = salespulse(tmp_path, "calendar", "2026", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"salespulse: set up a new database ({tmp_path}")
    assert json.loads(done.stdout)["total_working_days"] == 247
    # Then the next command just answers.
    again = salespulse(tmp_path, "kpis", "--format", "json")
    assert (again.returncode, again.stderr) == (0, "")
    assert json.loads(again.stdout)["rows"] == []


def test_kpis_on_a_fresh_data_directory_says_there_is_nobody_yet(tmp_path):
    done = salespulse(tmp_path, "kpis")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("salespulse: set up a new database")
    assert "Traceback" not in done.stderr
    assert "Нет продавцов." in done.stdout


def test_a_database_it_cannot_open_is_one_line(tmp_path):
    done = salespulse(tmp_path, "kpis", DATABASE_URL="postgres://nobody@127.0.0.1:9/none")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("salespulse: cannot use the database")
    assert "DATABASE_URL" in lines[0]
