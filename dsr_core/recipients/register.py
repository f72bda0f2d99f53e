"""The suppliers register: who receives the controller's data, and how they get notices.

A supplier has a name (unique, matched case-insensitively), a role (processor, recipient,
joint controller, carrier, transport, subcontractor), a language for its notices (nl, en, fr),
a contact e-mail, and optionally a webhook URL with the *name* of the environment variable
holding its signing secret and a protocol (``email``, ``webhook``, ``opendsr``). ``aliases``
are the names other systems use for it (a CRM's "PROXIMUS NV"), so that derived disclosures
find it. A country outside the EEA needs the transfer's ``safeguard`` (:mod:`.terms`, Art. 15(2)).

Every change goes on the audit trail, without secrets (there are none stored anyway).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit
from ..errors import NotFound, UserError
from ..fields import LANGUAGES as SUBJECT_LANGUAGES
from ..identities import InvalidIdentity, normalise_email
from ..store.models import SupplierRow
from .settings import ENV_NAME, check_url
from .terms import ROLES, SAFEGUARDS, clean_safeguard, country_code, needs_safeguard

if TYPE_CHECKING:
    from dsr_plugins.suppliers.message import Supplier

LANGUAGES = SUBJECT_LANGUAGES  # a supplier's notices: nl, en, fr
PROTOCOLS = ("email", "webhook", "opendsr")

#: Marks "leave this as it is" in :func:`edit` (``None`` means "clear it").
KEEP: Any = object()


def normal_name(text: str) -> str:
    """How names and aliases compare: case-folded, inner whitespace collapsed."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class SupplierFields:
    """What staff give for a supplier (``dsr suppliers add``)."""

    name: str
    role: str
    email: str
    language: str = "en"
    protocol: str | None = None
    webhook_url: str | None = None
    secret_env: str | None = None
    country: str | None = None
    aliases: Sequence[str] = ()
    note: str | None = None
    safeguard: str | None = None


def _check_role(role: str) -> str:
    role = role.strip().lower()
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def _check_language(language: str) -> str:
    language = language.strip().lower()
    if language not in LANGUAGES:
        raise UserError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    return language


def _check_email(email: str) -> str:
    try:
        return normalise_email(email)
    except InvalidIdentity as exc:
        raise UserError(str(exc)) from None


def _check_country(country: str | None) -> str | None:
    try:
        return country_code(country)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def check_transfer(country: str | None, safeguard: str | None) -> None:
    """A country outside the EEA needs the transfer's safeguard (Art. 44-49 GDPR)."""
    if needs_safeguard(country) and not safeguard:
        raise UserError(
            f"{country} is outside the EEA: give the safeguard for transfers there with "
            f'--safeguard ({", ".join(SAFEGUARDS)} or your own words, e.g. "EU-US Data '
            'Privacy Framework")'
        )


