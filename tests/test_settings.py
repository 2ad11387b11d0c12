"""Configuration from the environment, read by a fresh interpreter as a deployment would."""

import json
import os
import subprocess
import sys

import pytest

PRINT = (
    "import json, salespulse.settings as s; print(json.dumps({"
    "'secret': s.SECRET_KEY, 'db': str(s.DATABASES['default']['NAME']),"
    "'engine': s.DATABASES['default']['ENGINE'], 'debug': s.DEBUG, 'tz': s.TIME_ZONE,"
    "'lang': s.LANGUAGE_CODE, 'hosts': s.ALLOWED_HOSTS, 'session': s.SESSION_COOKIE_AGE,"
    "'server': [s.SALESPULSE_HOST, s.SALESPULSE_PORT, s.SALESPULSE_WORKERS,"
    " s.SALESPULSE_THREADS, s.SALESPULSE_MAX_CONNECTIONS, s.SALESPULSE_BACKLOG,"
    " s.SALESPULSE_TIMEOUT, s.SALESPULSE_GRACEFUL_TIMEOUT]}))"
)


def read_settings(tmp_path, **env):
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG")
    }
    clean.update(SALESPULSE_DATA_DIR=str(tmp_path), **env)
    done = subprocess.run(
        [sys.executable, "-c", PRINT], env=clean, capture_output=True, text=True, check=False
    )
    if done.returncode:
        return done.stderr
    return json.loads(done.stdout)


def test_the_embedded_default_needs_no_configuration(tmp_path):
    first = read_settings(tmp_path)
    assert first["engine"] == "django.db.backends.sqlite3"
    assert first["db"] == str(tmp_path / "salespulse.sqlite3")
    assert first["debug"] is False
    assert first["tz"] == "Europe/Moscow" and first["lang"] == "ru"
    # The generated secret is kept, so sessions survive a restart.
    assert len(first["secret"]) > 40
    assert read_settings(tmp_path)["secret"] == first["secret"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_and_secrets_come_from_the_environment(tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("from-a-file\n")
    got = read_settings(
        tmp_path,
        DATABASE_URL="postgres://sp:pw@db.example:5432/salespulse",
        SECRET_KEY_FILE=str(secret_file),
        ALLOWED_HOSTS="sales.example.ru, localhost",
        DEBUG="yes",
    )
    assert got["engine"] == "django.db.backends.postgresql" and got["db"] == "salespulse"
    assert got["secret"] == "from-a-file"
    assert got["hosts"] == ["sales.example.ru", "localhost"]
    assert got["debug"] is True
    assert not (tmp_path / "secret_key").exists()


def test_the_server_and_session_length_come_from_the_environment(tmp_path):
    default = read_settings(tmp_path)
    assert default["session"] == 30 * 24 * 3600
    assert default["server"] == ["127.0.0.1", 8000, 2 * os.cpu_count() + 1, 4, 1000, 2048, 60, 30]
    got = read_settings(
        tmp_path,
        SALESPULSE_SESSION_DAYS="7",
        SALESPULSE_HOST="0.0.0.0",
        SALESPULSE_PORT="8080",
        SALESPULSE_WORKERS="3",
        SALESPULSE_THREADS="8",
        SALESPULSE_MAX_CONNECTIONS="200",
        SALESPULSE_BACKLOG="512",
        SALESPULSE_TIMEOUT="120",
        SALESPULSE_GRACEFUL_TIMEOUT="10",
    )
    assert got["session"] == 7 * 24 * 3600
    assert got["server"] == ["0.0.0.0", 8080, 3, 8, 200, 512, 120, 10]


@pytest.mark.parametrize(
    "name, value",
    [("DEBUG", "maybe"), ("EMAIL_PORT", "twenty-five"), ("SALESPULSE_THREADS", "a few")],
)
def test_a_bad_value_fails_loudly(tmp_path, name, value):
    error = read_settings(tmp_path, **{name: value})
    assert isinstance(error, str) and name in error
