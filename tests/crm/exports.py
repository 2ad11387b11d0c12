"""CRM export files built to the documented layouts (/work/shared/formats), mess included.

Bitrix24 CSV: every cell quoted, `;` separated, every line ending in an extra `;`,
display names instead of ids, and with product columns one row per product whose
«Сумма» is that row's price × quantity. Its "Excel" export is an HTML table named .xls.
amoCRM: comma separated, «Бюджет » with a stray space, repeated header names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

BITRIX_HEADER = [
    "ID", "Название сделки", "Стадия сделки", "Сумма", "Валюта", "Ответственный",
    "Дата создания", "Дата изменения", "Компания", "Контакт", "Повторная сделка",
]  # fmt: skip
BITRIX_PRODUCT_HEADER = BITRIX_HEADER + ["Товар", "Цена", "Количество"]
AMO_HEADER = [
    "ID", "Название сделки", "Бюджет ", "Ответственный", "Дата создания сделки",
    "Кем создана сделка", "Дата редактирования", "Кем редактирована", "Дата закрытия", "Теги",
    "Примечание", "Этап сделки", "Воронка", "Полное имя контакта", "Компания контакта",
    "Ответственный за контакт", "Компания", "Товар", "Источник", "Товар", "Источник",
]  # fmt: skip


@dataclass
class D:
    id: str
    seller: str
    stage: str
    amount: Decimal | str
    closed: str  # dd.mm.yyyy hh:mm:ss as the CRM writes it
    company: str = ""
    contact: str = ""
    title: str = ""
    created: str = "01.02.2026 10:00:00"
    currency: str = "Российский рубль"
    repeat: str = "Нет"
    products: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)


def money(amount: Decimal | str) -> str:
    """`1 234 567,89` with a no-break space, as a Russian export writes it."""
    if isinstance(amount, str):
        return amount
    whole, _, frac = f"{amount:.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "\u00a0".join(groups) + "," + frac


def _bitrix_rows(deals: Sequence[D], products: bool) -> list[list[str]]:
    rows = [BITRIX_PRODUCT_HEADER if products else BITRIX_HEADER]
    for d in deals:
        base = [
            d.id, d.title or f"Сделка #{d.id}", d.stage, money(d.amount), d.currency, d.seller,
            d.created, d.closed, d.company, d.contact, d.repeat,
        ]  # fmt: skip
        if not products:
            rows.append(base)
            continue
        for name, price, quantity in d.products or [("Услуга", Decimal(d.amount), Decimal(1))]:
            line = list(base)
            line[3] = money((price * quantity).quantize(Decimal("0.01")))
            rows.append(line + [name, money(price), f"{quantity:f}".replace(".", ",")])
    return rows


def bitrix24_csv(deals: Sequence[D], encoding: str = "cp1251", products: bool = False) -> bytes:
    out = []
    for row in _bitrix_rows(deals, products):
        out.append(";".join('"' + c.replace('"', '""') + '"' for c in row) + ";\n")
    text = "".join(out)
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def bitrix24_html(deals: Sequence[D], encoding: str = "utf-8", products: bool = False) -> bytes:
    charset = "windows-1251" if encoding == "cp1251" else "UTF-8"
    rows = _bitrix_rows(deals, products)
    parts = [
        f'<meta http-equiv="Content-type" content="text/html;charset={charset}" />\n',
        '<table border="1">\n<thead><tr>',
        "".join(f"<th>{escape(h)}</th>" for h in rows[0]),
        "</tr></thead>\n<tbody>\n",
    ]
    for row in rows[1:]:
        parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>\n")
    parts.append("</tbody></table>\n")
    return "".join(parts).encode(encoding)


def amocrm_csv(deals: Sequence[D], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AMO_HEADER)
    for d in deals:
        closing = d.closed if d.stage in ("Успешно реализовано", "Закрыто и не реализовано") else ""
        writer.writerow([
            d.id, d.title or f"Сделка #{d.id}", money(d.amount), d.seller, d.created, d.seller,
            d.closed, d.seller, closing, "", "", d.stage, "Основная", d.contact, d.company,
            d.seller, d.company, "", "сайт", "", "",
        ])  # fmt: skip
    return buffer.getvalue().encode(encoding)


def clients_csv(rows: Sequence[tuple[str, str, str]], encoding: str = "utf-8") -> bytes:
    """(client, account manager, handover dd.mm.yyyy) rows with Russian headers, `;`."""
    lines = ["Клиент;Аккаунт-менеджер;Дата передачи в работу"]
    lines += [";".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)
