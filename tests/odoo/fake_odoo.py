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
  ``!=``, ``in``, ``ilike`` with Odoo's unescaped ``%``/``_`` wildcards, ``=ilike``; a field
  the model does not have is a ``ValueError``),
  ``active_test``, offset/limit; ``fields_get``;
  ``write``; ``create``; ``unlink`` with Odoo's refusals (a partner used in accounting or by
  a sale order, a confirmed order); private methods refused.

Every request is counted in :attr:`FakeOdoo.requests`; :meth:`FakeOdoo.fail_next` scripts
failures (a status, or a delay longer than the client's timeout).

Odoo 19 behaviours reproduced because dsr must cope with them (sources in odoo/odoo):

- **Address and commercial-field sync** (``odoo/addons/base/models/res_partner.py``:
  ``ADDRESS_FIELDS``/``_address_fields`` = street, street2, zip, city, state_id, country_id;
  ``_synced_commercial_fields`` = vat (plus ``additional_identifiers``, not modelled) and
  ``_commercial_fields`` = those + industry_id, "meant to be extended by inheriting classes";
  ``write`` calls ``_fields_sync`` with the values that really changed). ``_fields_sync``:
  (1) a partner given a parent, or made type ``contact``, takes the parent's address;
  (2) *upstream*: a child of type ``contact`` whose address fields were written and now differ
  from its parent's writes ``self._get_address_values()`` on the parent (all six fields, or
  nothing when all are empty), and a non-commercial child whose synced commercial field
  changed writes its *set* synced values on the parent; (3) *downstream* (``_children_sync``):
  a commercial entity pushes changed commercial fields to its non-company descendants
  (``_commercial_sync_to_descendants``), and changed address fields go to the active
  children of type ``contact`` (``_update_address``, a plain write without further sync).
  ``commercial_partner_id`` is the top of the ``parent_id`` chain. Odoo 17 synced downstream
  only; 18 and 19 sync upstream too, which is what changed the company in issue 10.
  :attr:`FakeOdoo.synced_commercial_fields` can be extended as a module would.
- **Tracking** (``addons/mail/models/mail_thread.py``: ``write`` returns early under
  ``tracking_disable``, calls ``_track_prepare`` unless ``mail_notrack``; ``create`` logs a
  creation message unless ``tracking_disable`` or ``mail_create_nolog``;
  ``addons/mail/models/res_partner.py``: tracked ``name``, ``email``, ``phone``,
  ``parent_id``, ``user_id``, ``vat`` and the computed ``contact_address_inline``;
  ``addons/mail/models/mail_blacklist.py``: ``email`` and ``active`` tracked). Every tracked
  change of a write (sync writes included: they run in the same context) becomes one
  ``mail.message`` (``notification``) on the record with a ``mail.tracking.value`` per field
  holding the old and the new value (``addons/mail/models/mail_tracking_value.py``;
  ``mail_message_id`` is ``ondelete='cascade'``; the model and ``mail.message``'s
  ``tracking_value_ids`` are for ``base.group_system`` only: ``fields_get`` leaves such a
  field out for other users and reading it is an ``AccessError``, see :attr:`FakeOdoo.admin`).
  ``mail.thread.unlink`` deletes the record's messages and followers (``res_model``/``res_id``
  links cannot cascade).
- **Invoice display name** (``addons/account/models/account_move.py``
  ``_compute_invoice_partner_display_info``, depends on ``partner_id.display_name``):
  ``invoice_partner_display_name`` is the partner's display name ("Company, Person" for a
  person under a company, ``_get_complete_name`` in res_partner.py), recomputed when the
  partner changes: an anonymised customer shows on its invoices.
