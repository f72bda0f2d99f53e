"""Plain value types shared by the core and every plugin.

Nothing here touches the database, the network or a specific system: these are the words the
core and the plugins speak to each other.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple


class RequestKind(enum.StrEnum):
    """The data-subject rights dsr handles, named after what the subject asks for."""

    ACCESS = "access"  # Art. 15
    PORTABILITY = "portability"  # Art. 20
    ERASURE = "erasure"  # Art. 17
    RECTIFICATION = "rectification"  # Art. 16
    RESTRICTION = "restriction"  # Art. 18
    OBJECTION = "objection"  # Art. 21(2)-(3): direct marketing

    @property
    def article(self) -> str:
        return _ARTICLES[self]

    @property
    def notifies_recipients(self) -> bool:
        """Art. 19: erasure, rectification and restriction are passed on to every recipient."""
        return self in (RequestKind.ERASURE, RequestKind.RECTIFICATION, RequestKind.RESTRICTION)

    @property
    def changes_data(self) -> bool:
        return self not in (RequestKind.ACCESS, RequestKind.PORTABILITY)


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
        {RequestState.AWAITING_CONFIRMATIONS, RequestState.COMPLETED, RequestState.WITHDRAWN}
    ),
    RequestState.AWAITING_CONFIRMATIONS: frozenset(
        {RequestState.IN_PROGRESS, RequestState.COMPLETED, RequestState.WITHDRAWN}
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


class IdentityKind(enum.StrEnum):
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"  # E.164
    CUSTOMER_ID = "customer_id"
    VAT = "vat"
    EXTENSION = "extension"  # an internal PBX extension, only when a system maps it
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Identity:
    """One way of recognising the subject.

    ``valid_from``/``valid_to`` bound the period the identity belonged to the subject (a phone
    number that was ported or recycled): both inclusive, ``None`` meaning open-ended.
    ``system`` qualifies identities that only mean something in one system (a CRM customer id);
    ``source`` names who contributed it: ``"request"`` or a system name.
    """

    kind: IdentityKind
    value: str
    valid_from: date | None = None
    valid_to: date | None = None
    system: str | None = None
    source: str = "request"

    def covers(self, day: date) -> bool:
        """True when the identity belonged to the subject on ``day``."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)

    @property
    def key(self) -> tuple[str, str, date | None, date | None, str | None]:
        """What makes two identities the same, whoever contributed them."""
        return (self.kind, self.value, self.valid_from, self.valid_to, self.system)

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
