import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 is deliberately slow; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_outside_requests():
    # Messages raised by services are asserted on their English source text; pages still
    # get Russian by default from the language middleware, and tests of Russian output
    # switch explicitly with translation.override("ru").
    with translation.override("en"):
        yield
