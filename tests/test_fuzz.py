"""Bad input gets a clear answer, never a 500 or a traceback, and loses no good rows (issue 18).

Hypothesis generates nasty JSON for the machine API (`POST /api/v1/deals`,
`POST /api/v1/calls`) with good items mixed in, and garbage files for the readers (the
tabular reader, the CRM and telephony imports, their upload pages). Every response must be
JSON (API) or a page (uploads) with a status below 500; every good item must be stored;
every refusal must carry its reason. A reader either answers or refuses with our own error
(`TabularError`, `ImportFailed`, an import result's error) - nothing else escapes.

The number of generated inputs is each test's `max_examples` (EXAMPLES below): 305 in all
(the raw-body test runs once per endpoint), about 13 s on SQLite.
"""

from __future__ import annotations

import io
import json
import math
import os
import uuid
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salespulse.api.models import ApiToken
from salespulse.crm.files import ImportFailed
from salespulse.crm.files import import_file as import_crm_file
from salespulse.crm.models import Deal
from salespulse.lib.tabular import TabularError, open_table
from salespulse.telephony.importer import import_file as import_call_file
from salespulse.telephony.models import CallLeg, CallSource
from tests import factories
from tests.crm.exports import AMO_HEADER, BITRIX_HEADER

# SALESPULSE_FUZZ_SCALE=20 for a longer hunt than the suite's.
SCALE = float(os.environ.get("SALESPULSE_FUZZ_SCALE", "1"))
EXAMPLES = {
    name: max(1, round(count * SCALE))
    for name, count in {"deals_api": 50, "calls_api": 50, "bodies": 25, "tables": 60,
                        "crm_files": 40, "call_files": 40, "uploads": 15}.items()
}  # fmt: skip
FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck))

# --- nasty values ------------------------------------------------------------------------

NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff\ud800", "\u202e", "\ufeff", "💰", "x" * 10_000,
    "=1+1", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "-1e999", "1e999", "NaN", "Infinity",
    "-Infinity", "1E+308", "1e-400", "0x10", "1_000", "١٢٣", "12,34,56",
    "1 000 000 000 000 000 000",
    "--5", "+-3", ".", ",", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01",
    "2026-02-03T25:00:00", "2026-02-03T10:00:00+25:00", "1970-01-01T00:00:00Z",
    "0000-00-00 00:00:00", "31.12.9999 23:59:59", "29.02.2025", "24:00", "true", "false",
    "да", "нет", "yes", "no", "null", "None", "[]", "{}", "WON", "LOSE", "Сделка успешна",
]  # fmt: skip
NASTY_NUMBERS = [
    0, -1, 1, 2**63, -(2**63) - 1, 10**40, -(10**40), 1e308, -1e308, 1e-320, float("nan"),
    float("inf"), float("-inf"), 0.1, 12345678901234567.89, True, False,
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_NUMBERS),
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
DEAL_KEYS = ["id", "title", "stage", "status", "amount", "seller", "seller_crm_id", "client",
             "closed_at", "created_at", "currency", "repeat"]  # fmt: skip
CALL_KEYS = ["id", "start", "billsec", "duration", "disposition", "agent", "direction", "dst",
             "src", "answer", "end", "uniqueid", "linkedid"]  # fmt: skip


def items(keys: list[str]) -> st.SearchStrategy:
    """Objects with the API's field names, any value in each; or not objects at all."""
    known = st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))
    return st.one_of(known, known.flatmap(lambda d: st.just(d | {"id": "dup"})), json_values)


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def dumps(value: object) -> bytes:
    # allow_nan: NaN and Infinity as JavaScript writes them, which Python's parser takes.
    return json.dumps(value, allow_nan=True).encode()


# --- the API -----------------------------------------------------------------------------


@pytest.fixture
def people(db):
    factories.ensure_catalogue()
    team = factories.make_department("sales", "Продажи")
    volkov = factories.make_seller(
        "volkov", team, first_name="Павел", last_name="Волков", extension="101"
    )
    hook = factories.make_user("hook", is_staff=True)
    hook.user_permissions.add(Permission.objects.get(codename="add_deal"))
    return {"volkov": volkov, "token": ApiToken.issue(hook)[1]}


