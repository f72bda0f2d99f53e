"""The ``[notices]`` table of ``dsr.toml``, read and checked once.

Every key is optional::

    [notices]
    transport = "file"            # "file" (default): .eml files in the outbox; or "smtp"
    outbox = "outbox"             # relative to the folder of dsr.toml
    host = "smtp.example.be"      # smtp only
    port = 587                    # default: 587 (starttls), 465 (tls), 25 (none)
    security = "starttls"         # "starttls", "tls" or "none"
    username = "dsr@example.be"   # the password comes from $DSR_SMTP_PASSWORD ...
    password_env = "DSR_SMTP_PASSWORD"   # ... or the variable named here
    cafile = "/etc/ssl/our-ca.pem"       # trust this CA for the SMTP server (optional)
    timeout = 30                  # SMTP seconds
    confirm_within_days = 14      # the deadline we ask suppliers to confirm by
    remind_after_days = 7         # `dsr notices remind` re-sends after this many days
    status_callback_url = "https://dsr.example.be/notices"   # + "/<notice id>" (webhooks)
    webhook_timeout = 15          # seconds per attempt
    webhook_attempts = 5          # in all, the first included
    webhook_backoff = 1.0         # seconds before the 2nd attempt, doubling after
    webhook_max_retry_after = 120 # cap on a reply's Retry-After

    [[notices.derive]]            # see dsr_core.recipients.derive
    system = "crm"
    field = "carrier"

A wrong key or value is a :class:`~dsr_core.errors.UserError` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import Config
from ..errors import UserError

TRANSPORTS = ("file", "smtp")
SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_KEYS = frozenset(
    {
        "transport",
        "outbox",
        "host",
        "port",
        "security",
        "username",
        "password_env",
        "cafile",
        "timeout",
        "confirm_within_days",
        "remind_after_days",
        "status_callback_url",
        "webhook_timeout",
        "webhook_attempts",
        "webhook_backoff",
        "webhook_max_retry_after",
        "derive",
    }
)
_RULE_KEYS = frozenset(
    {"system", "field", "categories", "from_categories", "identities", "date_field"}
)
_IDENTITY_KINDS = ("email", "phone", "customer_id", "name")


@dataclass(frozen=True)
class DeriveRule:
    """``[[notices.derive]]``: records of ``system`` whose ``field`` names a supplier.

    ``from_categories``: only records of these categories are read (default: all).
    ``categories``: what the disclosure records as disclosed (default: the record's category).
    ``identities``: identity kind -> record field holding what the supplier got (default: the
    identities the system located the subject by). ``date_field``: the record field holding
    the day of the disclosure (default: unknown).
    """

    system: str
    field: str
    categories: tuple[str, ...] = ()
    from_categories: tuple[str, ...] = ()
    identities: Mapping[str, str] = field(default_factory=dict)
    date_field: str | None = None


@dataclass(frozen=True)
class NoticeSettings:
    transport: str = "file"
    outbox: Path = Path("outbox")
    host: str | None = None
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str = "DSR_SMTP_PASSWORD"
    cafile: Path | None = None
    timeout: float = 30.0
    confirm_within_days: int = 14
    remind_after_days: int = 7
    status_callback_url: str | None = None
    webhook_timeout: float = 15.0
    webhook_attempts: int = 5
    webhook_backoff: float = 1.0
    webhook_max_retry_after: float = 120.0
    derive: tuple[DeriveRule, ...] = ()

    def callback_url(self, notice_id: str) -> str | None:
        if not self.status_callback_url:
            return None
        return f"{self.status_callback_url.rstrip('/')}/{notice_id}"


def _bad(key: str, what: str) -> UserError:
    return UserError(f"config: notices.{key} {what}")


def _text(table: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = table.get(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _bad(key, "must be non-empty text")
    return value.strip() if isinstance(value, str) else value


def _number(
    table: Mapping[str, Any], key: str, default: float, *, whole: bool = False, low: float = 0
) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(key, "must be a number")
    if whole and not isinstance(value, int):
        raise _bad(key, "must be a whole number")
    if value < low:
        raise _bad(key, f"must be at least {low:g}")
    return value


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _bad(key, "must be a list of texts")
    return tuple(v.strip() for v in value)


def _rule(index: int, raw: Any) -> DeriveRule:
    where = f"derive[{index}]"
    if not isinstance(raw, dict):
        raise _bad(where, "must be a table ([[notices.derive]])")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise _bad(f"{where}.{unknown[0]}", "is not a known key")
    for key in ("system", "field"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _bad(f"{where}.{key}", "is required (text)")
    identities = raw.get("identities", {})
    if not isinstance(identities, dict) or not all(
        isinstance(v, str) and v for v in identities.values()
    ):
        raise _bad(f"{where}.identities", 'must be a table of kind = "record field"')
    for kind in identities:
        if kind not in _IDENTITY_KINDS:
            raise _bad(f"{where}.identities", f"names an unknown kind {kind!r}")
    date_field = raw.get("date_field")
    if date_field is not None and (not isinstance(date_field, str) or not date_field):
        raise _bad(f"{where}.date_field", "must be text")
    return DeriveRule(
        system=raw["system"].strip(),
        field=raw["field"].strip(),
        categories=_strings(raw.get("categories", []), f"{where}.categories"),
        from_categories=_strings(raw.get("from_categories", []), f"{where}.from_categories"),
        identities=dict(identities),
        date_field=date_field,
    )


def check_url(url: str, what: str) -> str:
    """An https URL (or http to this machine); else a UserError naming ``what``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UserError(f"{what} must be an https:// URL")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise UserError(f"{what} must use https:// (plain http only to this machine)")
    return url.strip()


def load(config: Config) -> NoticeSettings:
    """The checked settings of ``config.notices``."""
    table = dict(config.notices or {})
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise _bad(unknown[0], f"is not a known key (known: {', '.join(sorted(_KEYS))})")
    transport = _text(table, "transport", "file")
    if transport not in TRANSPORTS:
        raise _bad("transport", f"must be one of {', '.join(TRANSPORTS)}")
    security = _text(table, "security", "starttls")
    if security not in SECURITY:
        raise _bad("security", f"must be one of {', '.join(SECURITY)}")
    outbox = Path(_text(table, "outbox", "outbox") or "outbox").expanduser()
    if not outbox.is_absolute():
        outbox = config.base_dir / outbox
    cafile_text = _text(table, "cafile")
    cafile = Path(cafile_text).expanduser() if cafile_text else None
    if cafile is not None and not cafile.is_absolute():
        cafile = config.base_dir / cafile
    password_env = _text(table, "password_env", "DSR_SMTP_PASSWORD") or ""
    if not ENV_NAME.fullmatch(password_env):
        raise _bad("password_env", "must be the name of an environment variable")
    port = _number(table, "port", DEFAULT_PORTS[security or "starttls"], whole=True, low=1)
    callback = _text(table, "status_callback_url")
    if callback:
        callback = check_url(callback, "config: notices.status_callback_url")
    derive = table.get("derive", [])
    if isinstance(derive, dict):
        derive = [derive]
    if not isinstance(derive, list):
        raise _bad("derive", "must be a list of tables ([[notices.derive]])")
    host = _text(table, "host")
    if transport == "smtp" and not host:
        raise _bad("host", 'is required with transport = "smtp"')
    return NoticeSettings(
        transport=transport or "file",
        outbox=outbox,
        host=host,
        port=port,
        security=security or "starttls",
        username=_text(table, "username"),
        password_env=password_env,
        cafile=cafile,
        timeout=float(_number(table, "timeout", 30.0, low=0.1)),
        confirm_within_days=_number(table, "confirm_within_days", 14, whole=True, low=1),
        remind_after_days=_number(table, "remind_after_days", 7, whole=True, low=1),
        status_callback_url=callback,
        webhook_timeout=float(_number(table, "webhook_timeout", 15.0, low=0.1)),
        webhook_attempts=_number(table, "webhook_attempts", 5, whole=True, low=1),
        webhook_backoff=float(_number(table, "webhook_backoff", 1.0)),
        webhook_max_retry_after=float(_number(table, "webhook_max_retry_after", 120.0)),
        derive=tuple(_rule(i, raw) for i, raw in enumerate(derive)),
    )
