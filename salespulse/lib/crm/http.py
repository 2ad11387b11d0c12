"""Talking to a CRM's HTTP API: one polite JSON client for every connector.

Polite means what the CRMs ask of an integration: no more than `per_second` requests
(Bitrix24 allows about 2 a second per portal, amoCRM 7), and on "too many requests"
(HTTP 429 or 503, or an error the connector recognises in the body) wait and retry
rather than fail the sync. Credentials refused (401, 403) are `AccessDenied`: retrying
will not help, a person must. Plain Python (urllib), so tests run it against a local
server speaking the CRM's API.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

RETRY_STATUSES = (429, 502, 503, 504)
USER_AGENT = "salespulse"


class CrmError(Exception):
    """The CRM could not be read; `message` is a msgid, `params` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


class AccessDenied(CrmError):
    """401/403: the token or webhook is wrong, revoked or lacks a scope."""


class Unreachable(CrmError):
    """The CRM did not answer, or answered nonsense, after the retries."""


class Throttled(Exception):
    """Raised by a connector's `check` when a 200 answer says "slow down" (Bitrix24's
    QUERY_LIMIT_EXCEEDED): the client waits and retries as for a 429."""


Check = Callable[[Any], None]


class JsonClient:
    def __init__(
        self,
        base: str,
        *,
        headers: Mapping[str, str] | None = None,
        per_second: float = 2.0,
        retries: int = 5,
        backoff: float = 1.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        check: Check | None = None,
    ) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.check = check
        self.requests = 0  # made, retries included: what a bench or a test counts
        self.waited = 0.0  # seconds slept for the rate limit and retries
        self._last = 0.0

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        url = self.url(path)
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params, doseq=True)
        return self._send(url, None)

    def post(self, path: str, data: Any) -> Any:
        """POST `data` as JSON."""
        return self._send(self.url(path), json.dumps(data).encode())

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base + path.lstrip("/")

    def _pace(self) -> None:
        if self.interval:
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                self._wait(wait)
        self._last = time.monotonic()

    def _wait(self, seconds: float) -> None:
        self.waited += seconds
        self.sleep(seconds)

    def _send(self, url: str, body: bytes | None) -> Any:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            self._pace()
            self.requests += 1
            request = urllib.request.Request(url, data=body, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    status = response.status
            except urllib.error.HTTPError as e:
                status, raw = e.code, e.read()
                if status in (401, 403):
                    raise AccessDenied(
                        "The CRM refused access (HTTP %(status)s): %(reason)s",
                        status=status, reason=_reason(raw),
                    ) from None  # fmt: skip
                if status in RETRY_STATUSES and not last:
                    self._wait(_retry_after(e.headers.get("Retry-After"), self.backoff, attempt))
                    continue
                if status == 204:
                    return None
                if status not in (400, 404):
                    raise Unreachable(
                        "The CRM answered HTTP %(status)s: %(reason)s",
                        status=status, reason=_reason(raw),
                    ) from None  # fmt: skip
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                if not last:
                    self._wait(self.backoff * 2**attempt)
                    continue
                reason = getattr(e, "reason", e)
                raise Unreachable("Cannot reach the CRM: %(reason)s", reason=str(reason)) from None
            if status == 204 or not raw.strip():
                return None
            try:
                data = json.loads(raw)
            except ValueError:
                raise Unreachable(
                    "The CRM answered something that is not JSON: %(start)s",
                    start=raw[:80].decode("utf-8", "replace"),
                ) from None
            if self.check is not None:
                try:
                    self.check(data)
                except Throttled:
                    if last:
                        raise Unreachable("The CRM kept asking to slow down.") from None
                    self._wait(self.backoff * 2**attempt)
                    continue
            return data
        raise Unreachable("The CRM kept asking to slow down.")  # pragma: no cover


def _retry_after(header: str | None, backoff: float, attempt: int) -> float:
    try:
        return min(max(float(header or ""), 0.0), 60.0)
    except ValueError:
        return backoff * 2**attempt


def _reason(raw: bytes) -> str:
    """The error a CRM put in its answer, short."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200] or "—"
    if isinstance(data, dict):
        for key in ("error_description", "detail", "title", "error", "message"):
            if isinstance(data.get(key), str) and data[key]:
                return data[key][:200]
    return text[:200]


_SECRET_PATH = re.compile(r"(/rest/\d+/)[^/]+")


def safe_url(url: str) -> str:
    """A CRM address fit for a page: a Bitrix24 webhook's secret code and any password
    or query string left out."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ""
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    path = _SECRET_PATH.sub(r"\1•••", parts.path)
    return urllib.parse.urlunsplit((parts.scheme, host, path, "", ""))