- **A database or model that is not there**: JSON-2 with an ``X-Odoo-Database`` the server
  cannot load is served without a database (``odoo/http.py`` ``_get_session_and_dbname``,
  ``_serve_db`` falling back to ``_serve_nodb``) where the ``auth='bearer'`` route
  ``/json/2/<model>/<method>`` does not exist: an HTML 404. An unknown model on JSON-2 is a
  404 ``NotFound`` "the model '...' does not exist" (``addons/web/controllers/json2.py``);
  on XML-RPC a ``UserError`` "Object ... doesn't exist" (``odoo/service/model.py``
  ``execute_cr``), fault 2. XML-RPC on a database that does not exist fails loading the
  registry: fault 1 with psycopg2's 'database "..." does not exist'.
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
        "commercial_partner_id": "many2one:res.partner",
        "display_name": "char",
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
        "invoice_partner_display_name": "char",
        "commercial_partner_id": "many2one:res.partner",
    },
    "res.currency": {"id": "integer", "name": "char"},
    "mail.blacklist": {"id": "integer", "email": "char", "active": "boolean"},
    "phone.blacklist": {"id": "integer", "number": "char", "active": "boolean"},
    "mail.message": {
        "id": "integer",
        "model": "char",
        "res_id": "integer",
        "message_type": "selection",
        "body": "html",
        "author_id": "many2one:res.partner",
        "tracking_value_ids": "one2many:mail.tracking.value",
    },
    "mail.tracking.value": {
        "id": "integer",
        "field_id": "many2one:ir.model.fields",
        "old_value_char": "char",
        "new_value_char": "char",
        "old_value_integer": "integer",
        "new_value_integer": "integer",
        "mail_message_id": "many2one:mail.message",
    },
    "mail.followers": {
        "id": "integer",
        "res_model": "char",
        "res_id": "integer",
        "partner_id": "many2one:res.partner",
    },
    "ir.model.fields": {"id": "integer", "name": "char", "model": "char"},
}

#: What Odoo 17+'s Subscriptions app adds to ``sale.order`` (sale_subscription/models/
#: sale_order.py): ``is_subscription`` and ``subscription_state``, a selection of
#: ``1_draft``, ``2_renewal``, ``3_progress``, ``4_paused``, ``5_renewed``, ``6_churn``,
#: ``7_upsell`` (False on an order that is no subscription).
SUBSCRIPTION_FIELDS = {"is_subscription": "boolean", "subscription_state": "selection"}

#: Computed on read, never stored (``display_name``...); writing them is refused.
COMPUTED: dict[str, frozenset[str]] = {
    "res.partner": frozenset({"commercial_partner_id", "display_name"}),
    "account.move": frozenset({"invoice_partner_display_name", "commercial_partner_id"}),
    "mail.message": frozenset({"tracking_value_ids"}),
}

#: res.partner ``ADDRESS_FIELDS`` (odoo/addons/base/models/res_partner.py).
ADDRESS_FIELDS = ("street", "street2", "zip", "city", "state_id", "country_id")
#: ``_synced_commercial_fields`` of a plain Odoo 19 (``additional_identifiers`` not modelled).
SYNCED_COMMERCIAL_FIELDS = ("vat",)
#: Models inheriting ``mail.thread`` and their tracked fields (the mail addon's overrides);
#: ``contact_address_inline`` stands for the address fields, as in Odoo.
TRACKED: dict[str, tuple[str, ...]] = {
    "res.partner": ("name", "email", "phone", "parent_id", "vat", "contact_address_inline"),
    "mail.blacklist": ("email", "active"),
    "sale.order": ("state",),
    "account.move": ("state",),
}
#: ``groups="base.group_system"``: ``mail.message.tracking_value_ids`` (and the whole
#: ``mail.tracking.value`` model, "admin-only" in mail_tracking_value.py).
ADMIN_ONLY = frozenset({("mail.message", "tracking_value_ids")})
#: Context keys of the mail addon that switch tracking and logging off.
NO_TRACKING = "tracking_disable"
NO_TRACK_VALUES = "mail_notrack"
NO_CREATE_LOG = "mail_create_nolog"

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

    def __init__(
        self, name: str, message: str, status: int, fault: int, rpc_text: str | None = None
    ) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status
        self.fault = fault
        self.rpc_text = rpc_text  # the fault text where XML-RPC says it otherwise


def no_such_model(model: str) -> OdooException:
    """JSON-2: ``NotFound`` from json2.py; XML-RPC: the ``UserError`` of ``execute_cr``."""
    return OdooException(
        "werkzeug.exceptions.NotFound",
        f"the model {model!r} does not exist",
        404,
        2,
        rpc_text=f"Object {model} doesn't exist",
    )


def no_such_database(database: str) -> OdooException:
    """Loading the registry of a database that does not exist (psycopg2), a fault 1."""
    text = (
        'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
        f'FATAL:  database "{database}" does not exist'
    )
    return OdooException("psycopg2.OperationalError", text, 500, 1)


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
        subscriptions: bool = False,
    ) -> None:
        self.api_key = api_key
        self.database = database
        self.username = username
        self.version = version
        self.schema = {model: dict(fields) for model, fields in SCHEMA.items()}
        if not with_mobile:  # Odoo 18 dropped res.partner.mobile
            self.schema["res.partner"].pop("mobile")
        if subscriptions:  # the Subscriptions app (sale_subscription) extends sale.order
            self.schema["sale.order"].update(SUBSCRIPTION_FIELDS)
        self.records: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in self.schema}
        self.requests: list[str] = []
        self.failures: list[Failure] = []
        self.refuse_vat_change = False
        self.refused_methods: set[str] = set()  # answered as a method Odoo does not expose
        #: ``_synced_commercial_fields``: a module may add to it (its docstring says so)
        self.synced_commercial_fields = list(SYNCED_COMMERCIAL_FIELDS)
        self.user_partner = 3  # the API user's partner: author of the messages it causes
        self.admin = True  # False: an API user outside base.group_system
        self.lock = threading.RLock()
        self._next_id = 100
        self.url = ""

    # -- data -------------------------------------------------------------------------------
    def add(self, model: str, /, **values: Any) -> int:
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
            raise no_such_model(model)
        context = kwargs.pop("context", None) or {}
        handler = getattr(self, f"_m_{method}", None)
        if handler is None or method in self.refused_methods:
            raise OdooException(
                "builtins.AttributeError", f"The method '{model}.{method}' does not exist", 404, 1
            )
        with self.lock:
            return handler(model, ids or [], context, **kwargs)

    def _m_fields_get(self, model: str, _ids: list[int], _ctx: dict[str, Any], **kw: Any) -> Any:
        return {
            name: {"type": t.split(":")[0]}
            for name, t in self.schema[model].items()
            if self.admin or (model, name) not in ADMIN_ONLY  # fields_get omits them
        }

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
            if not self.admin and ((model, name) in ADMIN_ONLY or model == "mail.tracking.value"):
                raise access_error(f"You do not have enough rights to access the field {name!r}")
        for term in domain or []:
            # odoo/osv/expression.py (17-18), odoo/orm/domains.py (19): an unknown field in a
            # leaf is a ValueError naming it
            if isinstance(term, list | tuple) and term and term[0] not in schema:
                raise OdooException(
                    "builtins.ValueError",
                    f"Invalid field {model}.{term[0]} in leaf {tuple(term)!r}",
                    500,
                    1,
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
            value = self._computed(model, row, name) if name in COMPUTED.get(model, ()) else None
            if value is None:
                value = row.get(name, False)
            if kind.startswith("many2one:") and value:
                target_model = kind.split(":")[1]
                target = self.records.get(target_model, {}).get(value, {})
                label = (
                    self.display_name(target)
                    if target_model == "res.partner" and target
                    else target.get("name", "")
                )
                value = [value, label]
            elif kind.startswith(("many2many:", "one2many:")):
                value = list(value or [])
            out[name] = False if value is None else value
        return out

    def _computed(self, model: str, row: dict[str, Any], name: str) -> Any:
        if model == "res.partner" and name == "commercial_partner_id":
            return self.commercial(row)["id"]
        if model == "res.partner" and name == "display_name":
            return self.display_name(row)
        partner = self.records["res.partner"].get(row.get("partner_id"))  # type: ignore[arg-type]
        if model == "account.move" and name == "invoice_partner_display_name":
            return self.display_name(partner) if partner else False
        if model == "account.move" and name == "commercial_partner_id":
            return self.commercial(partner)["id"] if partner else False
        if model == "mail.message" and name == "tracking_value_ids":
            values = self.records["mail.tracking.value"].values()
            return sorted(v["id"] for v in values if v["mail_message_id"] == row["id"])
        return None

    # -- res.partner as base/models/res_partner.py computes it ------------------------------
    def parent(self, row: dict[str, Any]) -> dict[str, Any] | None:
        return self.records["res.partner"].get(row.get("parent_id") or 0)

    def commercial(self, row: dict[str, Any]) -> dict[str, Any]:
        """``commercial_partner_id``: the top of the parent chain."""
        seen = {row["id"]}
        while (up := self.parent(row)) is not None and up["id"] not in seen:
            seen.add(up["id"])
            row = up
        return row

    def display_name(self, row: dict[str, Any]) -> str:
        """``_get_complete_name``: "Company, Person" for a person under a company."""
        name = row.get("name") or ""
        parent = self.parent(row)
        if parent is not None:
            kind = row.get("type")
            if not name and kind in ("invoice", "delivery", "other"):
                name = {"invoice": "Invoice", "delivery": "Delivery", "other": "Other"}[kind]
            if not row.get("is_company"):
                name = f"{self.commercial(row).get('name') or parent.get('name')}, {name}"
        return str(name).strip()

    def _children(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """``child_ids``: its domain keeps active children only."""
        return [
            c
            for c in self.records["res.partner"].values()
            if c.get("parent_id") == row["id"] and c.get("active", True)
        ]

    def _address_values(self, row: dict[str, Any]) -> dict[str, Any]:
        """``_get_address_values``: all six address fields, or {} when none is set."""
        if any(row.get(f) for f in ADDRESS_FIELDS):
            return {f: row.get(f, False) or False for f in ADDRESS_FIELDS}
        return {}

    def _update_address(self, row: dict[str, Any], vals: dict[str, Any]) -> None:
        """``_update_address``: a plain write of the address keys, without further sync."""
        row.update({k: vals[k] for k in ADDRESS_FIELDS if k in vals})

    def _partner_write(self, row: dict[str, Any], vals: dict[str, Any]) -> None:
        """``ResPartner.write``: store, then ``_fields_sync`` what really changed."""
        if not vals:
            return
        before = {f: _falsy(row.get(f)) for f in vals}
        row.update(vals)
        updated = {f: v for f, v in vals.items() if _falsy(row.get(f)) != before[f]}
        if updated:
            self._fields_sync(row, updated)

    def _differs(self, row: dict[str, Any], other: dict[str, Any], names: Any) -> bool:
        return any(_falsy(row.get(f)) != _falsy(other.get(f)) for f in names)

    def _fields_sync(self, row: dict[str, Any], values: dict[str, Any]) -> None:
        parent = self.parent(row)
        synced = self.synced_commercial_fields
        # 1. from upstream
        if values.get("parent_id") or values.get("type") == "contact":
            if values.get("parent_id") and parent is not None:
                address, parent_address = self._address_values(row), self._address_values(parent)
                if row.get("type") == "contact" and address and parent_address:
                    if address != parent_address:
                        row["type"] = "other"
                self._commercial_sync_from_company(row)
            if parent is not None and row.get("type") == "contact":
                if parent_address := self._address_values(parent):
                    self._update_address(row, parent_address)
        # 2. to upstream: the address of a contact, the synced commercial fields
        if (
            parent is not None
            and row.get("type") == "contact"
            and (any(f in values for f in ADDRESS_FIELDS) or "parent_id" in values)
            and self._differs(row, parent, ADDRESS_FIELDS)
        ):
            self._partner_write(parent, self._address_values(row))
        if (
            parent is not None
            and self.commercial(row) is not row
            and (any(f in values for f in synced) or "parent_id" in values)
            and self._differs(row, parent, synced)
        ):
            self._partner_write(parent, {f: row[f] for f in synced if row.get(f)})
        # 3. to downstream
        self._children_sync(row, values)

    def _commercial_fields(self) -> list[str]:
        return [*self.synced_commercial_fields, "industry_id"]

    def _children_sync(self, row: dict[str, Any], values: dict[str, Any]) -> None:
        children = self._children(row)
        if not children:
            return
        if self.commercial(row) is row:
            names = [f for f in values if f in self._commercial_fields()]
            self._commercial_sync_to_descendants(row, names)
        if any(f in values for f in ADDRESS_FIELDS):
            for child in children:
                if child.get("type") == "contact":
                    self._update_address(child, values)

    def _commercial_sync_from_company(self, row: dict[str, Any]) -> None:
        top = self.commercial(row)
        if top is not row:
            vals = {f: top[f] for f in self._commercial_fields() if top.get(f)}
            if vals:
                self._partner_write(row, vals)
                self._commercial_sync_to_descendants(row, None)

    def _commercial_sync_to_descendants(self, row: dict[str, Any], names: Any) -> None:
        names = list(self._commercial_fields() if names is None else names)
        top = self.commercial(row)
        vals = {f: top.get(f, False) for f in names}
        targets = []
        for child in self._children(row):
            if child.get("is_company"):
                continue
            if any(_falsy(child.get(f)) != _falsy(vals[f]) for f in names):
                targets.append(child)
            self._commercial_sync_to_descendants(child, names)
        for child in targets:
            self._partner_write(child, vals)

    # -- mail.thread tracking -----------------------------------------------------------------
    def _tracked(self, model: str) -> dict[int, dict[str, Any]]:
        """The tracked values of every record of ``model`` (``_track_prepare``)."""
        return {rid: self._tracked_values(model, row) for rid, row in self.records[model].items()}

    def _tracked_values(self, model: str, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in TRACKED[model]:
            if name == "contact_address_inline":
                parts = [self._label(row, f) for f in ADDRESS_FIELDS if row.get(f)]
                out[name] = ", ".join(parts)
            else:
                out[name] = self._label(row, name) if name == "parent_id" else row.get(name)
        return out

    def _label(self, row: dict[str, Any], name: str) -> Any:
        kind = SCHEMA["res.partner"].get(name, "")
        value = row.get(name)
        if kind.startswith("many2one:") and value:
            target = self.records[kind.split(":")[1]].get(value, {})
            return target.get("name", "")
        return value

    def _track_finalize(self, model: str, before: dict[int, dict[str, Any]]) -> None:
        """One notification message per changed record, a tracking value per field."""
        for rid, old in before.items():
            row = self.records[model].get(rid)
            if row is None:
                continue
            new = self._tracked_values(model, row)
            changed = [f for f in old if _falsy(old[f]) != _falsy(new[f])]
            if not changed:
                continue
            message = self.add(
                "mail.message",
                model=model,
                res_id=rid,
                message_type="notification",
                body="",
                author_id=self.user_partner,
            )
            for name in changed:
                values: dict[str, Any] = {"field_id": self._field_id(model, name)}
                if SCHEMA[model].get(name) == "boolean":
                    values.update(old_value_integer=int(bool(old[name])))
                    values.update(new_value_integer=int(bool(new[name])))
                else:
                    values.update(old_value_char=old[name] or "", new_value_char=new[name] or "")
                self.add("mail.tracking.value", mail_message_id=message, **values)

    def _field_id(self, model: str, name: str) -> int:
        for row in self.records["ir.model.fields"].values():
            if (row["model"], row["name"]) == (model, name):
                return int(row["id"])
        return self.add("ir.model.fields", model=model, name=name)

    def _unlink_thread(self, model: str, ids: list[int]) -> None:
        """``mail.thread.unlink``: the records' messages and followers go with them."""
        messages = [
            m["id"]
            for m in self.records["mail.message"].values()
            if m.get("model") == model and m.get("res_id") in ids
        ]
        self._unlink_messages(messages)
        for fid, follower in list(self.records["mail.followers"].items()):
            if follower.get("res_model") == model and follower.get("res_id") in ids:
                del self.records["mail.followers"][fid]

    def _unlink_messages(self, ids: list[int]) -> None:
        """Messages, and their tracking values (``ondelete='cascade'``)."""
        for tid, value in list(self.records["mail.tracking.value"].items()):
            if value.get("mail_message_id") in ids:
                del self.records["mail.tracking.value"][tid]
        for mid in ids:
            self.records["mail.message"].pop(mid, None)

    def _m_write(
        self, model: str, ids: list[int], ctx: dict[str, Any], vals: dict[str, Any]
    ) -> Any:
        rows = self._browse(model, ids)
        for name in vals:
            if name not in self.schema[model] or name in COMPUTED.get(model, ()):
                raise OdooException(
                    "builtins.ValueError", f"Invalid field {name!r} on model {model!r}", 500, 1
                )
        if model == "res.partner" and "vat" in vals and self.refuse_vat_change:
            if self._invoices_of(ids):
                raise user_error(
                    "Changing the VAT number is not allowed once invoices have been issued."
                )
        tracking = model in TRACKED and not (ctx.get(NO_TRACKING) or ctx.get(NO_TRACK_VALUES))
        before = {m: self._tracked(m) for m in TRACKED} if tracking else {}
        for row in rows:
            if model == "res.partner":
                self._partner_write(row, dict(vals))
            else:
                row.update(vals)
        for tracked_model, values in before.items():
            self._track_finalize(tracked_model, values)
        return True

    def _m_create(self, model: str, _ids: list[int], ctx: dict[str, Any], vals_list: Any) -> Any:
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
            if model in TRACKED and not (ctx.get(NO_TRACKING) or ctx.get(NO_CREATE_LOG)):
                self.add(
                    "mail.message",
                    model=model,
                    res_id=created[-1],
                    message_type="notification",
                    body=f"<p>{model} created</p>",
                    author_id=self.user_partner,
                )
        return created

    def _m_unlink(self, model: str, ids: list[int], _ctx: dict[str, Any]) -> Any:
        rows = self._browse(model, ids)
        if model == "res.partner":
            if self._invoices_of(ids):
                raise user_error("The partner cannot be deleted because it is used in Accounting")
            for order in self.records.get("sale.order", {}).values():
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
        if model in TRACKED:
            self._unlink_thread(model, ids)
        if model == "mail.message":
            self._unlink_messages(ids)
        for rid in ids:
            self.records[model].pop(rid, None)
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
            # served without a database, where the bearer route does not exist
            self._send(404, NOT_FOUND_HTML, "text/html; charset=utf-8", {})
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
            text = exc.rpc_text or exc.message
            if exc.fault == 1:
                text = f"Traceback (most recent call last):\n  ...\n{exc.name}: {text}\n"
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
            if db != odoo.database:
                raise no_such_database(str(db))
            return 2 if (login, key) == (odoo.username, odoo.api_key) else False
        if service == "object" and method == "execute_kw":
            db, uid, key, model, name, args, *rest = params
            if db != odoo.database:
                raise no_such_database(str(db))
            if (uid, key) != (2, odoo.api_key):
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


def _falsy(value: Any) -> Any:
    """Odoo reads an empty field as False, whatever it was written as."""
    return False if value in (None, False, "") else value


NOT_FOUND_HTML = (
    b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on the server. If you entered the URL manually "
    b"please check your spelling and try again.</p>\n"
)


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
