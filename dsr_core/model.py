"""Plain value types shared by the core and every plugin.

Nothing here touches the database, the network or a specific system: these are the words the
core and the plugins speak to each other.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple


class RequestKind(enum.StrEnum):
    """The data-subject rights dsr handles, named after what the subject asks for, and the
    one event that is not a GDPR request: the end of the customer's contract (``termination``),
    after which the controller erases what it promised to erase (``on_termination`` per
    system)."""

    ACCESS = "access"  # Art. 15
    PORTABILITY = "portability"  # Art. 20
    ERASURE = "erasure"  # Art. 17
    RECTIFICATION = "rectification"  # Art. 16
    RESTRICTION = "restriction"  # Art. 18
    OBJECTION = "objection"  # Art. 21(2)-(3): direct marketing
    TERMINATION = "termination"  # not a GDPR right: the contract ended (docs/termination.md)

    @property
    def article(self) -> str:
        """The GDPR article of the right; empty for a termination, which is not one."""
        return _ARTICLES.get(self, "")

    @property
    def is_gdpr(self) -> bool:
        """A data-subject request under the GDPR: an Art. 12(3) deadline, a letter to the
        subject, counted as a request. A termination is none of these."""
        return self in _ARTICLES

    @property
    def notifies_recipients(self) -> bool:
        """Art. 19: erasure, rectification and restriction are passed on to every recipient."""
        return self in (RequestKind.ERASURE, RequestKind.RECTIFICATION, RequestKind.RESTRICTION)

    @property
    def changes_data(self) -> bool:
        return self not in (RequestKind.ACCESS, RequestKind.PORTABILITY)

    @property
    def erases(self) -> bool:
        """The act erases: an erasure, or a termination in the systems set to erase then."""
        return self in (RequestKind.ERASURE, RequestKind.TERMINATION)


_ARTICLES = {
    RequestKind.ACCESS: "15",
    RequestKind.PORTABILITY: "20",
    RequestKind.ERASURE: "17",
    RequestKind.RECTIFICATION: "16",
    RequestKind.RESTRICTION: "18",
    RequestKind.OBJECTION: "21",
}


class RequestState(enum.StrEnum):
    RECEIVED = "received"
    IDENTITY_VERIFIED = "identity_verified"
    IN_PROGRESS = "in_progress"
    AWAITING_CONFIRMATIONS = "awaiting_confirmations"
    #: every task finished and no recipient waits: the subject is owed the answer, the
    #: "information on action taken" of Art. 12(3) (``dsr request answer`` completes it)
    AWAITING_ANSWER = "awaiting_answer"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self not in (RequestState.COMPLETED, RequestState.REJECTED, RequestState.WITHDRAWN)


#: The only legal moves of a request. Anything else is refused with a one-line error.
TRANSITIONS: Mapping[RequestState, frozenset[RequestState]] = {
    RequestState.RECEIVED: frozenset(
        {RequestState.IDENTITY_VERIFIED, RequestState.REJECTED, RequestState.WITHDRAWN}
    ),
    RequestState.IDENTITY_VERIFIED: frozenset(
        {RequestState.IN_PROGRESS, RequestState.REJECTED, RequestState.WITHDRAWN}
    ),
    RequestState.IN_PROGRESS: frozenset(
        {
            RequestState.AWAITING_CONFIRMATIONS,
            RequestState.AWAITING_ANSWER,
            RequestState.COMPLETED,
            RequestState.WITHDRAWN,
        }
    ),
    RequestState.AWAITING_CONFIRMATIONS: frozenset(
        {
            RequestState.IN_PROGRESS,
            RequestState.AWAITING_ANSWER,
            RequestState.COMPLETED,
            RequestState.WITHDRAWN,
        }
    ),
    # a run again (new or retried tasks), a recipient found later, the answer, a withdrawal
    RequestState.AWAITING_ANSWER: frozenset(
        {
            RequestState.IN_PROGRESS,
            RequestState.AWAITING_CONFIRMATIONS,
            RequestState.COMPLETED,
            RequestState.WITHDRAWN,
        }
    ),
    RequestState.COMPLETED: frozenset(),
    RequestState.REJECTED: frozenset(),
    RequestState.WITHDRAWN: frozenset(),
}


class TaskState(enum.StrEnum):
    PENDING = "pending"  # not started, or to be retried
    RUNNING = "running"  # claimed by a runner holding a lease
    DONE = "done"
    FAILED = "failed"  # the system's message is on the task; a new run retries it
    MANUAL = "manual"  # waits for staff: `dsr tasks done`
    SKIPPED = "skipped"  # the system holds nothing of the subject
    # found nothing while another system's locate failed (it may hold identities this one
    # needs): unfinished, the request needs attention, and the next run locates again
    NOT_SEARCHED = "not_searched"


class IdentityKind(enum.StrEnum):
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"  # E.164
    CUSTOMER_ID = "customer_id"
    VAT = "vat"
    EXTENSION = "extension"  # an internal PBX extension, only when a system maps it
    OTHER = "other"


@dataclass(frozen=True, slots=True, eq=True)
class Period:
    """A span of days, both ends inclusive; ``None`` leaves that end open.

    A value type: frozen, hashable and totally ordered, so identities that carry one can be
    sorted and compared whatever their ends. The order is by start, then by end, where an open
    start comes before any day and an open end after any day::

        Period(None, e) < Period(None, None) < Period(d, e) < Period(d, None)   # for d <= e

    A period is never empty: ``Period(start, end)`` with ``start`` after ``end`` is refused
    with ``ValueError`` (:meth:`of` returns None for it instead). Two periods that overlap or
    touch (one ends the day before the other starts) :meth:`merge` into one; :meth:`union`
    reduces any number of periods to the fewest disjoint ones, in order.
    """

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(
                f"a period cannot end ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})"
            )

    @classmethod
    def of(cls, start: date | None, end: date | None) -> Period | None:
        """The period from ``start`` to ``end``, or None when it holds no day at all."""
        if start is not None and end is not None and start > end:
            return None
        return cls(start, end)

    @classmethod
    def union(cls, periods: Iterable[Period]) -> tuple[Period, ...]:
        """The days of all ``periods`` as the fewest disjoint periods, earliest first."""
        merged: list[Period] = []
        for period in sorted(periods):
            if merged and merged[-1].touches(period):
                merged[-1] = merged[-1].merge(period)
            else:
                merged.append(period)
        return tuple(merged)

    # -- order ---------------------------------------------------------------------------
    @property
    def sort_key(self) -> tuple[int, date, int, date]:
        """Open start first, open end last; plain dates in between."""
        return (
            0 if self.start is None else 1,
            self.start or date.min,
            1 if self.end is None else 0,
            self.end or date.max,
        )

    def __lt__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key < other.sort_key

    def __le__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key <= other.sort_key

    def __gt__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key > other.sort_key

    def __ge__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key >= other.sort_key

    # -- days ----------------------------------------------------------------------------
    @property
    def is_bounded(self) -> bool:
        """True when at least one end is set: the identity held only for a while."""
        return self.start is not None or self.end is not None

    def covers(self, day: date) -> bool:
        """True when ``day`` lies inside the period."""
        if self.start is not None and day < self.start:
            return False
        return self.end is None or day <= self.end

    def overlaps(self, other: Period) -> bool:
        """True when the two periods share at least one day."""
        return self.intersection(other) is not None

    def touches(self, other: Period) -> bool:
        """True when the two periods overlap or one ends the day before the other starts."""
        first, second = sorted((self, other))
        if first.end is None or second.start is None:
            return True
        return second.start <= first.end or (
            first.end < date.max and second.start == first.end + timedelta(days=1)
        )

    def merge(self, other: Period) -> Period:
        """The one period holding the days of both; ``ValueError`` when a gap lies between."""
        if not self.touches(other):
            raise ValueError(f"{self} and {other} have days between them: no single period")
        start = None if self.start is None or other.start is None else min(self.start, other.start)
        end = None if self.end is None or other.end is None else max(self.end, other.end)
        return Period(start, end)

    def intersection(self, other: Period) -> Period | None:
        """The days both periods hold, or None when they share none."""
        starts = [d for d in (self.start, other.start) if d is not None]
        ends = [d for d in (self.end, other.end) if d is not None]
        return Period.of(max(starts) if starts else None, min(ends) if ends else None)

    def __str__(self) -> str:
        start = self.start.isoformat() if self.start else "…"
        end = self.end.isoformat() if self.end else "…"
        return f"{start} to {end}"


@dataclass(frozen=True, slots=True)
class Identity:
    """One way of recognising the subject.

    ``valid_from``/``valid_to`` bound the period the identity belonged to the subject (a phone
    number that was ported or recycled): both inclusive, ``None`` meaning open-ended; compare,
    sort and merge them through :attr:`period`, never as raw dates (``None`` does not order).
    ``system`` qualifies identities that only mean something in one system (a CRM customer id);
    ``source`` names who contributed it: ``"request"`` or a system name.
    """

    kind: IdentityKind
    value: str
    valid_from: date | None = None
    valid_to: date | None = None
    system: str | None = None
    source: str = "request"

    @property
    def period(self) -> Period | None:
        """When the identity was the subject's; None when ``valid_to`` lies before
        ``valid_from`` (bad source data: it was the subject's on no day)."""
        return Period.of(self.valid_from, self.valid_to)

    @property
    def is_bounded(self) -> bool:
        """True when the identity was the subject's for a period only (or on no day)."""
        period = self.period
        return period is None or period.is_bounded

    def covers(self, day: date) -> bool:
        """True when the identity belonged to the subject on ``day``."""
        period = self.period
        return period is not None and period.covers(day)

    @property
    def key(self) -> tuple[str, str, str, tuple[int, date, int, date] | tuple[()]]:
        """What makes two identities the same, whoever contributed them; also a total order
        (by kind, value, system, then period; one that held on no day sorts first)."""
        period = self.period
        return (
            self.kind.value,
            self.value,
            self.system or "",
            period.sort_key if period is not None else (),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "value": self.value,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "system": self.system,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Identity:
        return cls(
            kind=IdentityKind(data["kind"]),
            value=data["value"],
            valid_from=date.fromisoformat(data["valid_from"]) if data.get("valid_from") else None,
            valid_to=date.fromisoformat(data["valid_to"]) if data.get("valid_to") else None,
            system=data.get("system"),
            source=data.get("source", "request"),
        )


@dataclass(frozen=True, slots=True)
class Subject:
    """The person a request is about, with every identity known so far."""

    name: str
    identities: tuple[Identity, ...] = ()

    def of_kind(self, kind: IdentityKind, system: str | None = None) -> Iterator[Identity]:
        """Identities of one kind; with ``system``, those unqualified or qualified for it."""
        for ident in self.identities:
            if ident.kind != kind:
                continue
            if ident.system is not None and system is not None and ident.system != system:
                continue
            yield ident

    def values(self, kind: IdentityKind, system: str | None = None) -> set[str]:
        return {i.value for i in self.of_kind(kind, system)}

    def with_identities(self, more: Iterable[Identity]) -> Subject:
        """A copy with ``more`` added; identities already known (by ``key``) are not repeated."""
        known = {i.key for i in self.identities}
        added = list(self.identities)
        for ident in more:
            if ident.key not in known:
                known.add(ident.key)
                added.append(ident)
        return Subject(self.name, tuple(added))

    def narrowed(self) -> Subject:
        """The identities to match with: a value given with the request without a period,
        which the systems know the subject held only for bounded periods (a recycled or ported
        number in the CRM's number history), counts only within those periods.

        The subject says the number is theirs now; the system knows since when. Matching the
        request's open-ended copy would hand the subject the previous holder's calls and
        disclosures. A value no system bounds, or one a system also knows without a period,
        stays as given.
        """
        bounded: set[tuple[IdentityKind, str]] = set()
        unbounded: set[tuple[IdentityKind, str]] = set()
        for ident in self.identities:
            if ident.source == "request":
                continue
            period = ident.period
            if period is None:
                continue  # an inverted period matches nothing and bounds nothing
            (bounded if period.is_bounded else unbounded).add((ident.kind, ident.value))
        narrow = bounded - unbounded
        if not narrow:
            return self
        kept = tuple(
            i
            for i in self.identities
            if not (
                i.source == "request"
                and (i.kind, i.value) in narrow
                and i.valid_from is None
                and i.valid_to is None
            )
        )
        return Subject(self.name, kept)


class Record(NamedTuple):
    """One thing a system holds about the subject.

    ``record_id`` is stable within the system (a row's primary key, a call's uniqueid, a line's
    hash): the engine and the export use it to hold every record exactly once.
    ``provided_by_subject`` marks what Art. 20 covers: data the subject gave or generated by
    using the service. ``secret_fields`` name fields never logged and masked in exports unless
    staff ask for them in an encrypted bundle.

    An immutable named tuple (a system may yield millions: it is three times cheaper to make
    than a frozen dataclass); build it with keywords or in this field order.
    """

    system: str
    category: str
    record_id: str
    fields: Mapping[str, Any]
    source: str = ""
    provided_by_subject: bool = False
    secret_fields: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "category": self.category,
            "record_id": self.record_id,
            "fields": dict(self.fields),
            "source": self.source,
            "provided_by_subject": self.provided_by_subject,
            "secret_fields": sorted(self.secret_fields),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        return cls(
            system=data["system"],
            category=data["category"],
            record_id=data["record_id"],
            fields=data["fields"],
            source=data.get("source", ""),
            provided_by_subject=bool(data.get("provided_by_subject")),
            secret_fields=frozenset(data.get("secret_fields", ())),
        )


#: The default ``fields`` of an :class:`Outcome`: empty, and read-only as it is shared.
_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})


class Action(enum.StrEnum):
    """What a changing request did (or, on a dry run, would do) to one record."""

    ERASED = "erased"
    ANONYMISED = "anonymised"  # irreversibly: nobody can link what is left to the subject
    PSEUDONYMISED = "pseudonymised"  # a reversible form remains (a keyed hash): not erased
    KEPT = "kept"  # under a legal duty: basis and until are set
    RECTIFIED = "rectified"
    RESTRICTED = "restricted"
    UNRESTRICTED = "unrestricted"
    OPTED_OUT = "opted_out"
    UNCHANGED = "unchanged"  # already in the asked state


class Outcome(NamedTuple):
    """The per-record result of erase / rectify / restrict / object.

    For ``KEPT``: ``basis`` is the legal ground (e.g. "Art. 17(3)(b) GDPR; WIB 92 art. 315")
    and ``until`` the day after which the record may go; the engine schedules its erasure.
    ``detail`` is free text for the report (a foreign-key refusal, the fields anonymised...).

    An immutable named tuple, like :class:`Record`; ``fields`` defaults to an empty read-only
    mapping.
    """

    record_id: str
    category: str
    action: Action
    basis: str | None = None
    until: date | None = None
    detail: str = ""
    fields: Mapping[str, Any] = _NO_FIELDS

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "category": self.category,
            "action": str(self.action),
            "basis": self.basis,
            "until": self.until.isoformat() if self.until else None,
            "detail": self.detail,
            "fields": dict(self.fields),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            record_id=data["record_id"],
            category=data["category"],
            action=Action(data["action"]),
            basis=data.get("basis"),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
            detail=data.get("detail", ""),
            fields=data.get("fields") or {},
        )


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A system's health: ``ok`` and the problems found, each one line for staff."""

    ok: bool
    problems: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """A read-only snapshot of a request, as event hooks receive it."""

    id: int
    kind: RequestKind
    state: RequestState
    received_on: date
    due_on: date
    subject: Subject


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """A read-only snapshot of one system's task, as ``dsr_task_finished`` receives it."""

    id: int
    request_id: int
    system: str
    state: TaskState
    error: str | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
