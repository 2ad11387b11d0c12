"""Backups of the whole database, and restoring one: SQLite through its online backup API
(a consistent copy while the app runs), PostgreSQL through pg_dump / pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connections


class BackupError(Exception):
    pass


def _database() -> dict:
    return connections["default"].settings_dict


def is_sqlite() -> bool:
    return _database()["ENGINE"].endswith("sqlite3")


def default_path(now: datetime) -> Path:
    suffix = "sqlite3" if is_sqlite() else "pgdump"
    return settings.DATA_DIR / "backups" / f"salespulse-{now:%Y%m%d-%H%M%S}.{suffix}"


def backup(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} exists already: choose another file")
    if is_sqlite():
        connections["default"].close()
        with sqlite3.connect(_database()["NAME"]) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return target
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", "--dbname", _dsn()])
    return target


def restore(source: Path) -> None:
    """Replace the database's contents with the backup's (stop the web and worker first)."""
    if not source.is_file():
        raise BackupError(f"No such backup file: {source}")
    if is_sqlite():
        connections["default"].close()
        name = Path(_database()["NAME"])
        name.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{source} is not an SQLite backup")
        with sqlite3.connect(source) as backup_db:
            # Not integrity_check: indexes on Django's SQL functions need Django to check.
            tables = backup_db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if not tables:
                raise BackupError(f"{source} holds no tables")
            with sqlite3.connect(name) as live:
                backup_db.backup(live)
        return
    _run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
         "--dbname", _dsn(), str(source)]
    )  # fmt: skip


def _dsn() -> str:
    db = _database()
    parts = {
        "host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER"),
        "dbname": db.get("NAME"),
    }  # fmt: skip
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)")
    env = dict(os.environ)
    if password := _database().get("PASSWORD"):
        env["PGPASSWORD"] = password
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{command[0]}: {message}")
