"""Disclosures: which subject's data went to which supplier, when, and which categories.

A disclosure is a *batch* of identities given to one supplier together (an e-mail address, a
phone number and a customer number sent to the carrier with a porting order), with the
categories of data and the day. It is stored as one row per identity sharing the batch id, so
that finding a subject's recipients is an indexed lookup.

Matching a request to disclosures: a batch matches when one of its identities equals one of
the request's identities (those given with the request and those the systems found):

- e-mail addresses and phone numbers (E.164) compare exactly;
- customer ids compare by value, and by system when both sides name one;
- an identity the request knows for a period only (a ported or recycled number) matches a
  disclosure of a known day only when that day lies inside the period. When the request knows
  the same value several times, its period is the union of theirs. A value given with the
  request without a period covers every day, unless a system knows the subject held it only
  for bounded periods (the CRM's number history): then those periods decide
  (:meth:`~dsr_core.model.Subject.narrowed`);
- such an identity *never* matches a disclosure whose day is unknown: the number may have been
  someone else's then. When the subject held it before the disclosure was recorded (which is
  the latest day it can have happened) and nothing else of the subject matched that supplier,
  the disclosure is reported for staff to review (:func:`undated`): the notice waits in state
  ``review`` until staff check whose it was;
- names are recorded (the supplier knows the person by name) but never matched on.

What a supplier's notice names is the identities of the matching batches that are the
subject's: those that matched by themselves, and a name equal to the subject's. Never the other
identities of a batch: a batch recorded for a number before it was recycled holds the previous
holder's e-mail address, which the new holder's notice must not disclose.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit
from ..errors import UserError
from ..identities import InvalidIdentity, normalise_email, normalise_phone
from ..model import Identity, Period, Subject
from ..store.models import DisclosureRow, SupplierRow

if TYPE_CHECKING:
    from ..engine.context import EngineContext
    from ..export.types import Recipient

#: Identity kinds a disclosure records; all but ``name`` are matched on.
KINDS = ("name", "customer_id", "email", "phone")
MATCHED = frozenset({"customer_id", "email", "phone"})
_ORDER = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Held:
    """One identity a supplier holds."""

    kind: str
    value: str
    system: str | None = None


@dataclass
class Match:
    """A supplier that received some of the subject's data, as the register knows it.

    ``held`` is what the supplier holds that is the subject's (see the module docstring): what
    its notice names.
    """

    supplier: SupplierRow
    held: list[Held] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    since: date | None = None
    batches: set[str] = field(default_factory=set)

    def pairs(self) -> list[tuple[str, str]]:
        """``(kind, value)`` of what the supplier holds, names first, without repeats."""
        return _pairs(self.held)


@dataclass
class Undated:
    """A supplier given, on an unknown day, an identity the subject held only for a period.

    Nothing else of the subject matched it, so whether it holds the subject's data is for
    staff to check: ``periods`` are the days the subject held ``held``.
    """

    supplier: SupplierRow
    held: list[Held] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)

    def pairs(self) -> list[tuple[str, str]]:
        return _pairs(self.held)

    def reason(self) -> str:
        """One line for staff, without the identifiers themselves."""
        kinds = sorted({_KIND_WORDS.get(h.kind, h.kind) for h in self.held})
        when = " and ".join(_spell(p) for p in self.periods) or "on no day"
        return (
            f"{self.supplier.name} was given the subject's {' and '.join(kinds)} on an unknown "
            f"day, and the subject held it only {when}: it may have been someone else's then"
        )


def _spell(period: Period) -> str:
    start = period.start.isoformat() if period.start else None
    end = period.end.isoformat() if period.end else None
    if start and end:
        return f"from {start} to {end}"
    return f"from {start}" if start else f"until {end}"


_KIND_WORDS = {"phone": "phone number", "email": "e-mail address", "customer_id": "customer id"}


def _pairs(held: Iterable[Held]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for item in sorted(held, key=lambda h: (_ORDER.get(h.kind, 9), h.value)):
        pair = (item.kind, item.value)
        if pair not in seen:
            seen.append(pair)
    return seen


def parse_identities(
    *,
    names: Sequence[str] = (),
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    customer_ids: Sequence[str] = (),
    region: str = "BE",
) -> list[Held]:
    """What staff typed, normalised like a request's identities; a bad one is refused."""
    held: list[Held] = []
    try:
        for raw in emails:
            held.append(Held("email", normalise_email(raw)))
        for raw in phones:
            held.append(Held("phone", normalise_phone(raw, region)))
    except InvalidIdentity as exc:
        raise UserError(str(exc)) from None
    for raw in customer_ids:
        text = raw.strip()
        if not text:
            raise UserError("an empty customer id was given")
        system, sep, ident = text.partition(":")
        if sep and system and ident and " " not in system:
            held.append(Held("customer_id", ident, system))
        else:
            held.append(Held("customer_id", text))
    for raw in names:
        name = " ".join(raw.split())
        if name:
            held.append(Held("name", name))
    unique: list[Held] = []
    for item in held:
        if item not in unique:
            unique.append(item)
    return unique


