"""Deal and client records from export rows: Bitrix24, amoCRM/Kommo, or a saved mapping.

Readers take the ``(line, cells)`` rows of `salespulse.lib.tabular` and yield records
or `RowError`s, so one bad row is reported with its line number and the others are kept.
Column names are matched after `normalize_header` (case, ``ё``, stray spaces), never by
position: both CRMs let the user choose and order the columns.

The close date (the day a won deal counts on), per format:
- Bitrix24: «Дата закрытия» when the export has such a column, else «Дата изменения».
  «Предполагаемая дата закрытия» is not used: Bitrix24 fills it with the creation day
  plus a week and only sets it on closing when it is empty, so it is a plan, not a fact.
- amoCRM/Kommo: «Дата закрытия» (set when the deal reaches a closing stage), else
  «Дата редактирования».
- a mapping: its `closed_at` column, else its `modified_at` column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from salespulse.lib.crm.names import client_key
from salespulse.lib.fmt import parse_decimal
from salespulse.lib.tabular import (
    TabularError,
    gettext_noop,
    map_columns,
    normalize_header,
    parse_datetime,
)

Row = tuple[int, list[str]]
Moment = datetime | date  # a bare date is the seller's local day, whatever their zone

DEAL_FIELDS = (
    "id", "title", "company", "contact", "client", "client_id", "seller", "seller_id",
    "stage", "amount", "currency", "created_at", "closed_at", "modified_at", "repeat",
    "product", "price", "quantity",
)  # fmt: skip
CLIENT_FIELDS = ("id", "name", "manager", "manager_id", "handed_over_on")


@dataclass(frozen=True)
class Layout:
    """Which header names carry which field, and what a row cannot do without."""

    name: str
    columns: Mapping[str, Sequence[str]]
    required: tuple[str, ...]
    # One of these must be present (a seller by name or by CRM id).
    one_of: tuple[tuple[str, ...], ...] = ()


BITRIX24 = Layout(
    "bitrix24",
    {
        "id": ["ID"],
        "title": ["Название сделки", "Название"],
        "company": ["Компания"],
        "contact": ["Контакт"],
        "seller": ["Ответственный"],
        "stage": ["Стадия сделки", "Стадия"],
        "amount": ["Сумма", "Сумма сделки"],
        "currency": ["Валюта"],
        "created_at": ["Дата создания"],
        "closed_at": ["Дата закрытия"],
        "modified_at": ["Дата изменения"],
        "repeat": ["Повторная сделка"],
        "product": ["Товар"],
        "price": ["Цена"],
        "quantity": ["Количество"],
    },
    required=("id", "seller", "stage"),
)

AMOCRM = Layout(
    "amocrm",
    {
        "id": ["ID"],
        "title": ["Название сделки"],
        "company": ["Компания", "Компания контакта"],
        "contact": ["Полное имя контакта", "Основной контакт", "Контакт"],
        "seller": ["Ответственный"],
        "stage": ["Этап сделки", "Статус"],
        "amount": ["Бюджет", "Бюджет, ₽", "Бюджет ₽", "Сумма"],
        "currency": ["Валюта"],
        "created_at": ["Дата создания сделки", "Дата создания"],
        "closed_at": ["Дата закрытия"],
        "modified_at": ["Дата редактирования", "Дата изменения"],
    },
    required=("id", "seller", "stage"),
)

CLIENTS = Layout(
    "clients",
    {
        "id": ["ID", "Внешний ID", "ID клиента"],
        "name": [
            "Клиент",
            "Название компании",
            "Компания",
            "Наименование",
            "Название",
            "Полное имя контакта",
            "Контакт",
            "ФИО",
        ],
        "manager": ["Аккаунт-менеджер", "Аккаунт менеджер", "Менеджер", "Ответственный"],
        "manager_id": ["ID ответственного", "ID менеджера"],
        "handed_over_on": [
            "Дата передачи в работу",
            "Дата передачи",
            "Передан в работу",
            "Передан аккаунту",
            "Дата передачи аккаунту",
        ],
    },  # fmt: skip
    required=("name",),
    one_of=(("manager", "manager_id"),),
)

LAYOUTS = {"bitrix24": BITRIX24, "amocrm": AMOCRM}


def mapped_layout(name: str, columns: Mapping[str, str], kind: str = "deals") -> Layout:
    """A layout from a saved mapping ``{field: header}``; unknown fields are refused."""
    known = DEAL_FIELDS if kind == "deals" else CLIENT_FIELDS
    unknown = sorted(set(columns) - set(known))
    if unknown:
        raise TabularError(
            gettext_noop("Unknown fields in the mapping: %(fields)s. Known: %(known)s."),
            fields=", ".join(unknown),
            known=", ".join(known),
        )
    spec = {f: [h] for f, h in columns.items() if h.strip()}
    if kind == "deals":
        return Layout(name, spec, required=("id",), one_of=(("seller", "seller_id"),))
    return Layout(name, spec, required=("name",), one_of=(("manager", "manager_id"),))


def detect_layout(header: Sequence[str]) -> Layout | None:
    names = {normalize_header(h) for h in header}
    if "стадия сделки" in names:
        return BITRIX24
    if "этап сделки" in names or "бюджет" in names:
        return AMOCRM
    return None


# --- values ----------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}")
_YES = {"да", "y", "yes", "true", "1", "+", "д"}
_NO = {"нет", "n", "no", "false", "0", "-", "н"}
MAX_AMOUNT = Decimal(10) ** 16
_CURRENCIES = {
    "RUB": ["российский рубль", "рубль", "рубли", "руб", "руб.", "р.", "₽", "rub", "rur"],
    "USD": ["доллар сша", "доллар", "$", "usd"],
    "EUR": ["евро", "€", "eur"],
    "KZT": ["казахстанский тенге", "тенге", "kzt"],
    "BYN": ["белорусский рубль", "byn"],
    "UAH": ["украинская гривна", "гривна", "uah"],
    "CNY": ["китайский юань", "юань", "cny"],
}
_CURRENCY_BY_NAME = {n: code for code, names in _CURRENCIES.items() for n in names}


# A deal's dates are plausible from 2000 to a year ahead: 1900, 2035 or 9999-12-31 in an
# export is a typo or a placeholder, and such a deal would sit on a day nobody looks at.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_AHEAD = timedelta(days=366)


def parse_moment(text: str, tz: tzinfo) -> Moment:
    """An export's date and time, aware (naive ones are in `tz`); a bare date stays a date."""
    s = text.strip()
    try:
        moment: Moment = (
            parse_datetime(s).date() if _DATE_ONLY.fullmatch(s) else parse_datetime(s, tz)
        )
    except OverflowError:  # 0001-01-01 moved to UTC
        raise TabularError(gettext_noop("An implausible date: '%(value)s'"), value=s[:60]) from None
    day = moment.date() if isinstance(moment, datetime) else moment
    if not EARLIEST_DAY <= day <= date.today() + LATEST_AHEAD:
        raise TabularError(gettext_noop("An implausible date: '%(value)s'"), value=s[:60])
    return moment


