"""Which employee a CRM user is: one rule for every connector (Bitrix24, amoCRM).

The explicit mapping comes first: it is how an admin settles what matching cannot (two
Ивановы, a shared mailbox) and must not be overridden by a guess. Then the CRM id written
on the employee, then the e-mail (when one employee only has it), then the name in any
word order (an ambiguous name matches nobody: a deal credited to the wrong seller is worse
than one listed as unmatched).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from salespulse.lib.crm.names import PersonIndex


@dataclass(frozen=True)
class Person:
    """An employee as users are matched to them."""

    login: str
    name: str  # "First Last"
    email: str = ""
    crm_id: str = ""


class User(Protocol):
    @property
    def id(self) -> object: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...


def match_users(
    users: Iterable[User], people: Iterable[Person], mapping: Mapping[str, str]
) -> dict[str, str]:
    """CRM user id (as text) -> employee login, for the users that are someone here."""
    people = list(people)
    logins = {p.login.casefold(): p.login for p in people}
    by_email: dict[str, list[str]] = {}
    for p in people:
        if p.email.strip():
            by_email.setdefault(p.email.strip().casefold(), []).append(p.login)
    # Keyed by login, not by position: the index answers with its key, and 0 is falsy.
    index = PersonIndex((p.login, p.crm_id.strip(), "", p.name) for p in people)
    found = {}
    for user in users:
        uid = str(user.id)
        explicit = logins.get(str(mapping.get(uid, "")).strip().casefold())
        if explicit:
            found[uid] = explicit
            continue
        if (login := index.by_crm_id(uid)) is not None:
            found[uid] = login
            continue
        same = by_email.get(user.email.strip().casefold(), []) if user.email else []
        if len(same) == 1:
            found[uid] = same[0]
            continue
        if user.name and (login := index.find(user.name)) is not None:
            found[uid] = login
    return found
