"""Every recipient an access report must name (Art. 15(1)(c)), and those staff must check.

Three sources, one list:

- the **register**: suppliers a disclosure of the subject's data was recorded for
  (:func:`.disclosures.recipients_of_request`);
- the **standing recipients** of ``[[recipients]]`` in ``dsr.toml``: they receive every
  customer's data (the accountant, the hosting provider, processors);
- values **named in the subject's records**: a field whose kind is ``recipient``
  (``System.fields``, docs/plugins.md; e.g. a CRM ``carrier`` column holding "Numa Mobile")
  or the ``field`` of a ``[[notices.derive]]`` rule. A value is matched by name (case and
  spaces ignored) to a recipient already listed, a standing recipient or a supplier of the
  register (names and aliases); a supplier matched so is listed although no disclosure was
  recorded. A value matching nothing is still listed, with source ``records`` and no role:
  the report never says "no one" while the subject's own data names a recipient, and staff
  are told (:func:`unmatched`, ``dsr export``, ``dsr request show``, exit code 5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import audit
from ..errors import UserError
from ..model import RequestKind
from .register import names_index, normal_name
from .settings import load

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..config import StandingRecipient
    from ..engine.context import EngineContext
    from ..export.types import Recipient

#: The field kind naming a third party the data is disclosed to (``dsr_core.fields.KINDS``).
RECIPIENT_KIND = "recipient"


@dataclass
class _Fields:
    """Which fields of one system name a recipient: ``category.field`` keys and bare names."""

    kinds: Mapping[str, Any] = field(default_factory=dict)
    derived: set[tuple[str | None, str]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.derived) or any(_kind(f) == RECIPIENT_KIND for f in self.kinds.values())

    def names_recipient(self, category: str, name: str) -> bool:
        declared = self.kinds.get(f"{category}.{name}", self.kinds.get(name))
        if declared is not None and _kind(declared) == RECIPIENT_KIND:
            return True
        return (None, name) in self.derived or (category, name) in self.derived


def _kind(declared: Any) -> str | None:
    kind = getattr(declared, "kind", None)
    return str(kind) if kind is not None else None


def _declared_fields(ctx: EngineContext, system: str) -> Mapping[str, Any]:
    """The system's ``fields`` as its built instance declares them (a plugin may set them
    from its config), else as its type does (a system that cannot be built here, e.g. its
    password variable is not set in this shell)."""
    try:
        declared = getattr(ctx.build(system), "fields", None)
    except Exception:  # noqa: BLE001 - any failure to build falls back to the type's
        try:
            declared = getattr(ctx.system_type(system), "fields", None)
        except UserError:
            declared = None
    return declared if isinstance(declared, Mapping) else {}


def recipient_fields(ctx: EngineContext, system: str) -> _Fields:
    found = _Fields(kinds=_declared_fields(ctx, system))
    for rule in load(ctx.config).derive:
        if rule.system == system:
            for category in rule.from_categories or (None,):
                found.derived.add((category, rule.field))
    return found


@dataclass(frozen=True)
class Named:
    """A recipient's name as a record of the subject gives it."""

    value: str
    system: str
    category: str
    field: str

    @property
    def where(self) -> str:
        return f"{self.system}.{self.field}"


def named_in_records(ctx: EngineContext, request_id: int) -> list[Named]:
    """The distinct values of recipient fields in what the request's finished tasks stored
    (the records of an access or portability request; the outcomes' fields otherwise). Only
    systems declaring such a field are read."""
    from .. import requests as reqs
    from ..engine import results

    with ctx.store.session(readonly=True) as session:
        row = reqs.get(session, request_id)
        kind = RequestKind(row.kind)
        tasks = [(t.id, t.system, t.state, dict(t.summary or {})) for t in row.tasks]
    found: dict[str, Named] = {}
    for task_id, system, state, summary in tasks:
        attempt = summary.get("attempt")
        if state != "done" or not attempt or system not in ctx.config.systems:
            continue
        fields = recipient_fields(ctx, system)
        if not fields:
            continue
        items: Iterable[Any]
        if kind in (RequestKind.ACCESS, RequestKind.PORTABILITY):
            items = results.records(ctx.store, task_id, attempt)
        else:
            items = results.merged_outcomes(ctx.store, task_id)
        for item in items:
            for name, value in (item.fields or {}).items():
                if not isinstance(value, str) or not value.strip():
                    continue
                if fields.names_recipient(item.category, name):
                    text = " ".join(value.split())
                    found.setdefault(normal_name(text), Named(text, system, item.category, name))
    return list(found.values())


