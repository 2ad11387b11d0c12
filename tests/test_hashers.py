"""Passwords are stored with Argon2id at OWASP's baseline costs; those stored at Django's
own (heavier) costs still log in, and are stored again at ours."""

from argon2 import PasswordHasher
from django.contrib.auth.hashers import check_password, identify_hasher, make_password


def test_a_new_password_is_argon2id_at_19_mib_two_passes_one_lane(settings):
    settings.PASSWORD_HASHERS = ["salespulse.core.hashers.Argon2id"]
    encoded = make_password("demo-admin-2026")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("demo-admin-2026", encoded)
    assert not check_password("demo-admin-2027", encoded)
    assert not identify_hasher(encoded).must_update(encoded)


def test_a_password_stored_at_djangos_costs_logs_in_and_is_stored_again(settings):
    # As in production: ours checks any Argon2 hash, whatever costs it names.
    settings.PASSWORD_HASHERS = [
        "salespulse.core.hashers.Argon2id",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    old = "argon2" + PasswordHasher(time_cost=2, memory_cost=102400, parallelism=8).hash("pw-2026")
    assert "m=102400,t=2,p=8" in old
    stored = []
    assert check_password("pw-2026", old, setter=stored.append)
    assert stored == ["pw-2026"]  # Django re-hashes it at the new costs on this login
