"""A local amoCRM: API v4 as documented, served on 127.0.0.1 for the connector's tests.

Bearer token or 401 with amoCRM's JSON problem body; `/api/v4/leads` with
`filter[updated_at][from]`, `filter[id][]`, `with=contacts`, `limit` (capped), `page`,
`order[updated_at]`, `_links.next`, 204 for an empty page; `/api/v4/events` (the
`lead_deleted` and `lead_restored` events `delete` and a lead put back log, filtered by
type and `created_at`, 100 a page); pipelines with their statuses
(142 and 143 in each, named as the account named them); users, companies, contacts,
account. JSON as amoCRM writes it: Cyrillic `\\u`-escaped. Rate-limit answers (429,
with or without Retry-After) are queued by a test in `throttle`.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BASE_TIME = 1772000000  # 25.02.2026 06:13:20 UTC


@dataclass
class FakeAmo:
    token: str = "long-lived-token"
    page_size: int = 250  # amoCRM's cap; a test lowers it to see paging with a few leads
    leads: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)
    companies: dict[int, str] = field(default_factory=dict)
    contacts: dict[int, str] = field(default_factory=dict)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    throttle: list[str | None] = field(default_factory=list)  # Retry-After of the next 429s
    # What happens in the account once a page of leads is served: {page: change}.
    meanwhile: dict[int, Any] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    now: int = BASE_TIME
    # The account's event log: what `/api/v4/events` lists (deletions and restores here).
    events: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.deleted: set[int] = set()  # leads in the bin (a restore is logged)
        self.url = ""
        if not self.pipelines:
            self.pipelines = [
                pipeline(3001, "Основная", [(40001, "Первичный контакт"),
                         (40002, "Переговоры"), (142, "Оплачено"), (143, "Отказ клиента")]),
                pipeline(3002, "Тендеры", [(40011, "Заявка подана"),
                         (142, "Контракт подписан"), (143, "Закрыто и не реализовано")]),
            ]  # fmt: skip

    # -- a test's hands on the account --

    def lead(self, lead_id: int, *, user: int, status: int = 40001, pipeline: int = 3001,
             price: int | None = 0, closed: int | None = None, company: int | None = None,
             contact: int | None = None, name: str = "",
             at: int | None = None) -> dict[str, Any]:  # fmt: skip
        """Add or change a lead; it becomes the latest updated, as in amoCRM (`at`: saved
        within that second instead, as a second save in the same second is)."""
        if at is None:
            self.now += 1
        if lead_id in self.deleted:  # taken back from the bin
            self.deleted.discard(lead_id)
            self.event("lead_restored", lead_id, at=at or self.now)
        old = self.leads.get(lead_id, {})
        lead = {
            "id": lead_id, "name": name or f"Сделка #{lead_id}", "price": price,
            "responsible_user_id": user, "group_id": 0, "status_id": status,
            "pipeline_id": pipeline, "loss_reason_id": None, "created_by": user,
            "updated_by": user, "created_at": old.get("created_at", self.now),
            "updated_at": at or self.now, "closed_at": closed, "closest_task_at": None,
            "is_deleted": False, "custom_fields_values": None, "score": None,
            "account_id": 29000000, "labor_cost": None,
            "_embedded": {
                "tags": [],
                "companies": [{"id": company, "_links": {"self": {"href": f"/c/{company}"}}}]
                if company else [],
                "contacts": [{"id": contact, "is_main": True}] if contact else [],
            },
        }  # fmt: skip
        self.leads[lead_id] = lead
        return lead

    def delete(self, lead_id: int) -> None:
        """Move a lead to the bin: gone from `/leads`, a `lead_deleted` event logged."""
        if self.leads.pop(lead_id, None) is not None:
            self.deleted.add(lead_id)
            self.event("lead_deleted", lead_id)

    def event(self, kind: str, lead_id: int, at: int | None = None) -> None:
        if at is None:
            self.now += 1
        self.events.append({
            "id": f"01jx{len(self.events):022d}", "type": kind, "entity_id": lead_id,
            "entity_type": "lead", "created_by": 0, "created_at": at or self.now,
            "value_after": [], "value_before": [], "account_id": 29000000,
            "_links": {"self": {"href": f"{self.url}/api/v4/events/{len(self.events)}"}},
        })  # fmt: skip

    def calls(self, path: str) -> list[dict[str, list[str]]]:
        return [q for p, q in self.requests if p == path]

    # -- the server --

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
                with fake.lock:
                    fake.requests.append((parts.path, query))
                    status, body, headers = fake.answer(
                        parts.path, query, self.headers.get("Authorization", "")
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if body is not None:
                    raw = json.dumps(body).encode()  # ensure_ascii: \\u-escaped, as amoCRM
                    self.send_header("Content-Type", "application/hal+json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                else:
                    self.send_header("Content-Length", "0")
                    self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def answer(
        self, path: str, query: dict[str, list[str]], auth: str
    ) -> tuple[int, Any, dict[str, str]]:
        if auth != f"Bearer {self.token}":
            return 401, {
                "title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401,
                "detail": "Токен доступа отозван или неверен",
            }, {}  # fmt: skip
        if self.throttle:
            after = self.throttle.pop(0)
            return 429, None, {"Retry-After": after} if after is not None else {}
        routes = {
            "/api/v4/leads": self._leads,
            "/api/v4/leads/pipelines": self._pipelines,
            "/api/v4/events": self._events,
            "/api/v4/users": self._users,
            "/api/v4/companies": lambda q: self._named(q, "companies", self.companies),
            "/api/v4/contacts": lambda q: self._named(q, "contacts", self.contacts),
            "/api/v4/account": lambda q: (200, {
                "id": 29000000, "name": "ООО «Ромашка»", "subdomain": "romashka",
                "currency": "RUB", "currency_symbol": "₽",
            }),
        }  # fmt: skip
        route = routes.get(path)
        if route is None:
            return 404, {"title": "Not Found", "status": 404}, {}
        status, body = route(query)
        return status, body, {}

    def _page(self, path: str, query: dict[str, list[str]], items: list[Any], name: str):
        limit = min(int(query.get("limit", ["50"])[0]), self.page_size)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * limit : page * limit]
        if not chunk:
            return 204, None
        link = dict(query, page=[str(page)])
        body: dict[str, Any] = {
            "_page": page,
            "_links": {"self": {"href": self._href(path, link)}},
            "_embedded": {name: chunk},
        }
        if page * limit < len(items):
            body["_links"]["next"] = {"href": self._href(path, dict(query, page=[str(page + 1)]))}
        return 200, body

    def _href(self, path: str, query: dict[str, list[str]]) -> str:
        return f"{self.url}{path}?{urllib.parse.urlencode(query, doseq=True)}"

    def _leads(self, query: dict[str, list[str]]):
        answer = self._leads_page(query)
        change = self.meanwhile.pop(int(query.get("page", ["1"])[0]), None)
        if change is not None:
            change()
        return answer

    def _leads_page(self, query: dict[str, list[str]]):
        leads = list(self.leads.values())
        if "filter[updated_at][from]" in query:
            since = int(query["filter[updated_at][from]"][0])
            leads = [x for x in leads if x["updated_at"] >= since]
        ids = query.get("filter[id][]") or query.get("filter[id]")
        if ids:
            wanted = {int(i) for i in ids}
            leads = [x for x in leads if x["id"] in wanted]
        newest = query.get("order[updated_at]") == ["desc"]
        leads.sort(key=lambda x: (x["updated_at"], x["id"]), reverse=newest)
        if "contacts" in ",".join(query.get("with", [])).split(","):
            return self._page("/api/v4/leads", query, leads, "leads")

        def shown(lead):
            return {**lead, "_embedded": {k: v for k, v in lead["_embedded"].items()
                                          if k != "contacts"}}  # fmt: skip

        return self._page("/api/v4/leads", query, [shown(x) for x in leads], "leads")

    def _events(self, query: dict[str, list[str]]):
        """`filter[type]` (comma separated or `filter[type][]`), `filter[created_at][from]`,
        `filter[entity][]`; newest first, 100 a page at most."""
        events = list(self.events)
        types = query.get("filter[type][]") or ",".join(query.get("filter[type]", [])).split(",")
        if any(types):
            events = [e for e in events if e["type"] in types]
        if "filter[created_at][from]" in query:
            since = int(query["filter[created_at][from]"][0])
            events = [e for e in events if e["created_at"] >= since]
        if "filter[entity][]" in query:
            events = [e for e in events if e["entity_type"] in query["filter[entity][]"]]
        events.sort(key=lambda e: (e["created_at"], e["id"]), reverse=True)
        query = dict(query, limit=[str(min(int(query.get("limit", ["50"])[0]), 100))])
        return self._page("/api/v4/events", query, events, "events")

    def _pipelines(self, query: dict[str, list[str]]):
        return 200, {
            "_total_items": len(self.pipelines),
            "_links": {"self": {"href": f"{self.url}/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": self.pipelines},
        }

    def _users(self, query: dict[str, list[str]]):
        return self._page("/api/v4/users", query, self.users, "users")

    def _named(self, query: dict[str, list[str]], entity: str, names: dict[int, str]):
        wanted = {int(i) for i in query.get("filter[id][]", [])}
        items = [{"id": i, "name": n} for i, n in names.items() if not wanted or i in wanted]
        return self._page(f"/api/v4/{entity}", query, items, entity)


def pipeline(pipeline_id: int, name: str, statuses: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "id": pipeline_id, "name": name, "sort": 1, "is_main": pipeline_id == 3001,
        "is_unsorted_on": True, "is_archive": False, "account_id": 29000000,
        "_links": {"self": {"href": f"/api/v4/leads/pipelines/{pipeline_id}"}},
        "_embedded": {"statuses": [
            {"id": s, "name": n, "sort": 10 * i, "is_editable": s not in (142, 143),
             "pipeline_id": pipeline_id, "color": "#99ccff", "type": 0, "account_id": 29000000}
            for i, (s, n) in enumerate(statuses)
        ]},
    }  # fmt: skip


def user(user_id: int, name: str, email: str) -> dict[str, Any]:
    return {"id": user_id, "name": name, "email": email, "lang": "ru",
            "rights": {"leads": {"view": "A"}, "is_admin": False, "is_active": True}}  # fmt: skip