def _check_secret_env(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    name = name.strip()
    if not ENV_NAME.fullmatch(name) or name.lower().startswith("whsec_"):
        raise UserError(
            f"--secret-env takes the NAME of an environment variable (like ACME_WEBHOOK_SECRET),"
            f" not {name!r}: the secret itself never goes into dsr"
        )
    return name


def _check_delivery(protocol: str | None, url: str | None, secret_env: str | None) -> str:
    """The protocol, checked against the webhook settings it needs."""
    if protocol is None:
        protocol = "webhook" if url else "email"
    protocol = protocol.strip().lower()
    if protocol not in PROTOCOLS:
        raise UserError(f"unknown protocol {protocol!r}: use one of {', '.join(PROTOCOLS)}")
    if protocol != "email":
        if not url:
            raise UserError(f"the {protocol} protocol needs --webhook-url")
        if not secret_env:
            raise UserError(
                "a webhook needs --secret-env VAR: the environment variable holding its "
                "signing secret"
            )
    return protocol


def _check_aliases(
    session: Session, aliases: Sequence[str], name: str, own_id: int | None
) -> list[str]:
    clean: list[str] = []
    for alias in aliases:
        alias = " ".join(alias.split())
        if alias and normal_name(alias) != normal_name(name) and alias not in clean:
            clean.append(alias)
    taken = names_index(session)
    for text in [name, *clean]:
        other = taken.get(normal_name(text))
        if other is not None and other.id != own_id:
            raise UserError(f"the name {text!r} is taken by supplier {other.name!r}")
    return clean


def names_index(session: Session) -> dict[str, SupplierRow]:
    """Every supplier by its normalised name and aliases."""
    index: dict[str, SupplierRow] = {}
    for row in session.execute(sa.select(SupplierRow).order_by(SupplierRow.id)).scalars():
        for text in [row.name, *(row.aliases or [])]:
            index.setdefault(normal_name(text), row)
    return index


def add(session: Session, fields: SupplierFields, *, actor: str) -> SupplierRow:
    """Register a supplier; everything is checked before anything is written."""
    name = " ".join(fields.name.split())
    if not name:
        raise UserError("a supplier needs a name")
    if len(name) > 200:
        raise UserError("a supplier's name is at most 200 characters")
    role = _check_role(fields.role)
    language = _check_language(fields.language)
    email = _check_email(fields.email)
    url = check_url(fields.webhook_url, "--webhook-url") if fields.webhook_url else None
    secret_env = _check_secret_env(fields.secret_env)
    protocol = _check_delivery(fields.protocol, url, secret_env)
    aliases = _check_aliases(session, fields.aliases, name, None)
    country = _check_country(fields.country)
    safeguard = clean_safeguard(fields.safeguard)
    check_transfer(country, safeguard)
    row = SupplierRow(
        name=name,
        role=role,
        language=language,
        email=email,
        protocol=protocol,
        webhook_url=url,
        secret_env=secret_env,
        country=country,
        safeguard=safeguard,
        aliases=aliases,
        note=fields.note,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        "supplier.added",
        actor=actor,
        data={
            "supplier_id": row.id,
            "name": row.name,
            "role": role,
            "language": language,
            "protocol": protocol,
            "webhook": bool(url),
        },
    )
    return row


def edit(
    session: Session,
    row: SupplierRow,
    *,
    actor: str,
    role: Any = KEEP,
    email: Any = KEEP,
    language: Any = KEEP,
    protocol: Any = KEEP,
    webhook_url: Any = KEEP,
    secret_env: Any = KEEP,
    country: Any = KEEP,
    safeguard: Any = KEEP,
    aliases: Any = KEEP,
    note: Any = KEEP,
    enable_webhook: bool = False,
) -> list[str]:
    """Change a supplier; returns the names of the fields changed. A new webhook URL (or
    ``enable_webhook``) lifts the block a 410 Gone put on the endpoint."""
    changed: list[str] = []
    new: dict[str, Any] = {}
    if role is not KEEP:
        new["role"] = _check_role(role)
    if email is not KEEP:
        new["email"] = _check_email(email)
    if language is not KEEP:
        new["language"] = _check_language(language)
    if webhook_url is not KEEP:
        new["webhook_url"] = check_url(webhook_url, "--webhook-url") if webhook_url else None
    if secret_env is not KEEP:
        new["secret_env"] = _check_secret_env(secret_env)
    if country is not KEEP:
        new["country"] = _check_country(country)
    if safeguard is not KEEP:
        new["safeguard"] = clean_safeguard(safeguard)
    if "country" in new or "safeguard" in new:
        check_transfer(new.get("country", row.country), new.get("safeguard", row.safeguard))
    if note is not KEEP:
        new["note"] = note or None
    if aliases is not KEEP:
        new["aliases"] = _check_aliases(session, aliases, row.name, row.id)
    url = new.get("webhook_url", row.webhook_url)
    secret = new.get("secret_env", row.secret_env)
    if protocol is not KEEP or "webhook_url" in new or "secret_env" in new:
        wanted = protocol if protocol is not KEEP else row.protocol
        if protocol is KEEP and "webhook_url" in new and url is None:
            wanted = "email"  # the webhook was removed: back to e-mail
        elif protocol is KEEP and row.protocol == "email" and url and "webhook_url" in new:
            wanted = "webhook"
        new["protocol"] = _check_delivery(wanted, url, secret)
    for key, value in new.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    if row.webhook_disabled_at is not None and (enable_webhook or "webhook_url" in changed):
        row.webhook_disabled_at = None
        row.webhook_disabled_reason = None
        changed.append("webhook_enabled")
    if changed:
        row.updated_at = datetime.now(UTC)
        audit.append(
            session,
            "supplier.changed",
            actor=actor,
            data={"supplier_id": row.id, "name": row.name, "fields": changed},
        )
    return changed


def get(session: Session, ref: str | int) -> SupplierRow:
    """A supplier by id, or by name or alias (case-insensitively; the start of one is enough
    when it names a single supplier)."""
    text = str(ref).strip()
    if text.isdigit():
        row = session.get(SupplierRow, int(text))
        if row is not None:
            return row
    index = names_index(session)
    key = normal_name(text)
    found = index.get(key)
    if found is None and key:
        candidates = {row.id: row for name, row in index.items() if name.startswith(key)}
        if len(candidates) > 1:
            names = ", ".join(sorted(row.name for row in candidates.values()))
            raise UserError(f"{text!r} could be several suppliers: {names}")
        found = next(iter(candidates.values()), None)
    if found is None:
        raise NotFound(f"no supplier {text!r} in the register (dsr suppliers list)")
    return found


def list_all(session: Session) -> list[SupplierRow]:
    return list(session.execute(sa.select(SupplierRow).order_by(SupplierRow.name)).scalars())


def disable_webhook(session: Session, row: SupplierRow, reason: str, *, actor: str) -> None:
    """The endpoint is gone (410): notices go by e-mail until staff give a working one."""
    if row.webhook_disabled_at is not None:
        return
    row.webhook_disabled_at = datetime.now(UTC)
    row.webhook_disabled_reason = reason
    audit.append(
        session,
        "supplier.webhook_disabled",
        actor=actor,
        data={"supplier_id": row.id, "name": row.name, "reason": reason},
    )


def secret_status(row: SupplierRow) -> str | None:
    """``"set"``/``"missing"`` for a webhook supplier's secret variable, else ``None``."""
    if not row.secret_env:
        return None
    return "set" if os.environ.get(row.secret_env) else "missing"


def webhook_active(row: SupplierRow) -> bool:
    return row.protocol != "email" and bool(row.webhook_url) and row.webhook_disabled_at is None


def to_supplier(row: SupplierRow) -> Supplier:
    """The delivery layer's view of the supplier, its secret read from the environment.

    A webhook disabled by a 410 is left out, so the supplier is an e-mail supplier.
    """
    from dsr_plugins.suppliers.message import Supplier

    if not webhook_active(row):
        return Supplier(row.name, row.role, row.language, row.email)
    secret = os.environ.get(row.secret_env or "") or None
    return Supplier(
        row.name,
        row.role,
        row.language,
        row.email,
        webhook_url=row.webhook_url,
        webhook_secret=secret,
        protocol=row.protocol,
    )


def supplier_json(row: SupplierRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "language": row.language,
        "email": row.email,
        "protocol": row.protocol,
        "webhook_url": row.webhook_url,
        "secret_env": row.secret_env,
        "secret": secret_status(row),
        "webhook_disabled": row.webhook_disabled_at is not None,
        "webhook_disabled_at": row.webhook_disabled_at.isoformat()
        if row.webhook_disabled_at
        else None,
        "webhook_disabled_reason": row.webhook_disabled_reason,
        "country": row.country,
        "safeguard": row.safeguard,
        "aliases": list(row.aliases or []),
        "note": row.note,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }
