"""Disclosures derived from another system: a CRM column naming the carrier.

A rule in ``dsr.toml``::

    [[notices.derive]]
    system = "crm"                  # a configured system
    field = "carrier"               # a record field naming a supplier (its name or an alias)
    from_categories = ["line"]      # optional: only records of these categories
    categories = ["contact", "line"]   # optional: what was disclosed (default: the record's)
    identities = { phone = "number" }  # optional: what the supplier got, from record fields
    date_field = "ported_on"        # optional: the day of the disclosure

For each record of ``system`` about the subject whose ``field`` names a registered supplier,
a disclosure is recorded (source ``derived:<system>``, once: the same identities are not
recorded twice). The identities the supplier holds are the record's ``identities`` fields when
the rule names them, else the identities the system located the subject by.

Where the records come from:

- after a request's tasks finished, from the results the system's task stored (the records of
  an access or portability request; the outcomes of another kind, when a system reports the
  field there);
- for erasure, rectification and restriction, whose records may be gone once the system has
  acted, from a read-only look-up (``locate`` + ``access``) when the request is recorded, so
  that the notices know every recipient; ``dsr suppliers derive REQUEST`` does the same on
  demand.

Values naming no registered supplier are counted and shown (add the supplier, or an alias).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .. import requests as reqs
from ..identities import InvalidIdentity, normalise_email, normalise_phone
from ..model import Identity, RequestKind
from ..store.models import SupplierRow
from .disclosures import MATCHED, Held, derived_exists, record
from .register import names_index, normal_name
from .settings import DeriveRule, load

if TYPE_CHECKING:
    from ..engine.context import EngineContext


@dataclass
class DeriveReport:
    """What one derivation found: new disclosures per supplier, unknown names, errors."""

    recorded: dict[str, int] = field(default_factory=dict)
    already_known: int = 0
    unknown_names: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "recorded": dict(self.recorded),
            "already_known": self.already_known,
            "unknown_names": sorted(self.unknown_names),
            "errors": list(self.errors),
        }


@dataclass
class _Found:
    categories: list[str] = field(default_factory=list)
    on: date | None = None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _held_from_fields(rule: DeriveRule, fields: Mapping[str, Any], region: str) -> tuple[Held, ...]:
    held: list[Held] = []
    for kind, name in rule.identities.items():
        raw = fields.get(name)
        if raw is None or str(raw).strip() == "":
            continue
        text = str(raw).strip()
        try:
            if kind == "email":
                text = normalise_email(text)
            elif kind == "phone":
                text = normalise_phone(text, region)
        except InvalidIdentity:
            continue
        held.append(Held(kind, text, rule.system if kind == "customer_id" else None))
    return tuple(held)


def _held_from_keys(keys: Iterable[Identity]) -> tuple[Held, ...]:
    held: list[Held] = []
    for key in keys:
        item = Held(key.kind.value, key.value, key.system)
        if item.kind in MATCHED and item not in held:
            held.append(item)
    return tuple(held)


def _collect(
    rule: DeriveRule,
    items: Iterable[Any],
    keys: Sequence[Identity],
    index: Mapping[str, SupplierRow],
    region: str,
    found: dict[tuple[int, tuple[Held, ...]], _Found],
    report: DeriveReport,
) -> None:
    default_held = _held_from_keys(keys)
    for item in items:
        if rule.from_categories and item.category not in rule.from_categories:
            continue
        fields = item.fields or {}
        name = fields.get(rule.field)
        if not isinstance(name, str) or not name.strip():
            continue
        supplier = index.get(normal_name(name))
        if supplier is None:
            report.unknown_names.add(" ".join(name.split()))
            continue
        held = _held_from_fields(rule, fields, region) if rule.identities else default_held
        if not any(h.kind in MATCHED for h in held):
            continue
        entry = found.setdefault((supplier.id, held), _Found())
        for category in rule.categories or (item.category or "other",):
            if category not in entry.categories:
                entry.categories.append(category)
        day = _day(fields.get(rule.date_field)) if rule.date_field else None
        if day is not None and (entry.on is None or day < entry.on):
            entry.on = day


def _save(
    ctx: EngineContext,
    request_id: int,
    rule: DeriveRule,
    found: dict[tuple[int, tuple[Held, ...]], _Found],
    report: DeriveReport,
) -> None:
    if not found:
        return
    source = f"derived:{rule.system}"
    with ctx.store.session() as session:
        for (supplier_id, held), entry in found.items():
            supplier = session.get(SupplierRow, supplier_id)
            if supplier is None:
                continue
            if derived_exists(session, supplier, held, source):
                report.already_known += 1
                continue
            record(
                session,
                supplier,
                held,
                categories=entry.categories,
                actor=ctx.actor,
                on=entry.on,
                source=source,
                request_id=request_id,
            )
            report.recorded[supplier.name] = report.recorded.get(supplier.name, 0) + 1


def _index(ctx: EngineContext) -> dict[str, SupplierRow]:
    with ctx.store.session(readonly=True) as session:
        index = names_index(session)
        session.expunge_all()
    return index


def from_results(ctx: EngineContext, request_id: int) -> DeriveReport:
    """Derive from what the request's finished tasks stored (no system is contacted)."""
    from ..engine import results

    report = DeriveReport()
    rules = load(ctx.config).derive
    if not rules:
        return report
    with ctx.store.session(readonly=True) as session:
        row = reqs.get(session, request_id)
        kind = RequestKind(row.kind)
        tasks = {t.system: (t.id, t.state, dict(t.summary or {}), t.keys) for t in row.tasks}
    index = _index(ctx)
    region = ctx.config.controller.country
    for rule in rules:
        task = tasks.get(rule.system)
        if task is None or task[1] != "done" or not task[2].get("attempt"):
            continue
        task_id, _, summary, keys_json = task
        keys = [Identity.from_json(k) for k in (keys_json or {}).get("identities", [])]
        items: Iterable[Any]
        if kind in (RequestKind.ACCESS, RequestKind.PORTABILITY):
            items = results.records(ctx.store, task_id, summary["attempt"])
        else:
            items = results.merged_outcomes(ctx.store, task_id)
        found: dict[tuple[int, tuple[Held, ...]], _Found] = {}
        _collect(rule, items, keys, index, region, found, report)
        _save(ctx, request_id, rule, found, report)
    return report


def from_systems(ctx: EngineContext, request_id: int | str) -> DeriveReport:
    """Derive by reading the rules' systems now (``locate`` + ``access``, read-only)."""
    from ..engine.calls import describe_error

    report = DeriveReport()
    rules = load(ctx.config).derive
    if not rules:
        return report
    with ctx.store.session(readonly=True) as session:
        row = reqs.get(session, request_id)
        rid = row.id
        subject = reqs.subject_of(row)
    index = _index(ctx)
    region = ctx.config.controller.country
    for rule in rules:
        found: dict[tuple[int, tuple[Held, ...]], _Found] = {}
        try:
            system = ctx.build(rule.system)
            keys = list(system.locate(subject))
            if keys:
                located = subject.with_identities(keys)
                _collect(rule, system.access(located, keys), keys, index, region, found, report)
        except Exception as exc:  # noqa: BLE001 - one system's failure is reported, not raised
            report.errors.append(f"{rule.system}: {describe_error(exc)}")
            continue
        _save(ctx, rid, rule, found, report)
    return report


def needs_lookup(ctx: EngineContext, kind: RequestKind) -> bool:
    """Whether a request of ``kind`` should read the rules' systems when it is recorded."""
    return kind.notifies_recipients and bool(load(ctx.config).derive)
