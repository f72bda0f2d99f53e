"""A small Hudu in a thread: the REST API under ``/api/v1`` on a real HTTP server.

Answers as Hudu does where the plugin relies on it: the ``x-api-key`` header (401 with
``{"error": ...}`` when wrong), lists as ``{"<resource>": [...]}`` pages (``page``,
``page_size`` capped at :attr:`FakeHudu.max_page_size`, ``archived`` filtering with archived
items left out by default), single records as ``{"company": {...}}``, 404 for what is not
there, ``DELETE`` answering 204. Every request is counted; :meth:`FakeHudu.fail_next` scripts
a status (with headers, e.g. ``Retry-After``) or a delay.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESOURCES = ("companies", "assets", "asset_passwords", "articles", "asset_layouts")


@dataclass
class Failure:
    remaining: int
    status: int | None = None
    delay: float = 0.0
    match: str | None = None  # a substring of "METHOD /path"
    headers: dict[str, str] = field(default_factory=dict)


class FakeHudu:
    def __init__(self, *, api_key: str = "hudu-test-key", max_page_size: int = 25) -> None:
        self.api_key = api_key
        self.max_page_size = max_page_size
        self.data: dict[str, dict[int, dict[str, Any]]] = {r: {} for r in RESOURCES}
        self.requests: list[str] = []
        self.failures: list[Failure] = []
        self.ignore_deletes = False  # answer 204 but keep the record (a broken server)
        self.ignore_company_filter = False  # list everyone's items (a broken server)
        self.ignore_page = False  # answer every page with the first (an older server)
        self.lock = threading.RLock()
        self._next = 1000
        self.url = ""

    def add(self, resource: str, **values: Any) -> int:
        with self.lock:
            self._next += 1
            rid = values.pop("id", self._next)
            self.data[resource][rid] = {"id": rid, "archived": False, **values}
            return rid

    def fail_next(
        self,
        times: int,
        *,
        status: int | None = None,
        delay: float = 0.0,
        match: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.failures.append(Failure(times, status, delay, match, dict(headers or {})))

    def count(self, text: str) -> int:
        return sum(1 for r in self.requests if text in r)

    def take_failure(self, call: str) -> Failure | None:
        with self.lock:
            self.requests.append(call)
            for failure in self.failures:
                if failure.remaining > 0 and (failure.match is None or failure.match in call):
                    failure.remaining -= 1
                    return failure
        return None

    # -- the API ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = path.removeprefix("/api/v1/").strip("/").split("/")
        with self.lock:
            if method == "GET" and len(parts) == 1 and parts[0] in RESOURCES:
                return 200, {parts[0]: self._page(parts[0], query, {})}
            if method == "GET" and len(parts) == 2 and parts[0] in RESOURCES:
                row = self.data[parts[0]].get(int(parts[1]))
                if row is None:
                    return 404, {"error": "Record not found"}
                return 200, {_single(parts[0]): row}
            if len(parts) == 3 and parts[0] == "companies" and parts[2] == "assets":
                if int(parts[1]) not in self.data["companies"]:
                    return 404, {"error": "Record not found"}
                scope = {"company_id": int(parts[1])}
                return 200, {"assets": self._page("assets", query, scope)}
            if method == "DELETE":
                resource, rid = parts[0], int(parts[-1])
                if len(parts) == 4 and parts[2] == "assets":
                    resource = "assets"
                if rid not in self.data[resource]:
                    return 404, {"error": "Record not found"}
                if not self.ignore_deletes:
                    del self.data[resource][rid]
                    if resource == "companies":
                        for other in ("assets", "asset_passwords", "articles"):
                            for key in [
                                k for k, v in self.data[other].items() if v.get("company_id") == rid
                            ]:
                                del self.data[other][key]
                return 204, None
        return 404, {"error": "Not found"}

    def _page(self, resource: str, query: dict[str, str], scope: dict[str, Any]) -> list[Any]:
        rows = sorted(self.data[resource].values(), key=lambda r: r["id"])
        filters = dict(scope)
        for key in ("company_id", "id_number", "asset_layout_id", "name"):
            if key in query and not (key == "company_id" and self.ignore_company_filter):
                filters[key] = query[key]
        for key, value in filters.items():
            rows = [r for r in rows if str(r.get(key)) == str(value)]
        if resource != "asset_layouts":
            wanted = query.get("archived", "false") == "true"
            rows = [r for r in rows if bool(r.get("archived")) == wanted]
        size = min(int(query.get("page_size", 25)), self.max_page_size)
        page = 1 if self.ignore_page else int(query.get("page", 1))
        return rows[(page - 1) * size : page * size]

    @contextmanager
    def serve(self) -> Iterator[FakeHudu]:
        fake = self

        class Handler(_Handler):
            hudu = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


def _single(resource: str) -> str:
    return {"companies": "company"}.get(resource, resource.removesuffix("s"))


class _Handler(BaseHTTPRequestHandler):
    hudu: FakeHudu
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        call = f"{method} {parts.path}" + (f"?{parts.query}" if parts.query else "")
        failure = self.hudu.take_failure(call)
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.status is not None:
                self._reply(failure.status, {"error": "scripted"}, failure.headers)
                return
        if self.headers.get("x-api-key") != self.hudu.api_key:
            self._reply(401, {"error": "Invalid API key"})
            return
        if not re.match(r"^/api/v1/", parts.path):
            self._reply(404, {"error": "Not found"})
            return
        status, payload = self.hudu.handle(method, parts.path, query)
        self._reply(status, payload)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._serve("GET")

    def do_DELETE(self) -> None:  # noqa: N802 - stdlib name
        self._serve("DELETE")
