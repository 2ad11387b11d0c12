"""Settings read from the environment; every knob fails loudly on a bad value.

The embedded default (SQLite under SALESPULSE_DATA_DIR, a secret generated once and kept
there) lets a fresh machine go from install to a running demo with no configuration.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def envint(name: str, default: str) -> int:
    value = os.getenv(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envsecret(name: str) -> str | None:
    """A secret from NAME or from the file named by NAME_FILE (docker/systemd credentials)."""
    if path := os.getenv(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return os.getenv(name)


DATA_DIR = Path(os.getenv("SALESPULSE_DATA_DIR", Path.cwd() / "data")).resolve()


def _embedded_secret() -> str:
    # Generated once and kept, so sessions survive restarts without any setup.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = envsecret("SECRET_KEY") or _embedded_secret()
DEBUG = envbool("DEBUG", "False")
ALLOWED_HOSTS = [h.strip() for h in os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# HTTPS, from the environment (README "HTTPS"). SALESPULSE_HTTPS=true is the usual
# production set behind a TLS proxy: redirect to https, secure cookies, a year of HSTS;
# each setting can still be given on its own.
HTTPS = envbool("SALESPULSE_HTTPS", "False")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(HTTPS))
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(HTTPS))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(HTTPS))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "False")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "False")


def _proxy_ssl_header() -> tuple[str, str] | None:
    """`X-Forwarded-Proto: https` (the header a proxy sets), as `HEADER,VALUE`."""
    text = os.getenv("SECURE_PROXY_SSL_HEADER", "").strip()
    if not text:
        return None
    header, _, value = text.partition(",")
    if not header.strip() or not value.strip():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be HEADER,VALUE such as "
            f"X-Forwarded-Proto,https; got {text!r}"
        )
    name = header.strip().upper().replace("-", "_")
    return (name if name.startswith("HTTP_") else f"HTTP_{name}", value.strip())


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()
# Our pages load scripts only from our own static files; styles may be inline (the charts'
# SVG carries its own).
CONTENT_SECURITY_POLICY = os.getenv(
    "SALESPULSE_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "salespulse.core",
    "salespulse.org",
    "salespulse.kpis",
    "salespulse.crm",
    "salespulse.telephony",
    "salespulse.sources",
    "salespulse.reports",
    "salespulse.dashboard",
    "salespulse.bonus",
    "salespulse.api",
    "salespulse.front",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "salespulse.front.middleware.SlidingSessionMiddleware",
    "salespulse.front.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "salespulse.front.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salespulse.urls"
WSGI_APPLICATION = "salespulse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salespulse.front.nav.nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'salespulse.sqlite3'}",
        # Each server thread keeps its connection for a minute instead of opening one per
        # request (on PostgreSQL a new backend process each time); checked before reuse.
        conn_max_age=envint("DB_CONN_MAX_AGE", "60"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; busy timeout instead of
    # "database is locked" errors under light concurrency.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    # Argon2id at OWASP's baseline costs (why: salespulse/core/hashers.py); it checks
    # hashes stored at Django's own costs too.
    "salespulse.core.hashers.Argon2id",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes): after SALESPULSE_LOGIN_ATTEMPTS wrong passwords for one
# account, or from one address, further attempts are refused for SALESPULSE_LOGIN_COOLOFF
# minutes without checking the password (each check is an Argon2 computation). Admins see
# and lift locks in the admin (Axes: access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("SALESPULSE_LOGIN_ATTEMPTS", "10")
AXES_COOLOFF_TIME = timedelta(minutes=envint("SALESPULSE_LOGIN_COOLOFF", "15"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "salespulse.front.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "salespulse.front.throttle.client_ip"
# How many proxies of ours stand in front (nginx: 1); the client's address is then read
# from X-Forwarded-For.
SALESPULSE_PROXY_COUNT = envint("SALESPULSE_PROXY_COUNT", "0")

# The web server behind `salespulse serve` (gunicorn; README "Production"): WORKERS
# processes, each with THREADS threads and at most MAX_CONNECTIONS open connections;
# BACKLOG connections may wait for a free worker. A request running past TIMEOUT seconds
# gets its worker restarted; on SIGTERM requests in hand get GRACEFUL_TIMEOUT to finish.
SALESPULSE_HOST = os.getenv("SALESPULSE_HOST", "127.0.0.1")
SALESPULSE_PORT = envint("SALESPULSE_PORT", "8000")
SALESPULSE_WORKERS = envint("SALESPULSE_WORKERS", str(2 * (os.cpu_count() or 1) + 1))
SALESPULSE_THREADS = envint("SALESPULSE_THREADS", "4")
SALESPULSE_MAX_CONNECTIONS = envint("SALESPULSE_MAX_CONNECTIONS", "1000")
SALESPULSE_BACKLOG = envint("SALESPULSE_BACKLOG", "2048")
SALESPULSE_TIMEOUT = envint("SALESPULSE_TIMEOUT", "60")
SALESPULSE_GRACEFUL_TIMEOUT = envint("SALESPULSE_GRACEFUL_TIMEOUT", "30")

# A login lasts this many days from the last day it was used (SlidingSessionMiddleware).
SESSION_COOKIE_AGE = envint("SALESPULSE_SESSION_DAYS", "30") * 24 * 3600

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.getenv("TIME_ZONE", "Europe/Moscow")

STATIC_URL = "static/"
# Static files are served from the app folders (WHITENOISE_USE_FINDERS), so no
# collectstatic step is needed; set STATIC_ROOT only to collect them for a front proxy.
STATIC_ROOT = os.getenv("STATIC_ROOT") or None
MEDIA_ROOT = DATA_DIR / "uploads"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "salespulse@localhost")

# Production calendar of the company; a maintained library supplies other countries.
SALESPULSE_COUNTRY = os.getenv("SALESPULSE_COUNTRY", "RU")
# A call counts as a conversation when it lasts longer than this many seconds.
SALESPULSE_CONVERSATION_SECONDS = envint("SALESPULSE_CONVERSATION_SECONDS", "15")

# Sanity bound on a day's count figures (calls, leads…) where a KPI sets none of its own.
SALESPULSE_DAILY_MAX = envint("SALESPULSE_DAILY_MAX", "2000")
# Local hour (each head's own time zone) at which the morning digest goes out.
SALESPULSE_DIGEST_HOUR = envint("SALESPULSE_DIGEST_HOUR", "9")
# The largest body the machine API reads (a 10 000-call batch is about 3 MiB).
SALESPULSE_API_MAX_BODY = envint("SALESPULSE_API_MAX_BODY", str(32 * 2**20))
# Where links in e-mails point.
SALESPULSE_BASE_URL = os.getenv("SALESPULSE_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
