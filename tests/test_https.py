"""HTTPS from the environment, `check --deploy` clean in production, and a CSP on pages."""

import os
import subprocess
import sys

import pytest

# What a test run may have put in the environment (the browser tests set
# DJANGO_ALLOW_ASYNC_UNSAFE) is not production's.
OURS = ("SECURE_", "SALESPULSE_", "DJANGO_")
PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "sales.example.ru",
    "SALESPULSE_HTTPS": "true",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https",
}


def salespulse(*args: str, env: dict, tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    clean.update(env, SALESPULSE_DATA_DIR=str(tmp_path), DATABASE_URL="")
    return subprocess.run(
        [sys.executable, "-m", "salespulse.cli", *args],
        env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    result = salespulse("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION,
                        tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_without_https_settings_check_deploy_names_what_is_missing(tmp_path):
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "sales.example.ru"}
    result = salespulse("check", "--deploy", "--fail-level", "WARNING", env=env,
                        tmp_path=tmp_path)  # fmt: skip
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stderr


def test_settings_follow_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    env = {
        **PRODUCTION,
        "SECURE_HSTS_SECONDS": "600",
        "DJANGO_SETTINGS_MODULE": "salespulse.settings",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    clean.update(env, SALESPULSE_DATA_DIR=str(tmp_path), DATABASE_URL="")
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.split() == [
        "True", "True", "True", "600", "('HTTP_X_FORWARDED_PROTO',", "'https')"
    ]  # fmt: skip
    bad = salespulse("check", env={"SECURE_PROXY_SSL_HEADER": "https"}, tmp_path=tmp_path)
    assert bad.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be HEADER,VALUE" in bad.stderr


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    policy = client.get("/login/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