def parse_currency(text: str) -> str:
    s = " ".join(text.split()).casefold().replace("ё", "е")
    if not s:
        return "RUB"
    if s in _CURRENCY_BY_NAME:
        return _CURRENCY_BY_NAME[s]
    if re.fullmatch("[a-z]{3}", s):
        return s.upper()
    raise TabularError(gettext_noop("Unknown currency: '%(value)s'"), value=text[:60])


def parse_amount(text: str) -> Decimal:
    if not text.strip():
        return Decimal(0)
    try:
        value = parse_decimal(text)
    except ValueError:
        raise TabularError(gettext_noop("Not an amount: '%(value)s'"), value=text[:60]) from None
    if value < 0:
        raise TabularError(gettext_noop("A negative amount: '%(value)s'"), value=text[:60])
    if not value.is_finite() or value >= MAX_AMOUNT:
        # What the deal table holds (18 digits, 2 after the point); past it PostgreSQL
        # refuses the whole batch and SQLite stores a rounded figure.
        raise TabularError(gettext_noop("An amount too large: '%(value)s'"), value=text[:60])
    return value.quantize(Decimal("0.01"))


def parse_flag(value: object) -> bool:
    """A yes/no field of a JSON deal: true/false, 1/0, or a word («да», "no")."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _YES:
            return True
        if word in _NO or not word:
            return False
    raise TabularError(gettext_noop("Not a yes or no: '%(value)s'"), value=str(value)[:60])


def parse_yes(text: str) -> bool:
    return text.strip().casefold() in _YES


# --- records ---------------------------------------------------------------------------


@dataclass
class RowError:
    """A row that was not taken: its line, a msgid and its parameters."""

    line: int
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, translate: Any = None) -> str:
        message = translate(self.message) if translate else self.message
        return message % self.params if self.params else message


@dataclass
class DealRecord:
    line: int
    external_id: str
    title: str = ""
    client: str = ""  # the client's display name (company, else contact)
    client_id: str = ""  # the client's id in the CRM, when the source gives one
    seller: str = ""
    seller_id: str = ""
    stage: str = ""
    amount: Decimal = Decimal(0)
    currency: str = "RUB"
    created_at: Moment | None = None
    closed_at: Moment | None = None
    repeat: bool = False  # the CRM itself says the client bought before
    product_rows: int = 0

    @property
    def client_key(self) -> str:
        return client_key(self.client)


@dataclass
class ClientRecord:
    line: int
    name: str
    external_id: str = ""
    manager: str = ""
    manager_id: str = ""
    handed_over_on: date | None = None


class _Cells:
    def __init__(self, index: Mapping[str, int], cells: list[str]) -> None:
        self.index = index
        self.cells = cells

    def __getitem__(self, name: str) -> str:
        i = self.index.get(name)
        if i is None or i >= len(self.cells):
            return ""
        return self.cells[i].strip()


def _header(rows: Iterator[Row], layout: Layout) -> dict[str, int]:
    for _line, cells in rows:
        index = map_columns(cells, layout.columns, layout.required)
        for options in layout.one_of:
            if not any(o in index for o in options):
                map_columns(cells, {o: layout.columns.get(o, [o]) for o in options}, options[:1])
        return index
    raise TabularError(gettext_noop("The file has no header row."))


def read_deals(
    rows: Iterable[Row], layout: Layout, tz: tzinfo, header: Sequence[str] | None = None
) -> Iterator[DealRecord | RowError]:
    """Deal records (one per row; product rows are merged by `merge_deals`).

    Raises `TabularError` when the header lacks a required column: nothing is taken
    from a file whose columns are not understood.
    """
    rows = iter(rows)
    index = (
        map_columns(header, layout.columns, layout.required) if header else _header(rows, layout)
    )
    no_stage = "stage" not in index
    close_fields = [f for f in ("closed_at", "modified_at") if f in index]
    for line, cells in rows:
        c = _Cells(index, cells)
        try:
            record = _deal(line, c, tz, close_fields)
        except TabularError as e:
            yield RowError(line, e.message, e.params)
            continue
        if no_stage:
            # A mapped sheet of sales without a stage column lists won deals only.
            record.stage = "won"
        yield record


def _deal(line: int, c: _Cells, tz: tzinfo, close_fields: list[str]) -> DealRecord:
    external_id = c["id"]
    if not external_id:
        raise TabularError(gettext_noop("The deal has no ID."))
    if not c["seller"] and not c["seller_id"]:
        raise TabularError(gettext_noop("Deal %(id)s has no responsible person."), id=external_id)
    amount = c["amount"]
    if not amount and c["price"]:
        price, quantity = parse_amount(c["price"]), parse_amount(c["quantity"] or "1")
        amount_value = (price * quantity).quantize(Decimal("0.01"))
    else:
        amount_value = parse_amount(amount)
    closed_at = None
    for name in close_fields:
        if c[name]:
            closed_at = parse_moment(c[name], tz)
            break
    return DealRecord(
        line=line,
        external_id=external_id[:200],
        title=c["title"][:300],
        client=(c["company"] or c["contact"] or c["client"])[:300],
        client_id=c["client_id"][:200],
        seller=c["seller"],
        seller_id=c["seller_id"],
        stage=c["stage"],
        amount=amount_value,
        currency=parse_currency(c["currency"]),
        created_at=parse_moment(c["created_at"], tz) if c["created_at"] else None,
        closed_at=closed_at,
        repeat=parse_yes(c["repeat"]),
        product_rows=1 if "product" in c.index else 0,
    )


@dataclass
class Merged:
    deals: dict[str, DealRecord]
    errors: list[RowError]
    warnings: list[RowError]
    rows: int


def merge_deals(items: Iterable[DealRecord | RowError]) -> Merged:
    """One record per deal ID.

    With product columns (Bitrix24's «Товар») a deal comes once per product row and each
    row's «Сумма» is that row's price × quantity, so the rows of one ID add up to the
    deal. Without them a repeated ID is a later copy of the deal: the later row wins and
    a warning names both lines.
    """
    deals: dict[str, DealRecord] = {}
    errors: list[RowError] = []
    warnings: list[RowError] = []
    rows = 0
    for item in items:
        rows += 1
        if isinstance(item, RowError):
            errors.append(item)
            continue
        earlier = deals.get(item.external_id)
        if earlier is None:
            deals[item.external_id] = item
        elif item.product_rows:
            earlier.amount += item.amount
            earlier.product_rows += 1
        else:
            warnings.append(
                RowError(
                    item.line,
                    gettext_noop(
                        "Deal %(id)s appears again (line %(earlier)d): the later row is used."
                    ),
                    {"id": item.external_id, "earlier": earlier.line},
                )
            )
            deals[item.external_id] = item
    return Merged(deals, errors, warnings, rows)


def read_clients(
    rows: Iterable[Row], layout: Layout = CLIENTS
) -> Iterator[ClientRecord | RowError]:
    rows = iter(rows)
    index = _header(rows, layout)
    for line, cells in rows:
        c = _Cells(index, cells)
        try:
            if not c["name"]:
                raise TabularError(gettext_noop("The client has no name."))
            if not c["manager"] and not c["manager_id"]:
                raise TabularError(
                    gettext_noop("Client '%(name)s' has no account manager."), name=c["name"][:60]
                )
            handed = c["handed_over_on"]
            yield ClientRecord(
                line=line,
                name=c["name"][:300],
                external_id=c["id"][:200],
                manager=c["manager"],
                manager_id=c["manager_id"],
                handed_over_on=parse_datetime(handed).date() if handed else None,
            )
        except TabularError as e:
            yield RowError(line, e.message, e.params)