def _categories(categories: Iterable[str]) -> list[str]:
    clean: list[str] = []
    for category in categories:
        text = category.strip().lower()
        if text and text not in clean:
            clean.append(text)
    return clean


def record(
    session: Session,
    supplier: SupplierRow,
    held: Sequence[Held],
    *,
    categories: Iterable[str],
    actor: str,
    on: date | None = None,
    source: str = "staff",
    request_id: int | None = None,
    note: str | None = None,
) -> str:
    """Record one disclosure batch; returns its batch id."""
    if not any(h.kind in MATCHED for h in held):
        raise UserError(
            "a disclosure needs an identity to match requests on: --email, --phone or "
            "--customer-id (a name alone is not enough)"
        )
    cats = _categories(categories)
    if not cats:
        raise UserError("say which categories of data were disclosed: --category (repeatable)")
    batch = uuid.uuid4().hex
    for item in held:
        session.add(
            DisclosureRow(
                supplier_id=supplier.id,
                batch=batch,
                kind=item.kind,
                value=item.value,
                system=item.system,
                categories=cats,
                disclosed_on=on,
                source=source,
                request_id=request_id,
                note=note,
                created_by=actor,
            )
        )
    session.flush()
    counts: dict[str, int] = {}
    for item in held:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    audit.append(
        session,
        "disclosure.recorded",
        actor=actor,
        request_id=request_id,
        data={
            "supplier": supplier.name,
            "batch": batch,
            "identities": counts,
            "categories": cats,
            "on": on.isoformat() if on else None,
            "source": source,
        },
    )
    return batch


class _Verdict(enum.Enum):
    MATCH = "match"
    UNDATED = "undated"  # the subject held it for a period only, and the day is unknown
    NO = "no"


def _same(row: DisclosureRow, ident: Identity) -> bool:
    if row.kind != ident.kind.value or row.value != ident.value:
        return False
    return not (
        row.kind == "customer_id" and row.system and ident.system and row.system != ident.system
    )


def _verdict(row: DisclosureRow, idents: Sequence[Identity]) -> tuple[_Verdict, tuple[Period, ...]]:
    """Whether the disclosed identity ``row`` is the subject's, and the days it was."""
    if row.kind not in MATCHED:
        return _Verdict.NO, ()
    periods = [p for i in idents if _same(row, i) and (p := i.period) is not None]
    days = Period.union(periods)
    if not days:
        return _Verdict.NO, ()
    if days == (Period(),):  # the subject's on every day: the day does not matter
        return _Verdict.MATCH, days
    if row.disclosed_on is None:
        # the day is unknown, but not later than the day it was recorded (a day's slack for
        # the timezone): a number the subject got after that was someone else's then
        recorded = Period(None, row.created_at.date() + timedelta(days=1))
        # the periods themselves (not cut at the recording day) are what staff are told
        possible = tuple(p for p in days if p.intersection(recorded) is not None)
        return (_Verdict.UNDATED, possible) if possible else (_Verdict.NO, ())
    if any(p.covers(row.disclosed_on) for p in days):
        return _Verdict.MATCH, days
    return _Verdict.NO, days


def _names(subject: Subject) -> set[str]:
    names = {subject.name, *(i.value for i in subject.identities if i.kind.value == "name")}
    return {" ".join(n.split()).casefold() for n in names if n.strip()}


def _scan(session: Session, subject: Subject) -> tuple[list[Match], list[Undated]]:
    idents = [i for i in subject.narrowed().identities if i.kind.value in MATCHED]
    if not idents:
        return [], []
    pairs = {(i.kind.value, i.value) for i in idents}
    candidates = session.execute(
        sa.select(DisclosureRow).where(
            sa.or_(*[sa.and_(DisclosureRow.kind == k, DisclosureRow.value == v) for k, v in pairs])
        )
    ).scalars()
    matched: set[str] = set()
    undated: set[str] = set()
    for row in candidates:
        verdict, _ = _verdict(row, idents)
        if verdict == _Verdict.MATCH:
            matched.add(row.batch)
        elif verdict == _Verdict.UNDATED:
            undated.add(row.batch)
    if not matched and not undated:
        return [], []
    rows = session.execute(
        sa.select(DisclosureRow, SupplierRow)
        .join(SupplierRow, SupplierRow.id == DisclosureRow.supplier_id)
        .where(DisclosureRow.batch.in_(sorted(matched | undated)))
        .order_by(DisclosureRow.id)
    ).all()
    names = _names(subject)
    found: dict[int, Match] = {}
    unsure: dict[int, Undated] = {}
    for row, supplier in rows:
        verdict, days = _verdict(row, idents)
        held = Held(row.kind, row.value, row.system)
        if row.batch in matched:
            entry = found.setdefault(supplier.id, Match(supplier))
            entry.batches.add(row.batch)
            is_subjects = verdict == _Verdict.MATCH or (
                row.kind == "name" and " ".join(row.value.split()).casefold() in names
            )
            if is_subjects and held not in entry.held:
                entry.held.append(held)
            for category in row.categories or []:
                if category not in entry.categories:
                    entry.categories.append(category)
            if row.disclosed_on and (entry.since is None or row.disclosed_on < entry.since):
                entry.since = row.disclosed_on
        elif verdict == _Verdict.UNDATED:
            item = unsure.setdefault(supplier.id, Undated(supplier))
            item.batches.add(row.batch)
            if held not in item.held:
                item.held.append(held)
            item.periods = list(Period.union([*item.periods, *days]))

    def by_name(entry: Match | Undated) -> str:
        return entry.supplier.name.casefold()

    reviews = [u for sid, u in unsure.items() if sid not in found]
    return sorted(found.values(), key=by_name), sorted(reviews, key=by_name)


def recipients(session: Session, subject: Subject) -> list[Match]:
    """The suppliers holding some of the subject's data, by supplier name."""
    return _scan(session, subject)[0]


def undated(session: Session, subject: Subject) -> list[Undated]:
    """Suppliers that may hold the subject's data: given, on an unknown day, an identity the
    subject held only for a period, and matched by nothing else. Staff decide."""
    return _scan(session, subject)[1]


def recipients_and_undated(session: Session, subject: Subject) -> tuple[list[Match], list[Undated]]:
    """:func:`recipients` and :func:`undated` in one pass."""
    return _scan(session, subject)


def recipients_of_request(session: Session, request_id: int | str) -> list[Recipient]:
    """The actual recipients of a request's subject (Art. 15(1)(c)), for the export report."""
    from .. import requests as reqs
    from ..export.types import Recipient

    row = reqs.get(session, request_id)
    return [
        Recipient(
            name=r.supplier.name,
            role=r.supplier.role,
            categories=tuple(r.categories),
            since=r.since,
            country=r.supplier.country or "",
            safeguard=r.supplier.safeguard or "",
        )
        for r in recipients(session, reqs.subject_of(row))
    ]


def recipient_source(ctx: EngineContext, request_id: int) -> list[Recipient]:
    """The export's recipient source (``dsr_core.export_source.add_recipient_source``): the
    register's, those named in the records and the standing ones (:mod:`.accounting`)."""
    from .accounting import report_recipients

    return report_recipients(ctx, request_id)


def recipient_json(entry: Match, *, identities: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "supplier_id": entry.supplier.id,
        "name": entry.supplier.name,
        "role": entry.supplier.role,
        "country": entry.supplier.country,
        "categories": list(entry.categories),
        "since": entry.since.isoformat() if entry.since else None,
        "disclosures": len(entry.batches),
    }
    if identities:
        data["identities"] = [{"kind": k, "value": v} for k, v in entry.pairs()]
    return data


def batches_of(session: Session, supplier: SupplierRow) -> list[dict[str, Any]]:
    """A supplier's disclosures, one entry per batch, newest first (for ``suppliers show``)."""
    rows = session.execute(
        sa.select(DisclosureRow)
        .where(DisclosureRow.supplier_id == supplier.id)
        .order_by(DisclosureRow.id)
    ).scalars()
    batches: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = batches.setdefault(
            row.batch,
            {
                "batch": row.batch,
                "on": row.disclosed_on.isoformat() if row.disclosed_on else None,
                "categories": list(row.categories or []),
                "source": row.source,
                "request_id": row.request_id,
                "note": row.note,
                "identities": [],
                "recorded_at": row.created_at.isoformat(),
                "recorded_by": row.created_by,
            },
        )
        entry["identities"].append({"kind": row.kind, "value": row.value, "system": row.system})
    return list(reversed(batches.values()))


def derived_exists(
    session: Session, supplier: SupplierRow, held: Sequence[Held], source: str
) -> bool:
    """True when ``source`` recorded these very identities for the supplier already."""
    matched = [h for h in held if h.kind in MATCHED]
    if not matched:
        return False
    rows = session.execute(
        sa.select(DisclosureRow).where(
            DisclosureRow.supplier_id == supplier.id,
            DisclosureRow.source == source,
            sa.or_(
                *[
                    sa.and_(DisclosureRow.kind == h.kind, DisclosureRow.value == h.value)
                    for h in matched
                ]
            ),
        )
    ).scalars()
    by_batch: dict[str, set[Held]] = {}
    for row in rows:
        by_batch.setdefault(row.batch, set()).add(Held(row.kind, row.value, row.system))
    return any(set(matched) <= found for found in by_batch.values())


__all__ = [
    "Held",
    "Match",
    "Undated",
    "batches_of",
    "derived_exists",
    "parse_identities",
    "recipients",
    "recipient_source",
    "recipients_and_undated",
    "recipients_of_request",
    "record",
    "undated",
]
