"""How passwords are stored: Argon2id at OWASP's baseline (19 MiB, 2 passes, 1 lane).

Django's default Argon2 costs (100 MiB, 2 passes, 8 lanes) spent 0.24 s of CPU and 100 MiB
a login here: the 19:00 spike's 50 logins took a fifth of the server's CPU, and 20 threads
logging in at once need 2 GiB. The OWASP Password Storage Cheat Sheet gives 19 MiB, t=2,
p=1 as its first Argon2id configuration, an equal defence to the heavier ones it lists;
guessing online is held back by login throttling (django-axes), not by the hash's cost.
Here it is 25 ms of CPU a login. A password stored at other costs is still checked, and
Django stores it again at these on the next login (`must_update`).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2id(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
