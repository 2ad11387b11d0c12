"""Backup, wipe, restore: the same figures, on SQLite and on PostgreSQL."""

import json
import os
import subprocess
import sys
import uuid

import pytest

# The server of the PostgreSQL leg, reached through its maintenance database.
POSTGRES = (os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/x").rsplit(
    "/", 1
)[0] + "/postgres"


def run(env: dict, *args: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SALESPULSE_", "DJANGO_"))}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-m", "salespulse.cli", *args],
        env=clean, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def figures(env: dict) -> dict:
    return json.loads(run(env, "kpis", "--format", "json", "--date", "2026-11-20", "--totals"))


def round_trip(env: dict, wipe, tmp_path) -> None:
    run(env, "demo", "--no-serve")
    before = figures(env)
    assert before["rows"]
    target = tmp_path / "copy.backup"
    assert run(env, "backup", "--output", str(target)).strip() == str(target)
    wipe()
    run(env, "restore", str(target))
    assert figures(env) == before


# Each leg of the suite checks its own database (a round trip seeds the demo: seconds).
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite leg checks SQLite backups")
def test_sqlite_round_trip(tmp_path):
    data = tmp_path / "data"
    env = {"SALESPULSE_DATA_DIR": str(data), "DATABASE_URL": ""}

    def wipe():
        (data / "salespulse.sqlite3").unlink()
        for extra in data.glob("salespulse.sqlite3-*"):
            extra.unlink()

    round_trip(env, wipe, tmp_path)


@pytest.mark.skipif(not ON_POSTGRES, reason="the PostgreSQL leg checks PostgreSQL backups")
def test_postgres_round_trip(tmp_path):
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL at {POSTGRES} is not reachable")
    name = f"backup_test_{uuid.uuid4().hex[:8]}"
    admin.execute(f"CREATE DATABASE {name}")
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    env = {"SALESPULSE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url}

    def wipe():
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")

    try:
        round_trip(env, wipe, tmp_path)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_a_missing_backup_is_one_line(tmp_path):
    env = {"SALESPULSE_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SALESPULSE_", "DJANGO_"))}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-m", "salespulse.cli", "restore", str(tmp_path / "nope")],
        env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"CommandError: No such backup file: {tmp_path / 'nope'}"
    ]
