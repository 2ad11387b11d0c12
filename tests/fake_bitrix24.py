"""A Bitrix24 portal on 127.0.0.1, speaking the REST API of an incoming webhook as documented.

`/rest/<user>/<code>/<method>` (``.json`` optional), parameters as JSON, a form or a query
string in PHP's bracket notation; answers as PHP's json_encode writes them (Cyrillic as
``\\uXXXX``, every value a string, an empty list ``[]``). What it does:
- lists of 50 rows with ``total`` and ``next``; ``filter`` with ``>``, ``>=``, ``<``, ``@``
  (in) and plain equality, ``select``, ``order`` by ID; DATE_MODIFY compared as moments;
- ``batch`` with ``cmd[name]=method?query``: ``result``, ``result_error``, ``result_total``,
  ``result_next``, at most 50 commands;
- ``crm.category.list`` (pipelines), ``crm.status.list`` (stages with SEMANTICS and EXTRA),
  ``crm.company.list``, ``crm.contact.list``, ``user.get``, ``scope``;
- its limit: a leaky bucket of `rate` requests a second (``burst`` deep) answering HTTP 503
  QUERY_LIMIT_EXCEEDED past it; `fail` queues answers to give next (503, a throttle in a
  200 body); `revoked` answers 401 as for a deleted webhook; `latency` per request;
  `hidden` deals counted in a list's total but not on its pages;
- ``crm.deal.get``: the deal, or HTTP 400 "Not found", or "Access denied." for the
  `unreadable` deals, which lists leave out (the webhook's user may not read them).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PAGE = 50
SYSTEM = ("NEW", "WON", "LOSE")  # stages a pipeline always has
CODE = "s3cr3tc0de"

STANDARD_STAGES = [
    ("NEW", "Новая", None), ("PREPARATION", "Подготовка документов", None),
    ("EXECUTING", "В работе", None), ("WON", "Сделка успешна", "S"),
    ("LOSE", "Сделка провалена", "F"), ("APOLOGY", "Анализ причины провала", "F"),
]  # fmt: skip


def parse_php(query: str) -> dict[str, Any]:
    """`a[b][0]=x&c=y` -> {"a": {"b": ["x"]}, "c": "y"}, as PHP reads a query string."""
    data: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        node = data
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(data)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _matches(row: dict[str, Any], flt: dict[str, Any]) -> bool:
    for key, wanted in flt.items():
        op = ""
        for candidate in (">=", "<=", "!@", ">", "<", "@", "=", "!"):
            if key.startswith(candidate):
                op, key = candidate, key[len(candidate) :]
                break
        have = row.get(key)
        if op in ("@", "!@"):
            values = wanted if isinstance(wanted, list) else [wanted]
            inside = str(have) in {str(v) for v in values}
            if inside != (op == "@"):
                return False
            continue
        if op in (">", ">=", "<", "<="):
            a, b = _moment(str(have)), _moment(str(wanted))
            if a is None or b is None:
                a, b = float(have or 0), float(wanted or 0)  # type: ignore[assignment]
            ok = {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]  # type: ignore[operator]
            if not ok:
                return False
            continue
        same = str(have) == str(wanted)
        if same == (op == "!"):
            return False
    return True


class Portal:
    def __init__(self) -> None:
        self.deals: dict[int, dict[str, Any]] = {}
        self.companies: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.categories: dict[int, str] = {}  # custom pipelines; 0 is the default
        self.statuses: dict[str, list[dict[str, Any]]] = {}
        self.scopes = ["crm", "user"]
        self.rate: float | None = None
        self.burst = 2.0
        self.latency = 0.0
        self.revoked = False
        self.fail: list[Any] = []  # next answers: 503, or "throttle-200"
        self.calls: list[str] = []  # methods asked, batch commands included
        # Deals a list counts in its total but leaves off its pages, as when one is deleted
        # while the pages are read.
        self.hidden: set[int] = set()
        # Deals the webhook's user may not read (another department's): lists leave them
        # out, total included; crm.deal.get answers "Access denied".
        self.unreadable: set[int] = set()
        self.requests = 0
        self.throttled = 0
        self._level = 0.0
        self._at = time.monotonic()
        self._lock = threading.Lock()
        self._listed: tuple[str, list[dict[str, Any]]] = ("", [])
        self.add_stages(0, STANDARD_STAGES)

    # --- building the portal ---------------------------------------------------------------

    def add_stages(self, category: int, stages: list[tuple[str, str, str | None]]) -> None:
        entity = "DEAL_STAGE" if category == 0 else f"DEAL_STAGE_{category}"
        prefix = "" if category == 0 else f"C{category}:"
        rows = []
        for sort, (status_id, name, semantics) in enumerate(stages, start=1):
            extra = {"S": "success", "F": "failure"}.get(semantics or "", "process")
            rows.append({
                "ID": str(len(self.statuses) * 100 + sort), "ENTITY_ID": entity,
                "STATUS_ID": prefix + status_id, "NAME": name, "NAME_INIT": name,
                "SORT": str(sort * 10), "SYSTEM": "Y" if status_id in SYSTEM else "N",
                "CATEGORY_ID": None if category == 0 else str(category), "COLOR": "#39A8EF",
                "SEMANTICS": semantics, "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"},
            })  # fmt: skip
        self.statuses[entity] = rows

    def add_pipeline(self, category: int, name: str, stages: list[tuple[str, str, str | None]]):
        self.categories[category] = name
        self.add_stages(category, stages)

    def rename_stage(self, status_id: str, name: str) -> None:
        for rows in self.statuses.values():
            for row in rows:
                if row["STATUS_ID"] == status_id:
                    row["NAME"] = name

    def add_user(self, uid: int, name: str, last: str, email: str = "") -> None:
        self.users[uid] = {
            "ID": str(uid), "ACTIVE": True, "NAME": name, "LAST_NAME": last, "SECOND_NAME": "",
            "EMAIL": email, "WORK_POSITION": "Менеджер",
        }  # fmt: skip

    def add_company(self, cid: int, title: str) -> None:
        self.companies[cid] = {"ID": str(cid), "TITLE": title}

    def add_contact(self, cid: int, name: str, last: str) -> None:
        self.contacts[cid] = {"ID": str(cid), "NAME": name, "LAST_NAME": last, "SECOND_NAME": None}

    def changed(self) -> None:
        self._listed = ("", [])

    def put_deal(
        self, did: int, *, user: int, stage: str, amount: str = "0.00", moved: str,
        modified: str | None = None, company: int = 0, contact: int = 0, currency: str = "RUB",
        title: str = "", repeat: bool = False, created: str = "2026-02-01T10:00:00+03:00",
    ) -> None:  # fmt: skip
        category = stage.partition(":")[0][1:] if ":" in stage else "0"
        entity = "DEAL_STAGE" if category == "0" else f"DEAL_STAGE_{category}"
        semantic = next(
            (r["SEMANTICS"] for r in self.statuses.get(entity, []) if r["STATUS_ID"] == stage), None
        )
        self.changed()
        self.deals[did] = {
            "ID": str(did), "TITLE": title or f"Сделка #{did}", "TYPE_ID": "SALE",
            "STAGE_ID": stage, "CATEGORY_ID": category, "STAGE_SEMANTIC_ID": semantic or "P",
            "IS_NEW": "N", "IS_RECURRING": "N", "IS_RETURN_CUSTOMER": "Y" if repeat else "N",
            "IS_REPEATED_APPROACH": "N", "PROBABILITY": None, "CURRENCY_ID": currency,
            "OPPORTUNITY": amount, "IS_MANUAL_OPPORTUNITY": "N", "TAX_VALUE": "0.00",
            "COMPANY_ID": str(company), "CONTACT_ID": str(contact) if contact else None,
            "BEGINDATE": "2026-02-01T03:00:00+03:00", "CLOSEDATE": "2026-02-08T03:00:00+03:00",
            "OPENED": "Y", "CLOSED": "Y" if semantic in ("S", "F") else "N",
            "ASSIGNED_BY_ID": str(user), "CREATED_BY_ID": "1", "MODIFY_BY_ID": "1",
            "DATE_CREATE": created, "DATE_MODIFY": modified or moved, "MOVED_BY_ID": "1",
            "MOVED_TIME": moved, "SOURCE_ID": "CALL", "ORIGINATOR_ID": None,
        }  # fmt: skip

    # --- answering --------------------------------------------------------------------------

    def limited(self) -> bool:
        if self.rate is None:
            return False
        with self._lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._at) * self.rate)
            self._at = now
            if self._level + 1 > self.burst:
                self.throttled += 1
                return True
            self._level += 1
            return False

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests += 1
        if self.revoked:
            return 401, {
                "error": "INVALID_CREDENTIALS",
                "error_description": "Invalid request credentials",
            }
        if self.fail:
            what = self.fail.pop(0)
            if what == 503:
                return 503, {
                    "error": "QUERY_LIMIT_EXCEEDED",
                    "error_description": "Too many requests",
                }
            if what == "throttle-200":
                return 200, {
                    "error": "QUERY_LIMIT_EXCEEDED",
                    "error_description": "Too many requests",
                }
        if self.limited():
            return 503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
        if method == "batch":
            return 200, self.batch(params)
        status, body = self.method(method, params)
        return status, body | {"time": {"start": time.time(), "duration": 0.01}}

    def batch(self, params: dict[str, Any]) -> dict[str, Any]:
        cmd = params.get("cmd") or {}
        if len(cmd) > 50:
            return {
                "error": "ERROR_BATCH_LENGTH_EXCEEDED",
                "error_description": "Max batch length exceeded",
            }
        result, errors, totals, nexts = {}, {}, {}, {}
        for name, line in cmd.items():
            method, _, query = line.partition("?")
            status, body = self.method(method, parse_php(query))
            if "error" in body:
                errors[name] = body
                continue
            result[name] = body["result"]
            if "total" in body:
                totals[name] = body["total"]
            if "next" in body:
                nexts[name] = body["next"]
        # PHP's json_encode writes an empty array as [], a filled one as an object.
        return {"result": {"result": result or [], "result_error": errors or [],
                           "result_total": totals or [], "result_next": nexts or [],
                           "result_time": []}, "time": {"start": time.time()}}  # fmt: skip

    def method(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.calls.append(method)
        tables = {"crm.deal.list": self.deals, "crm.company.list": self.companies,
                  "crm.contact.list": self.contacts}  # fmt: skip
        if method in tables:
            if not self._has("crm"):
                return 401, {"error": "insufficient_scope", "error_description": "crm"}
            rows = list(tables[method].values())
            if method == "crm.deal.list" and self.unreadable:
                rows = [r for r in rows if int(r["ID"]) not in self.unreadable]
            return 200, self.listing(rows, params)
        if method == "crm.deal.get":
            deal_id = str(params.get("id") or params.get("ID") or "")
            if not deal_id.isdigit() or int(deal_id) <= 0:
                return 400, {"error": "", "error_description": "ID is not defined or invalid."}
            if int(deal_id) not in self.deals:
                return 400, {"error": "", "error_description": "Not found"}
            if int(deal_id) in self.unreadable:
                return 400, {"error": "", "error_description": "Access denied."}
            return 200, {"result": self.deals[int(deal_id)]}
        if method == "user.get":
            if not self._has("user"):
                return 401, {"error": "insufficient_scope", "error_description": "user"}
            return 200, self.listing(list(self.users.values()), params)
        if method == "crm.category.list":
            rows = [{"id": 0, "name": "Общая", "sort": 0, "entityTypeId": 2, "isDefault": "Y"}]
            rows += [{"id": c, "name": n, "sort": 100, "entityTypeId": 2, "isDefault": "N"}
                     for c, n in sorted(self.categories.items())]  # fmt: skip
            return 200, {"result": {"categories": rows}, "total": len(rows)}
        if method == "crm.status.list":
            entity = (params.get("filter") or {}).get("ENTITY_ID", "")
            rows = self.statuses.get(entity, []) if entity else sum(self.statuses.values(), [])
            return 200, {"result": rows, "total": len(rows)}
        if method == "scope":
            return 200, {"result": self.scopes}
        return 404, {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}

    def _has(self, scope: str) -> bool:
        return scope in self.scopes

    def listing(self, rows: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        flt = params.get("filter") or params.get("FILTER") or {}
        order = params.get("order") or {"ID": "ASC"}
        # The pages of one listing share its filtering (20,000 deals a page, in the bench).
        key = json.dumps([len(rows), id(rows[0]) if rows else 0, flt, order], sort_keys=True)
        if self._listed[0] != key:
            rows = [r for r in rows if _matches(r, flt)]
            if "ID" in order:
                rows.sort(key=lambda r: int(r["ID"]), reverse=str(order["ID"]).upper() == "DESC")
            self._listed = (key, rows)
        rows = self._listed[1]
        start = int(params.get("start") or 0)
        page = [r for r in rows[start : start + PAGE] if int(r["ID"]) not in self.hidden]
        select = params.get("select")
        if select and "*" not in select:
            page = [{k: r.get(k) for k in ["ID", *select]} for r in page]
        body: dict[str, Any] = {"result": page, "total": len(rows)}
        if start + PAGE < len(rows):
            body["next"] = start + PAGE
        return body


class Handler(BaseHTTPRequestHandler):
    portal: Portal

    def do_GET(self) -> None:  # noqa: N802
        self._serve(urllib.parse.urlsplit(self.path).query.encode())

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length), self.headers.get("Content-Type", ""))

    def _serve(self, raw: bytes, content_type: str = "") -> None:
        portal = self.server.portal  # type: ignore[attr-defined]
        if portal.latency:
            time.sleep(portal.latency)
        path = urllib.parse.urlsplit(self.path).path
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "rest" or parts[2] != CODE:
            status, body = (
                401,
                {
                    "error": "INVALID_CREDENTIALS",
                    "error_description": "Invalid request credentials",
                },
            )
        else:
            method = parts[3].removesuffix(".json")
            if "json" in content_type:
                params = json.loads(raw or b"{}")
            else:
                params = parse_php(raw.decode())
            status, body = portal.answer(method, params)
        data = json.dumps(body).encode()  # ensure_ascii: Cyrillic as \\uXXXX, as PHP writes it
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class Server:
    """`with Server() as server:` a portal at `server.url` (the webhook address)."""

    def __init__(self, portal: Portal | None = None) -> None:
        self.portal = portal or Portal()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.portal = self.portal  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/rest/1/{CODE}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