def post(client, url: str, token: str, body: bytes):
    return client.post(
        url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def answered_json(response) -> dict | list:
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return json.loads(response.content)


def good_deal(key: str, amount: Decimal) -> dict:
    return {
        "id": key, "stage": "WON", "amount": str(amount), "seller": "Павел Волков",
        "client": {"name": "ООО «Альфа»"}, "closed_at": "2026-02-03T12:00:00+03:00",
    }  # fmt: skip


batches = st.lists(
    st.one_of(
        st.decimals(min_value=0, max_value=10**12, places=2).map(lambda a: ("good", a)),
        items(DEAL_KEYS).map(lambda i: ("bad", i)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=EXAMPLES["deals_api"], **FUZZ)
@given(batch=batches, wrap=st.sampled_from(["list", "object", "source"]))
def test_the_deals_api_keeps_the_good_deals_and_refuses_the_bad_with_a_reason(
    client, people, batch, wrap
):
    run = uuid.uuid4().hex[:8]
    body, good = [], {}
    for n, (kind, value) in enumerate(batch, 1):
        if kind == "good":
            good[n] = good_deal(f"good-{run}-{n}", value)
            body.append(good[n])
        else:
            if isinstance(value, dict) and str(value.get("id", "")).startswith("good-"):
                value = value | {"id": "x"}
            body.append(value)
    payload = {"list": body, "object": {"deals": body}, "source": {"source": body, "deals": body}}
    response = post(client, "/api/v1/deals", people["token"], dumps(payload[wrap]))
    answer = answered_json(response)
    if wrap == "source":
        return  # a source that is not a name: refused or taken, never a 500
    assert isinstance(answer, dict)
    assert response.status_code == (200 if good else response.status_code)
    stored = Deal.objects.filter(external_id__in=[d["id"] for d in good.values()])
    assert stored.count() == len(good)
    refused = {e["index"] for e in answer.get("errors", [])}
    assert not refused & set(good), answer["errors"]
    assert all(e["message"].strip() for e in answer.get("errors", []))


@settings(max_examples=EXAMPLES["calls_api"], **FUZZ)
@given(
    batch=st.lists(
        st.one_of(st.integers(1, 3600).map(lambda s: ("good", s)),
                  items(CALL_KEYS).map(lambda i: ("bad", i))),
        min_size=1, max_size=12,
    ),
    wrap=st.booleans(),
)  # fmt: skip
def test_the_calls_api_keeps_the_good_calls_and_refuses_the_bad_with_a_reason(
    client, people, batch, wrap
):
    run = uuid.uuid4().hex[:8]
    body, good = [], {}
    for n, (kind, value) in enumerate(batch, 1):
        if kind == "good":
            good[n] = {
                "id": f"good-{run}-{n}", "start": "2026-02-03T10:00:00+03:00", "billsec": value,
                "duration": value + 5, "disposition": "answered", "agent": "101",
                "direction": "outbound", "dst": "+79161234567",
            }  # fmt: skip
            body.append(good[n])
        else:
            if isinstance(value, dict) and str(value.get("id", "")).startswith("good-"):
                value = value | {"id": "x"}
            body.append(value)
    payload = {"source": f"fuzz-{run}", "calls": body} if wrap else body
    response = post(client, "/api/v1/calls", people["token"], dumps(payload))
    answer = answered_json(response)
    assert isinstance(answer, dict)
    refused = {r["line"] for r in answer.get("rejected", [])}
    assert not refused & set(good), answer["rejected"]
    assert all(str(r.get("reason", "")).strip() for r in answer.get("rejected", []))
    ids = [c["id"] for c in good.values()]
    assert CallLeg.objects.filter(external_id__in=ids).values("external_id").distinct().count() == (
        len(good)
    )


RAW_BODIES = [
    b"", b"null", b"[]", b"{}", b"\xff\xfe\x00", b"{\"deals\": [", b"NaN", b"-Infinity",
    b"[" + b"1e999999" + b"]", deep(5000).encode(), deep(200_000).encode(),
    b"{\"deals\": " + deep(900).encode() + b"}", b"\"\\ud800\"", b"[\"\\u0000\"]",
    b"{\"calls\": {\"calls\": []}}", b"{\"deals\": {}}", b"[[[[{}]]]]", b"1" * 5000,
]  # fmt: skip


@pytest.mark.parametrize("url", ["/api/v1/deals", "/api/v1/calls"])
@settings(max_examples=EXAMPLES["bodies"], **FUZZ)
@given(body=st.one_of(st.sampled_from(RAW_BODIES), st.binary(max_size=200),
                      json_values.map(dumps)))  # fmt: skip
def test_any_body_gets_a_json_answer(client, people, url, body):
    answered_json(post(client, url, people["token"], body))


# --- files -------------------------------------------------------------------------------


def xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def broken_zips(data: bytes) -> list[bytes]:
    """An XLSX cut short, with a member damaged, or a zip holding something else."""
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("xl/workbook.xml", "<not-a-workbook")
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(damaged, "w") as z:
        for info in src.infolist():
            body = src.read(info)
            z.writestr(info, body[: len(body) // 2] if "sheet" in info.filename else body)
    return [data[: len(data) // 2], data[:-10], other.getvalue(), damaged.getvalue()]


cells = st.one_of(
    st.sampled_from(NASTY_TEXT[:60]),
    st.text(max_size=20),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
HEADERS = [BITRIX_HEADER, AMO_HEADER[:15], ["Клиент", "Аккаунт-менеджер", "Дата передачи"],
           ["calldate", "src", "dst", "billsec", "disposition"], ["a"], []]  # fmt: skip


@st.composite
def files(draw) -> bytes:
    header = draw(st.sampled_from(HEADERS))
    rows = draw(st.lists(st.lists(cells, max_size=len(header) + 3), max_size=6))
    text_rows = [[c if isinstance(c, str) else str(c) for c in r] for r in rows]
    delimiter = draw(st.sampled_from([";", ",", "\t", "|", ""]))
    quote = draw(st.sampled_from(['"', "'", ""]))
    lines = [delimiter.join(f"{quote}{c}{quote}" for c in row) for row in [header, *text_rows]]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16"]))
    kind = draw(st.sampled_from(["csv", "xlsx", "broken-xlsx", "bytes", "html", "cut"]))
    if kind == "csv":
        return text.encode(encoding, "replace" if encoding == "cp1251" else "surrogatepass")
    if kind in ("xlsx", "broken-xlsx"):
        data = xlsx([[*header], *[[_xlsx_cell(c) for c in r] for r in rows]])
        return data if kind == "xlsx" else draw(st.sampled_from(broken_zips(data)))
    if kind == "html":
        return ("<html><table>" + "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in [header, *text_rows]
        ) + draw(st.sampled_from(["</table></html>", "<tr><td>", ""]))).encode(
            "utf-8", "surrogatepass"
        )  # fmt: skip
    if kind == "cut":
        data = text.encode("utf-8", "surrogatepass")
        return data[: draw(st.integers(0, len(data)))] + draw(st.binary(max_size=20))
    return draw(st.binary(min_size=1, max_size=300))


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str):
        # What a spreadsheet cannot hold (control characters, lone surrogates) as text.
        return (
            value.encode("utf-8", "replace")
            .decode("utf-8", "replace")
            .translate({c: None for c in range(32) if c not in (9, 10, 13)})
            .replace("\ud800", "")
        )
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@settings(max_examples=EXAMPLES["tables"], **FUZZ)
@given(data=files())
def test_the_table_reader_reads_or_refuses_with_its_own_error(data):
    try:
        with open_table(io.BytesIO(data)) as table:
            for _number, row in table.rows():
                assert all(isinstance(c, str) for c in row)
    except TabularError as e:
        assert e.message


@pytest.mark.django_db
@settings(max_examples=EXAMPLES["crm_files"], **FUZZ)
@given(data=files(), kind=st.sampled_from(["deals", "clients"]),
       fmt=st.sampled_from([None, "bitrix24", "amocrm", "csv"]))  # fmt: skip
def test_a_crm_import_answers_or_refuses_the_file_with_a_reason(people, data, kind, fmt):
    try:
        result = import_crm_file(io.BytesIO(data), kind=kind, fmt=fmt, file_name="fuzz.csv")
    except ImportFailed as e:
        assert e.text().strip()
        return
    assert all(e.text(str).strip() for e in result.errors)
    # Each row is taken or refused (a deal's product rows are one deal).
    assert result.created + result.updated + result.unchanged + result.error_count <= result.rows


@pytest.mark.django_db
@settings(max_examples=EXAMPLES["call_files"], **FUZZ)
@given(data=files(), layout=st.sampled_from([f for f, _ in CallSource.Format.choices]))
def test_a_call_import_answers_or_refuses_the_file_with_a_reason(people, data, layout):
    source, _ = CallSource.objects.get_or_create(name=f"fuzz-{layout}", defaults={"format": layout})
    result, _record = import_call_file(source, io.BytesIO(data), file_name="fuzz.csv")
    assert result.counts_add_up or result.error, result.as_record()
    assert all(str(r.get("reason", "")).strip() for r in result.rejected)


@pytest.mark.django_db
@settings(max_examples=EXAMPLES["uploads"], **FUZZ)
@given(data=files(), page=st.sampled_from(["/telephony/import/", "/crm/import/"]))
def test_an_upload_page_answers_a_garbage_file_with_a_page(client, people, data, page):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = factories.User.objects.filter(username="root").first() or factories.make_admin("root")
    client.force_login(admin)
    fields = {"name": "fuzz", "timezone": "Europe/Moscow", "kind": "deals"}
    response = client.post(page, fields | {"file": SimpleUploadedFile("x.csv", data)})
    assert response.status_code in (200, 302), response.status_code
