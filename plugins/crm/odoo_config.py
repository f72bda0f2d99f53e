"""The ``odoo`` system type's config table: every key, its check, its default.

Every problem is a :class:`~dsr_core.systems.ConfigError` of one line naming the system and the
key; a secret's value never appears in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dsr_core.retry import RetryPolicy
from dsr_core.systems import ConfigError

from .odoo_retention import Period

CONFIG_KEYS: Mapping[str, str] = {
    "url": "base URL of the Odoo server, e.g. https://erp.example.be",
    "api_key": 'API key of the Odoo user dsr acts as, e.g. "${ODOO_API_KEY}"',
    "database": "database name (X-Odoo-Database for JSON-2; required for XML-RPC)",
    "username": "login of that user (XML-RPC only)",
    "protocol": '"json2", "xmlrpc" or "auto" (default: by `version`, else asks the server)',
    "version": 'the Odoo version, e.g. "17.0": 19 and later speak JSON-2, older XML-RPC',
    "invoice_retention": 'how long invoices are kept after their date (default "10 years")',
    "order_retention": "how long confirmed sale orders are kept (default: invoice_retention)",
    "retention_basis": "the legal basis reported for kept invoices and orders",
    "children": 'child contacts included: "all" (default), "addresses" or "none"',
    "sale_orders": 'read sale.order: "auto" (default: if the Sales app is installed), true, false',
    "invoices": "read account.move customer invoices (default true)",
    "rectifiable_fields": "res.partner fields a rectification may change (default: see docs)",
    "restriction_field": "a boolean res.partner field that marks restriction (default: manual)",
    "active_contract": '"subscriptions" (a running sale.order subscription, Odoo 17+) or a '
    "boolean res.partner field: the contract still runs and an erasure waits for staff",
    "blacklist_phones": "objection also fills phone.blacklist (SMS marketing; default false)",
    "blacklist_retention": 'a kept mail.blacklist entry is reported until (default "10 years")',
    "blacklist_basis": "the basis reported for a kept mail.blacklist entry (default: Art. 21(3))",
    "request_customer_ids": "customer ids given with the request are partner ids (default false)",
    "phone_region": "region for numbers without country code (default: controller's country)",
    "request_timeout": "seconds one HTTP request may take (default 30)",
    "max_attempts": "attempts per call on timeouts, 429 and 5xx (default 4)",
    "backoff": "first wait between attempts in seconds, doubling with jitter (default 0.5)",
    "backoff_max": "longest wait between attempts in seconds (default 10)",
}

REQUIRED_KEYS = frozenset({"url", "api_key"})

DEFAULT_BASIS = (
    "Art. 17(3)(b) GDPR: legal duty to keep invoices (Belgian VAT Code art. 60) and "
    "accounting records (Code of Economic Law art. III.86)"
)

#: res.partner fields a rectification may change unless ``rectifiable_fields`` says otherwise.
DEFAULT_RECTIFIABLE = (
    "name",
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "zip",
    "city",
    "vat",
    "function",
    "website",
    "lang",
)
DEFAULT_BLACKLIST_BASIS = (
    "Art. 21(3) and 17(3)(b) GDPR: the address stays on the suppression list (mail.blacklist) "
    "so that no mailing reaches it again; only the address is kept"
)
CHILDREN = ("all", "addresses", "none")
PROTOCOLS = ("auto", "json2", "xmlrpc")


def parse_major(version: str) -> int | None:
    """``"17.0"`` → 17, ``"saas~17.2"`` → 17, ``"19.0+e"`` → 19; None when unreadable."""
    match = re.search(r"(\d+)", version)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class OdooOptions:
    """The checked config of one ``odoo`` system."""

    url: str
    api_key: str
    database: str | None
    username: str | None
    protocol: str
    version_major: int | None
    invoice_retention: Period
    order_retention: Period
    retention_basis: str
    children: str
    sale_orders: bool | None  # None: "auto", if the model exists
    invoices: bool
    rectifiable: tuple[str, ...]
    restriction_field: str | None
    active_contract: str | None  # "subscriptions" or a boolean res.partner field
    blacklist_phones: bool
    blacklist_retention: Period
    blacklist_basis: str
    request_customer_ids: bool
    phone_region: str
    retry: RetryPolicy

    @classmethod
    def parse(cls, name: str, config: Mapping[str, Any], country: str) -> OdooOptions:
        read = _Reader(name, config)
        url = read.text("url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"systems.{name}: 'url' must be an http(s) URL")
        if parts.username or parts.password:
            raise ConfigError(f"systems.{name}: 'url' must not hold credentials; use 'api_key'")
        protocol = read.choice("protocol", PROTOCOLS, "auto")
        version = read.text("version", required=False)
        major = parse_major(version) if version else None
        if version and major is None:
            raise ConfigError(f"systems.{name}: 'version' must look like \"17.0\"")
        database = read.text("database", required=False)
        username = read.text("username", required=False)
        xmlrpc = protocol == "xmlrpc" or (protocol == "auto" and major is not None and major < 19)
        if xmlrpc and not (database and username):
            raise ConfigError(f"systems.{name}: XML-RPC needs 'database' and 'username'")
        invoice_retention = read.period("invoice_retention", "10 years")
        order_default = str(config.get("invoice_retention", "10 years"))
        return cls(
            url=url.rstrip("/"),
            api_key=read.text("api_key"),
            database=database,
            username=username,
            protocol=protocol,
            version_major=major,
            invoice_retention=invoice_retention,
            order_retention=read.period("order_retention", order_default),
            retention_basis=read.text("retention_basis", required=False) or DEFAULT_BASIS,
            children=read.choice("children", CHILDREN, "all"),
            sale_orders=read.flag_or_auto("sale_orders"),
            invoices=read.flag("invoices", True),
            rectifiable=read.names("rectifiable_fields", DEFAULT_RECTIFIABLE),
            restriction_field=read.text("restriction_field", required=False),
            active_contract=read.text("active_contract", required=False),
            blacklist_phones=read.flag("blacklist_phones", False),
            blacklist_retention=read.period("blacklist_retention", "10 years"),
            blacklist_basis=read.text("blacklist_basis", required=False) or DEFAULT_BLACKLIST_BASIS,
            request_customer_ids=read.flag("request_customer_ids", False),
            phone_region=(read.text("phone_region", required=False) or country).upper(),
            retry=RetryPolicy(
                attempts=int(read.number("max_attempts", 4, minimum=1)),
                backoff=read.number("backoff", 0.5, minimum=0),
                backoff_max=read.number("backoff_max", 10.0, minimum=0),
                timeout=read.number("request_timeout", 30.0, minimum=0.001),
            ),
        )


class _Reader:
    """Typed access to a config table, failing with one line naming the key."""

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.config = config

    def _fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"systems.{self.name}: {key!r} must be {what}")

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.config.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self._fail(key, "a non-empty string")
        return value.strip()

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.config.get(key, default)
        if value not in allowed:
            raise self._fail(key, "one of " + ", ".join(repr(a) for a in allowed))
        return str(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.config.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def flag_or_auto(self, key: str) -> bool | None:
        value = self.config.get(key, "auto")
        if value == "auto":
            return None
        if not isinstance(value, bool):
            raise self._fail(key, '"auto", true or false')
        return value

    def number(self, key: str, default: float, *, minimum: float) -> float:
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self._fail(key, f"a number of at least {minimum}")
        return float(value)

    def period(self, key: str, default: str) -> Period:
        value = self.config.get(key, default)
        try:
            return Period.parse(value) if isinstance(value, str) else Period.parse("")
        except ValueError:
            raise self._fail(key, "a period such as '10 years', '6 months' or '90 days'") from None

    def names(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.config.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self._fail(key, "a list of field names")
        return tuple(value)
