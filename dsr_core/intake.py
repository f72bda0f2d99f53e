"""Taking a request in: what staff typed, checked and normalised, before any database.

Pure functions without SQLAlchemy, shared by the lifecycle (:mod:`dsr_core.requests`) and the
light commands (:mod:`dsr_core.store.lite`), so both paths refuse the same input with the same
words and store the same values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from . import clock
from .config import LANGUAGES
from .errors import UserError
from .identities import InvalidIdentity, normalise_email, normalise_phone
from .model import Identity, IdentityKind, RequestKind
from .text import MAX_IDENTITY, MAX_NAME, clean_optional, clean_text, shown

if TYPE_CHECKING:
    from .config import ControllerConfig

CHANNELS = ("email", "letter", "phone", "in-person", "web")
PAUSE_REASONS = ("identity", "clarification")


@dataclass(frozen=True)
class NewRequest:
    kind: str
    name: str
    emails: Sequence[str] = ()
    phones: Sequence[str] = ()
    customer_ids: Sequence[str] = ()
    received: date | None = None
    channel: str = "email"
    note: str | None = None
    changes: Mapping[str, Any] | None = None
    #: the subject's language for letters and the bundle; None: the controller's
    language: str | None = None


@dataclass(frozen=True)
class Intake:
    """A new request, checked: the values its rows and its ``request.created`` event hold."""

    kind: RequestKind
    name: str
    note: str | None
    received: date
    channel: str
    identities: list[Identity]
    changes: dict[str, Any] | None
    language: str | None = None

    def due(self, controller: ControllerConfig) -> date | None:
        """The due day (Art. 12(3)), None for a contract's end (no deadline); raises
        ``clock.UnknownRegion`` for an unknown country."""
        if not self.kind.is_gdpr:
            return None
        return clock.due_date(
            self.received, country=controller.country, subdiv=controller.subdivision
        )

    def created_data(
        self,
        due: date | None,
        duplicates: Sequence[int],
        force: bool,
        controller: ControllerConfig,
    ) -> dict[str, Any]:
        """The ``request.created`` audit event's data (counts and dates, no identifiers)."""
        counts: dict[str, int] = {}
        for ident in self.identities:
            counts[ident.kind.value] = counts.get(ident.kind.value, 0) + 1
        return {
            "kind": self.kind.value,
            "received_on": self.received.isoformat(),
            "channel": self.channel,
            "language": self.language or controller.language,
            "identities": counts,
            "due_on": due.isoformat() if due else None,
            "duplicate_of": list(duplicates),
            "forced": bool(duplicates and force),
        }


def parse_kind(text: str) -> RequestKind:
    try:
        return RequestKind(text.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in RequestKind)
        raise UserError(f"unknown request kind {text!r}: use one of {kinds}") from None


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"malformed {what} {text!r}: use YYYY-MM-DD") from None


def controller_today(controller: ControllerConfig) -> date:
    return datetime.now(controller.tz).date()


def build_identities(new: NewRequest, region: str) -> list[Identity]:
    """Validate and normalise what the request names; an invalid one is refused by name."""
    identities: list[Identity] = []
    for raw in (*new.emails, *new.phones, *new.customer_ids):
        if len(raw) > MAX_IDENTITY:
            raise UserError(
                f"an identity of {len(raw)} characters was given ({shown(raw)}): at most "
                f"{MAX_IDENTITY} are accepted"
            )
    try:
        for raw in new.emails:
            identities.append(Identity(IdentityKind.EMAIL, normalise_email(raw)))
        for raw in new.phones:
            identities.append(Identity(IdentityKind.PHONE, normalise_phone(raw, region)))
    except InvalidIdentity as exc:
        raise UserError(str(exc)) from None
    for raw in new.customer_ids:
        value = clean_text(raw, "a customer id", limit=MAX_IDENTITY, multiline=False)
        if not value:
            raise UserError("an empty customer id was given")
        system, sep, ident = value.partition(":")
        if sep and system and ident and " " not in system:
            identities.append(Identity(IdentityKind.CUSTOMER_ID, ident, system=system))
        else:
            identities.append(Identity(IdentityKind.CUSTOMER_ID, value))
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for ident in identities:
        if ident.key not in seen:
            seen.add(ident.key)
            unique.append(ident)
    return unique


def check(new: NewRequest, *, controller: ControllerConfig, today: date | None = None) -> Intake:
    """Everything about a new request that needs no database, checked in the order staff
    are told about it (the duplicate check and the due day come after, in the caller)."""
    kind = parse_kind(new.kind)
    name = clean_text(new.name, "the subject's name", limit=MAX_NAME, multiline=False)
    note = clean_optional(new.note, "the note")
    if not name:
        raise UserError("the subject's name is required (--name)")
    if new.channel not in CHANNELS:
        raise UserError(f"unknown channel {new.channel!r}: use one of {', '.join(CHANNELS)}")
    if new.language is not None and new.language not in LANGUAGES:
        raise UserError(f"unknown language {new.language!r}: use one of {', '.join(LANGUAGES)}")
    today = today or controller_today(controller)
    received = new.received or today
    if received > today:
        raise UserError(f"the receipt date {received} is in the future (today is {today})")
    identities = build_identities(new, controller.country)
    if not identities:
        raise UserError(
            "a request needs at least one identity to search with: --email, --phone or "
            "--customer-id"
        )
    if kind == RequestKind.RECTIFICATION and not new.changes:
        raise UserError("a rectification needs the corrections: --changes FILE")
    if kind != RequestKind.RECTIFICATION and new.changes:
        raise UserError("--changes only goes with a rectification request")
    return Intake(
        kind=kind,
        name=name,
        note=note,
        received=received,
        channel=new.channel,
        identities=identities,
        changes=dict(new.changes) if new.changes else None,
        language=new.language,
    )


def duplicates_message(kind: RequestKind, duplicates: Sequence[int]) -> str:
    ids = ", ".join(str(i) for i in duplicates)
    return (
        f"an open {kind} request for the same subject exists already (request {ids}); "
        "use --force to record another"
    )
