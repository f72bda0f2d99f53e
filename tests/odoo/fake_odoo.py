"""A small Odoo in a thread: JSON-2 and XML-RPC over a real HTTP server on 127.0.0.1.

It answers as Odoo does where the plugin relies on it:

- JSON-2 ``POST /json/2/<model>/<method>``: bearer key, 200 with the JSON result, errors as
  4xx/5xx with Odoo's error object (``name``, ``message``, ``arguments``, ``context``,
  ``debug``): 401 for a bad key, 422 for a ``UserError``/``ValidationError``, 404 for a
  ``MissingError``, 403 for an ``AccessError``.
- XML-RPC ``/xmlrpc/2/common`` (``version``, ``authenticate``) and ``/xmlrpc/2/object``
  (``execute_kw``): faults with Odoo's codes (2 user error, 3 access denied, 4 access error,
  1 anything else), always HTTP 200.
- The ORM bits used: ``search_read`` with prefix-notation domains (``|``, ``&``, ``!``; ``=``,
  ``!=``, ``in``, ``ilike`` with Odoo's unescaped ``%``/``_`` wildcards, ``=ilike``),
  ``active_test``, offset/limit; ``fields_get``;
  ``write``; ``create``; ``unlink`` with Odoo's refusals (a partner used in accounting or by
  a sale order, a confirmed order); private methods refused.

Every request is counted in :attr:`FakeOdoo.requests`; :meth:`FakeOdoo.fail_next` scripts
failures (a status, or a delay longer than the client's timeout).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCHEMA: dict[str, dict[str, str]] = {
    "res.partner": {
        "id": "integer",
        "name": "char",
        "type": "selection",
        "is_company": "boolean",
        "parent_id": "many2one:res.partner",
        "email": "char",
        "phone": "char",
        "mobile": "char",
        "street": "char",
        "street2": "char",
        "zip": "char",
        "city": "char",
        "country_id": "many2one:res.country",
        "state_id": "many2one:res.country.state",
        "title": "many2one:res.partner.title",
        "ref": "char",
        "create_date": "datetime",
        "write_date": "datetime",
        "image_1920": "binary",
        "vat": "char",
        "lang": "selection",
        "function": "char",
        "website": "char",
        "comment": "html",
        "active": "boolean",
        "x_dsr_restricted": "boolean",
    },
    "res.country": {"id": "integer", "name": "char"},
    "res.country.state": {"id": "integer", "name": "char"},
    "res.partner.title": {"id": "integer", "name": "char"},
    "sale.order": {
        "id": "integer",
        "name": "char",
        "state": "selection",
        "date_order": "datetime",
        "partner_id": "many2one:res.partner",
        "partner_invoice_id": "many2one:res.partner",
        "partner_shipping_id": "many2one:res.partner",
        "client_order_ref": "char",
        "validity_date": "date",
        "currency_id": "many2one:res.currency",
        "amount_untaxed": "monetary",
        "amount_tax": "monetary",
        "amount_total": "monetary",
        "invoice_ids": "many2many:account.move",
    },
    "account.move": {
        "id": "integer",
        "name": "char",
        "move_type": "selection",
        "state": "selection",
        "invoice_date": "date",
        "date": "date",
        "partner_id": "many2one:res.partner",
        "invoice_date_due": "date",
        "ref": "char",
        "invoice_origin": "char",
        "currency_id": "many2one:res.currency",
        "amount_untaxed": "monetary",
        "amount_tax": "monetary",
        "amount_total": "monetary",
        "payment_state": "selection",
    },
    "res.currency": {"id": "integer", "name": "char"},
    "mail.blacklist": {"id": "integer", "email": "char", "active": "boolean"},
    "phone.blacklist": {"id": "integer", "number": "char", "active": "boolean"},
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "res.partner": {"active": True, "type": "contact", "is_company": False},
    "mail.blacklist": {"active": True},
    "phone.blacklist": {"active": True},
}


#: How XML-RPC positional arguments bind, as in Odoo's method signatures.
MODEL_METHODS: dict[str, tuple[str, ...]] = {
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search_count": ("domain",),
    "fields_get": ("allfields", "attributes"),
    "create": ("vals_list",),
}
RECORD_METHODS: dict[str, tuple[str, ...]] = {"write": ("vals",), "read": ("fields",)}


class OdooException(Exception):
    """An exception as Odoo raises it; ``name`` is the fully qualified class name."""

    def __init__(self, name: str, message: str, status: int, fault: int) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status
        self.fault = fault


def user_error(message: str) -> OdooException:
    return OdooException("odoo.exceptions.UserError", message, 422, 2)


def validation_error(message: str) -> OdooException:
    return OdooException("odoo.exceptions.ValidationError", message, 422, 2)


def missing_error(model: str, ids: list[int]) -> OdooException:
    text = f"Record does not exist or has been deleted.\n(Record: {model}({ids}), User: 2)"
    return OdooException("odoo.exceptions.MissingError", text, 404, 2)


def access_error(message: str) -> OdooException:
    return OdooException("odoo.exceptions.AccessError", message, 403, 4)


@dataclass
class Failure:
    """A scripted failure for the next ``remaining`` requests matching ``call``."""

    remaining: int
    status: int | None = None
    delay: float = 0.0
    call: str | None = None  # "model.method", "common.version"... or None for any
    headers: dict[str, str] = field(default_factory=dict)


class FakeOdoo:
    """The data and behaviour; :meth:`serve` runs it on a free port."""

    def __init__(
        self,
        *,
        api_key: str = "odoo-test-key",
        database: str = "voxtra",
        username: str = "dsr-bot",
        version: int = 19,
        with_mobile: bool = True,
    ) -> None:
        self.api_key = api_key
        self.database = database
        self.username = username
        self.version = version
        self.schema = {model: dict(fields) for model, fields in SCHEMA.items()}
        if not with_mobile:  # Odoo 18 dropped res.partner.mobile
            self.schema["res.partner"].pop("mobile")
        self.records: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in self.schema}
        self.requests: list[str] = []
        self.failures: list[Failure] = []
        self.refuse_vat_change = False
        self.refused_methods: set[str] = set()  # answered as a method Odoo does not expose
        self.lock = threading.RLock()
        self._next_id = 100
        self.url = ""

    # -- data -------------------------------------------------------------------------------
    def add(self, model: str, **values: Any) -> int:
        with self.lock:
            self._next_id += 1
            rid = values.pop("id", self._next_id)
            row = {"id": rid, **DEFAULTS.get(model, {}), **values}
            self.records[model][rid] = row
            return rid

    def get(self, model: str, rid: int) -> dict[str, Any] | None:
        return self.records[model].get(rid)

    def fail_next(
        self,
        times: int,
        *,
        status: int | None = None,
        delay: float = 0.0,
        call: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.failures.append(Failure(times, status, delay, call, dict(headers or {})))

    def count(self, call: str) -> int:
        return sum(1 for c in self.requests if c == call)

    # -- the ORM ----------------------------------------------------------------------------
    def execute(
        self, model: str, method: str, ids: list[int] | None, kwargs: dict[str, Any]
    ) -> Any:
        if method.startswith("_"):
            raise access_error(
                f"Private methods (such as '{model}.{method}') cannot be called remotely."
            )
        if model not in self.schema:
            raise OdooException("builtins.KeyError", f"Object {model} doesn't exist", 404, 1)
        context = kwargs.pop("context", None) or {}
        handler = getattr(self, f"_m_{method}", None)
        if handler is None or method in self.refused_methods:
            raise OdooException(
                "builtins.AttributeError", f"The method '{model}.{method}' does not exist", 404, 1
            )
        with self.lock:
            return handler(model, ids or [], context, **kwargs)

    def _m_fields_get(self, model: str, _ids: list[int], _ctx: dict[str, Any], **kw: Any) -> Any:
        return {name: {"type": t.split(":")[0]} for name, t in self.schema[model].items()}

    def _m_search_read(
        self,
        model: str,
        _ids: list[int],
        ctx: dict[str, Any],
        domain: list[Any] | None = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> Any:
        schema = self.schema[model]
        for name in fields or []:
            if name not in schema:
                raise OdooException(
                    "builtins.ValueError", f"Invalid field {name!r} on model {model!r}", 500, 1
                )
        rows = [r for r in self.records[model].values() if _matches(domain or [], r)]
        if ctx.get("active_test", True) and "active" in schema:
            if not any(isinstance(t, list) and t[0] == "active" for t in domain or []):
                rows = [r for r in rows if r.get("active", True)]
        rows.sort(key=lambda r: r["id"])
        rows = rows[offset : offset + limit if limit else None]
        names = fields or list(schema)
        return [self._read(model, row, names) for row in rows]

    def _read(self, model: str, row: dict[str, Any], names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": row["id"]}
        for name in names:
            kind = self.schema[model][name]
            value = row.get(name, False)
            if kind.startswith("many2one:") and value:
                target = self.records[kind.split(":")[1]].get(value, {})
                value = [value, target.get("name", "")]
            elif kind.startswith("many2many:"):
                value = list(value or [])
            out[name] = False if value is None else value
        return out

    def _m_write(
        self, model: str, ids: list[int], _ctx: dict[str, Any], vals: dict[str, Any]
    ) -> Any:
        rows = self._browse(model, ids)
        for name in vals:
            if name not in self.schema[model]:
                raise OdooException(
                    "builtins.ValueError", f"Invalid field {name!r} on model {model!r}", 500, 1
                )
        if model == "res.partner" and "vat" in vals and self.refuse_vat_change:
            if self._invoices_of(ids):
                raise user_error(
                    "Changing the VAT number is not allowed once invoices have been issued."
                )
        for row in rows:
            row.update(vals)
        return True

    def _m_create(self, model: str, _ids: list[int], _ctx: dict[str, Any], vals_list: Any) -> Any:
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        created = []
        for vals in vals_list:
            if model == "mail.blacklist":
                existing = [r for r in self.records[model].values() if r["email"] == vals["email"]]
                if existing:
                    created.append(existing[0]["id"])
                    continue
            created.append(self.add(model, **vals))
        return created

    def _m_unlink(self, model: str, ids: list[int], _ctx: dict[str, Any]) -> Any:
        rows = self._browse(model, ids)
        if model == "res.partner":
            if self._invoices_of(ids):
                raise user_error("The partner cannot be deleted because it is used in Accounting")
            for order in self.records["sale.order"].values():
                if {order.get("partner_id"), order.get("partner_invoice_id")} & set(ids):
                    raise validation_error(
                        "The operation cannot be completed:\n"
                        "- Create/update: a mandatory field is not set.\n"
                        "- Delete: another model requires the record being deleted. If "
                        "possible, archive it instead.\n\nModel: Sales Order (sale.order)\n"
                        "Field: Customer (partner_id)\n"
                    )
            for child in self.records["res.partner"].values():
                if child.get("parent_id") in ids:
                    child["parent_id"] = False
        if model == "sale.order":
            for row in rows:
                if row.get("state") not in ("draft", "cancel"):
                    raise user_error(
                        "You can not delete a sent quotation or a confirmed sales order. "
                        "You must first cancel it."
                    )
        for rid in ids:
            del self.records[model][rid]
        return True

    def _browse(self, model: str, ids: list[int]) -> list[dict[str, Any]]:
        missing = [i for i in ids if i not in self.records[model]]
        if missing:
            raise missing_error(model, missing)
        return [self.records[model][i] for i in ids]

    def _invoices_of(self, partner_ids: list[int]) -> list[dict[str, Any]]:
        return [
            m
            for m in self.records["account.move"].values()
            if m.get("partner_id") in partner_ids and m.get("state") in ("draft", "posted")
        ]

    # -- serving ----------------------------------------------------------------------------
    def take_failure(self, call: str) -> Failure | None:
        with self.lock:
            self.requests.append(call)
            for failure in self.failures:
                if failure.remaining > 0 and failure.call in (None, call):
                    failure.remaining -= 1
                    return failure
        return None

    @contextmanager
    def serve(self) -> Iterator[FakeOdoo]:
        fake = self

        class Handler(_Handler):
            odoo = fake

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


class _Handler(BaseHTTPRequestHandler):
    odoo: FakeOdoo
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a scripted timeout)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers or {})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        path = self.path.split("?")[0]
        match = re.fullmatch(r"/json/2/([\w.]+)/(\w+)", path)
        if match:
            self._json2(match.group(1), match.group(2), raw)
            return
        match = re.fullmatch(r"/xmlrpc/2/(common|object)", path)
        if match and self.odoo.version < 22:
            self._xmlrpc(match.group(1), raw)
            return
        self.odoo.take_failure(f"POST {path}")
        self._send(404, b"<h1>Not Found</h1>", "text/html", {})

    def _scripted(self, call: str) -> bool:
        failure = self.odoo.take_failure(call)
        if failure is None:
            return False
        if failure.delay:
            time.sleep(failure.delay)
        if failure.status is None:
            return False
        self._json(
            failure.status,
            {"name": "werkzeug.exceptions.ServiceUnavailable", "message": "scripted"},
            failure.headers,
        )
        return True

    # -- JSON-2 -----------------------------------------------------------------------------
    def _json2(self, model: str, method: str, raw: bytes) -> None:
        if self._scripted(f"{model}.{method}"):
            return
        odoo = self.odoo
        auth = self.headers.get("Authorization", "")
        if auth != f"bearer {odoo.api_key}":
            self._json(401, _error_body("werkzeug.exceptions.Unauthorized", "Invalid apikey"))
            return
        if self.headers.get("X-Odoo-Database") not in (None, odoo.database):
            self._json(404, _error_body("werkzeug.exceptions.NotFound", "database not found"))
            return
        try:
            body = json.loads(raw or b"{}")
            ids = body.pop("ids", None)
            result = odoo.execute(model, method, ids, body)
        except OdooException as exc:
            self._json(exc.status, _error_body(exc.name, exc.message))
            return
        except TypeError as exc:
            self._json(500, _error_body("builtins.TypeError", str(exc)))
            return
        self._json(200, result)

    # -- XML-RPC ----------------------------------------------------------------------------
    def _xmlrpc(self, service: str, raw: bytes) -> None:
        params, name = xmlrpc.client.loads(raw)
        method = str(name or "")
        call = f"{service}.{method}"
        if service == "object" and method == "execute_kw":
            call = ".".join(str(part) for part in params[3:5])
        if self._scripted(call):
            return
        try:
            result = self._dispatch(service, method, params)
            payload = xmlrpc.client.dumps((_no_none(result),), methodresponse=True)
        except OdooException as exc:
            text = exc.message if exc.fault != 1 else f"Traceback (most recent call last):\n{exc}"
            payload = xmlrpc.client.dumps(xmlrpc.client.Fault(exc.fault, text))
        self._send(200, payload.encode(), "text/xml", {})

    def _dispatch(self, service: str, method: str, params: tuple[Any, ...]) -> Any:
        odoo = self.odoo
        if service == "common" and method == "version":
            return {
                "server_version": f"{odoo.version}.0",
                "server_version_info": [odoo.version, 0, 0, "final", 0, ""],
                "server_serie": f"{odoo.version}.0",
                "protocol_version": 1,
            }
        if service == "common" and method == "authenticate":
            db, login, key, _env = params
            return 2 if (db, login, key) == (odoo.database, odoo.username, odoo.api_key) else False
        if service == "object" and method == "execute_kw":
            db, uid, key, model, name, args, *rest = params
            if (db, uid, key) != (odoo.database, 2, odoo.api_key):
                raise OdooException("odoo.exceptions.AccessDenied", "Access Denied", 403, 3)
            kwargs = dict(rest[0]) if rest else {}
            ids: list[int] | None = None
            if name in MODEL_METHODS:  # @api.model: the arguments bind by position
                kwargs.update(zip(MODEL_METHODS[name], args, strict=False))
            elif args:
                ids = list(args[0])
                kwargs.update(zip(RECORD_METHODS.get(name, ()), args[1:], strict=False))
            return odoo.execute(model, name, ids, kwargs)
        raise OdooException("builtins.NameError", f"no method {method}", 500, 1)


def _error_body(name: str, message: str) -> dict[str, Any]:
    return {
        "name": name,
        "message": message,
        "arguments": [message],
        "context": {},
        "debug": f"Traceback (most recent call last):\n  ...\n{name}: {message}\n",
    }


def _no_none(value: Any) -> Any:
    if value is None:
        return False
    if isinstance(value, dict):
        return {k: _no_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_none(v) for v in value]
    return value


# -- domains --------------------------------------------------------------------------------
def _like(pattern: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def _leaf(term: list[Any], row: dict[str, Any]) -> bool:
    name, op, value = term
    current = row.get(name, False)
    if op == "=":
        return current == value
    if op == "!=":
        return current != value
    if op == "in":
        return current in value
    if op == "not in":
        return current not in value
    if op == "ilike":
        return _like(f"%{value}%", current)
    if op == "=ilike":
        return _like(value, current)
    raise OdooException("builtins.ValueError", f"Invalid leaf {term!r}", 500, 1)


def _matches(domain: list[Any], row: dict[str, Any]) -> bool:
    stack: list[bool] = []
    for term in reversed(domain):
        if term == "|":
            a, b = stack.pop(), stack.pop()
            stack.append(a or b)
        elif term == "&":
            a, b = stack.pop(), stack.pop()
            stack.append(a and b)
        elif term == "!":
            stack.append(not stack.pop())
        else:
            stack.append(_leaf(list(term), row))
    return all(stack)
