"""Matching the names CRM exports write instead of ids: people and clients.

Bitrix24 writes the responsible person as a formatted display name whose word order
depends on the portal ("Иван Петров", "Петров Иван", "Петров Иван Сергеевич"), and the
company as its title, quoted however the person typing it liked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Generic, TypeVar

_QUOTES = re.compile("[«»\"“”„‟'`’‘]")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009\ufeff]+")


def normalize_name(text: str) -> str:
    """``ООО «Альфа»`` -> ``ооо альфа``: casefolded, ``ё`` as ``е``, no quotes, one space."""
    text = _QUOTES.sub(" ", text)
    return _SPACES.sub(" ", text).strip().casefold().replace("ё", "е")


def person_tokens(text: str) -> frozenset[str]:
    """The words of a person's name, order-free (punctuation such as "Петров, Иван" ignored)."""
    return frozenset(w for w in re.split(r"[\s,.]+", normalize_name(text)) if w)


K = TypeVar("K")


class PersonIndex(Generic[K]):
    """Finds an employee by CRM id, login or full name in any word order.

    A display name with a patronymic matches an employee whose first and last name are
    its words; a name that fits two employees matches nobody (a wrong guess would
    credit a deal to the wrong seller, which is worse than reporting it).
    """

    def __init__(self, people: Iterable[tuple[K, str, str, str]]) -> None:
        # (id, crm id, login, full name)
        self._by_id: dict[str, K] = {}
        self._by_login: dict[str, K] = {}
        self._names: list[tuple[frozenset[str], K]] = []
        self._cache: dict[str, K | None] = {}
        for pk, crm_id, login, full_name in people:
            if crm_id.strip():
                self._by_id[crm_id.strip().casefold()] = pk
            if login:
                self._by_login[login.casefold()] = pk
            tokens = person_tokens(full_name)
            if len(tokens) >= 2:
                self._names.append((tokens, pk))

    def by_crm_id(self, crm_id: str) -> K | None:
        return self._by_id.get(crm_id.strip().casefold())

    def find(self, text: str) -> K | None:
        """The employee named by `text` (CRM id, login or full name), or None."""
        if text in self._cache:
            return self._cache[text]
        found = self.by_crm_id(text)
        if found is None:
            found = self._by_login.get(text.strip().casefold())
        if found is None:
            tokens = person_tokens(text)
            exact = [pk for names, pk in self._names if names == tokens]
            if len(exact) == 1:
                found = exact[0]
            elif not exact and len(tokens) >= 2:
                within = [pk for names, pk in self._names if names <= tokens]
                found = within[0] if len(within) == 1 else None
        self._cache[text] = found
        return found


def client_key(*names: str) -> str:
    """The identity of a client: the first non-empty of the names given, normalised."""
    for name in names:
        if key := normalize_name(name):
            return key[:300]
    return ""
