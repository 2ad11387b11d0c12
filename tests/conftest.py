import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 is deliberately slow; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_data_dir(settings, worker_id):
    # Two test processes (pytest-xdist) must not share the data directory's files: the
    # demo writes its PBX's CDR database there, uploads wait there for the worker.
    if worker_id != "master":
        settings.DATA_DIR = settings.DATA_DIR / worker_id
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        settings.MEDIA_ROOT = settings.DATA_DIR / "uploads"


@pytest.fixture(autouse=True)
def _no_login_throttling(settings):
    # client.login() authenticates without a request, which django-axes refuses; the
    # throttling has its own tests (tests/test_login_throttling.py) that turn it on.
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _english_outside_requests():
    # Messages raised by services are asserted on their English source text; pages still
    # get Russian by default from the language middleware, and tests of Russian output
    # switch explicitly with translation.override("ru").
    with translation.override("en"):
        yield