def _standing(entry: StandingRecipient) -> Recipient:
    from ..export.types import Recipient

    return Recipient(
        name=entry.name,
        role=entry.role,
        categories=entry.categories,
        country=entry.country,
        safeguard=entry.safeguard or "",
        purpose=entry.purpose,
        source="standing",
    )


def report_recipients(ctx: EngineContext, request_id: int) -> list[Recipient]:
    """What the report lists: the register's, then those named in the records (known
    suppliers, then unmatched values), then, in an access report, the standing recipients
    (a changing request's report lists those its Art. 19 notices go to: the register's)."""
    from .. import requests as reqs
    from ..export.types import Recipient
    from .disclosures import recipients_of_request

    with ctx.store.session(readonly=True) as session:
        kind = RequestKind(reqs.get(session, request_id).kind)
        actual = recipients_of_request(session, request_id)
        index = names_index(session)
        session.expunge_all()
    standing = [] if kind.changes_data else [_standing(s) for s in ctx.config.recipients]
    known: set[str] = set()
    for entry in ctx.config.recipients:
        known.update(normal_name(n) for n in (entry.name, *entry.aliases))
    for r in actual:
        known.add(normal_name(r.name))
        supplier = index.get(normal_name(r.name))
        if supplier is not None:
            known.update(normal_name(a) for a in supplier.aliases or [])
    named: list[Recipient] = []
    for item in named_in_records(ctx, request_id):
        key = normal_name(item.value)
        if key in known:
            continue
        supplier = index.get(key)
        if supplier is not None:
            known.update(normal_name(n) for n in (supplier.name, *(supplier.aliases or [])))
            named.append(
                Recipient(
                    name=supplier.name,
                    role=supplier.role,
                    categories=(item.category,),
                    country=supplier.country or "",
                    safeguard=supplier.safeguard or "",
                    source="register",
                    named_in=(item.where,),
                )
            )
            continue
        known.add(key)
        named.append(
            Recipient(
                name=item.value,
                role="",
                categories=(item.category,),
                source="records",
                named_in=(item.where,),
            )
        )
    return [*actual, *named, *standing]


def unmatched(recipients: Iterable[Recipient]) -> list[Recipient]:
    """Recipients named in the subject's records that neither the register nor
    ``[[recipients]]`` knows: staff must add them (or an alias) and tell the subject."""
    return [r for r in recipients if r.source == "records"]


def warning_line(recipient: Recipient) -> str:
    """The staff's warning for one unmatched recipient (its name, which staff must see)."""
    where = ", ".join(recipient.named_in) or "a record"
    return (
        f"dsr: warning: {where} names recipient {recipient.name!r}, which is neither in the "
        "suppliers register nor in [[recipients]]: add it (dsr suppliers add, or an --alias); "
        "the report lists it without role or country"
    )


def record_unmatched(
    session: Session, recipients: Iterable[Recipient], *, actor: str, request_id: int
) -> None:
    """The ``recipients.unmatched`` audit event: how many, and in which fields (never the
    names: the trail holds no subject data)."""
    missing = unmatched(recipients)
    if not missing:
        return
    audit.append(
        session,
        "recipients.unmatched",
        actor=actor,
        request_id=request_id,
        data={
            "count": len(missing),
            "fields": sorted({w for r in missing for w in r.named_in}),
        },
    )
