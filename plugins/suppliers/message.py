"""The value types of supplier notices (GDPR Art. 19): who, what, and how it went.

The core keeps the register (suppliers, disclosures, notices) in its database and records every
notice before handing it to a transport. These types are what it hands over and gets back; they
touch neither the network nor the database.

Every identifier of a notice is derived from its ``notice_id`` so that a resend carries the very
same ``Message-ID``, ``webhook-id`` and OpenDSR ``subject_request_id`` as the first attempt and
the supplier can drop duplicates.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from dsr_core.model import Identity, RequestKind


class SupplierRole(enum.StrEnum):
    """What the supplier is to the controller (the register's wording)."""

    PROCESSOR = "processor"
    RECIPIENT = "recipient"
    JOINT_CONTROLLER = "joint_controller"  # decides with us why and how (Art. 26)
    CARRIER = "carrier"  # a telephony carrier the numbers are ported or routed through
    TRANSPORT = "transport"  # a courier / logistics partner
    SUBCONTRACTOR = "subcontractor"


class Language(enum.StrEnum):
    """Languages notices are written in."""

    NL = "nl"
    EN = "en"
    FR = "fr"


class DeliveryProtocol(enum.StrEnum):
    """How a supplier receives notices.

    ``webhook``: a signed JSON notice document (Standard Webhooks). ``opendsr``: a signed
    OpenDSR-shaped request. ``email``: a plain-text e-mail in the supplier's language.
    """

    EMAIL = "email"
    WEBHOOK = "webhook"
    OPENDSR = "opendsr"


class NoticeKind(enum.StrEnum):
    """What a notice tells a recipient (Art. 19 GDPR): the erasure, rectification or
    restriction the subject obtained, and, after a restriction, that it was lifted (Art.
    18(3)). Equal to the :class:`~dsr_core.model.RequestKind` of the same name."""

    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    RESTRICTION_LIFT = "restriction-lift"

    @property
    def article(self) -> str:
        """The GDPR article of the right: "17", "16" or "18" (a lift too)."""
        if self is NoticeKind.RESTRICTION_LIFT:
            return RequestKind.RESTRICTION.article
        return RequestKind(self.value).article


#: What Art. 19 GDPR makes the controller pass on to recipients.
NOTICE_KINDS = frozenset(NoticeKind)


def notice_kind(kind: str) -> NoticeKind:
    """``kind`` as a notice kind; a request kind that is not passed on is a ValueError."""
    try:
        return NoticeKind(str(kind))
    except ValueError:
        raise ValueError(f"{kind} requests are not notified to recipients (Art. 19)") from None


#: A notice id is used in file names, Message-IDs and webhook ids: keep it to safe characters.
_NOTICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _check_address(what: str, value: str) -> None:
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c in value for c in '\r\n\t <>,"'):
        raise ValueError(f"{what} is not a usable e-mail address")


def _check_line(what: str, value: str) -> None:
    if not value.strip() or "\r" in value or "\n" in value:
        raise ValueError(f"{what} must be one non-empty line")


@dataclass(frozen=True, slots=True)
class Controller:
    """The controller sending the notices: used for ``From``, replies and Message-IDs."""

    name: str
    email: str
    address: str | None = None  # postal address, printed under the signature (may be multi-line)

    def __post_init__(self) -> None:
        _check_line("controller name", self.name)
        _check_address("controller e-mail", self.email)

    @property
    def domain(self) -> str:
        """The right-hand side of the controller's e-mail address, lower-case, IDNA-encoded."""
        domain = self.email.rpartition("@")[2].strip().rstrip(".").lower()
        ascii_domain = domain.encode("idna").decode("ascii")
        labels = ascii_domain.split(".")
        if not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
            raise ValueError("controller e-mail has no usable domain")
        return ascii_domain


@dataclass(frozen=True, slots=True)
class Supplier:
    """A recipient of the subject's data, as the core's register knows it.

    ``webhook_secret`` is the secret itself (the core reads it from the environment), either
    ``whsec_<base64>`` as Standard Webhooks issues them or a raw string (see
    :func:`dsr_plugins.suppliers.signing.secret_key`). It never appears in ``repr``.
    Strings are accepted for the enum fields (as read from the database) and converted.
    """

    name: str
    role: SupplierRole
    language: Language
    email: str
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    protocol: DeliveryProtocol = DeliveryProtocol.EMAIL

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", SupplierRole(self.role))
        object.__setattr__(self, "language", Language(self.language))
        object.__setattr__(self, "protocol", DeliveryProtocol(self.protocol))
        _check_line("supplier name", self.name)
        _check_address(f"e-mail of supplier {self.name!r}", self.email)
        if self.protocol is not DeliveryProtocol.EMAIL and not self.webhook_url:
            raise ValueError(f"supplier {self.name!r} uses {self.protocol} but has no webhook_url")


@dataclass(frozen=True, slots=True)
class Notice:
    """One Art. 19 notice to one supplier about one request.

    ``identities`` are the subject's ``(kind, value)`` pairs the supplier already holds (kinds
    as in :class:`~dsr_core.model.IdentityKind`: ``"email"``, ``"phone"``...): never another
    person's identity recorded in the same disclosure. ``changes`` (field ->
    new value) is required for a rectification and empty otherwise. ``status_callback_url`` is
    where a webhook supplier may report completion later; e-mail suppliers confirm by replying,
    quoting the notice id. Build one with :meth:`create`, which derives ``message_id`` and
    ``webhook_id``; both are stored with the notice so a resend reuses them.
    """

    notice_id: str
    request_id: int | str
    kind: NoticeKind
    identities: tuple[tuple[str, str], ...]
    confirm_by: date
    created_at: datetime
    message_id: str
    webhook_id: str
    changes: Mapping[str, str] = field(default_factory=dict, hash=False)
    status_callback_url: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", notice_kind(self.kind))
        object.__setattr__(self, "identities", tuple((str(k), v) for k, v in self.identities))
        object.__setattr__(self, "changes", dict(self.changes))
        if not _NOTICE_ID.fullmatch(self.notice_id) or len(self.notice_id) > 64:
            raise ValueError("notice_id must be 1-64 of A-Z a-z 0-9 . _ - (e.g. 'N-12-3')")
        if not self.identities:
            raise ValueError(f"notice {self.notice_id} names no identity of the subject")
        if self.kind is NoticeKind.RECTIFICATION and not self.changes:
            raise ValueError(f"rectification notice {self.notice_id} has no changes")
        if self.kind is not NoticeKind.RECTIFICATION and self.changes:
            raise ValueError(f"only a rectification notice carries changes ({self.notice_id})")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        _check_line("message_id", self.message_id)
        _check_line("webhook_id", self.webhook_id)

    @classmethod
    def create(
        cls,
        *,
        notice_id: str,
        request_id: int | str,
        kind: NoticeKind | RequestKind | str,
        identities: Iterable[Identity | tuple[str, str]],
        confirm_by: date,
        controller: Controller,
        changes: Mapping[str, str] | None = None,
        status_callback_url: str | None = None,
        created_at: datetime | None = None,
    ) -> Notice:
        """A new notice with its stable ids derived from ``notice_id`` and the controller."""
        pairs = tuple(
            (str(i.kind), i.value) if isinstance(i, Identity) else (str(i[0]), i[1])
            for i in identities
        )
        return cls(
            notice_id=notice_id,
            request_id=request_id,
            kind=notice_kind(kind),
            identities=pairs,
            confirm_by=confirm_by,
            created_at=created_at or datetime.now(UTC),
            message_id=make_message_id(notice_id, controller),
            webhook_id=make_webhook_id(notice_id),
            changes=dict(changes or {}),
            status_callback_url=status_callback_url,
        )

    @property
    def article(self) -> str:
        """The GDPR article of the right exercised: "17", "16" or "18"."""
        return self.kind.article


def make_message_id(notice_id: str, controller: Controller) -> str:
    """The RFC 5322 Message-ID of a notice: ``<dsr-notice.N-12-3@controller-domain>``."""
    if not _NOTICE_ID.fullmatch(notice_id):
        raise ValueError("notice_id must be 1-64 of A-Z a-z 0-9 . _ - (e.g. 'N-12-3')")
    return f"<dsr-notice.{notice_id}@{controller.domain}>"


def make_webhook_id(notice_id: str) -> str:
    """The Standard Webhooks ``webhook-id`` of a notice: ``msg_N-12-3`` on every attempt."""
    return f"msg_{notice_id}"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one ``send`` achieved.

    ``delivered``: the supplier (or its mail server, or the outbox) accepted the notice.
    ``confirmed``: the supplier said the work is done (a webhook reply); e-mail never confirms.
    ``disable_endpoint``: the endpoint answered 410 Gone; stop using it until staff fix it.
    ``permanent``: retrying the same thing will not help (a 4xx, a 5xx SMTP reply, bad config).
    ``error``: one line for staff, without identities or secrets.
    ``detail``: small facts for the notice's history: ``status_code``, ``reference`` (the
    supplier's), ``attempts``, ``smtp_code``, ``path``, ``reply_status``...
    """

    delivered: bool
    confirmed: bool = False
    disable_endpoint: bool = False
    permanent: bool = False
    error: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def retry_later(self) -> bool:
        """True when the core should try this notice again later."""
        return not self.delivered and not self.permanent

    def to_json(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "confirmed": self.confirmed,
            "disable_endpoint": self.disable_endpoint,
            "permanent": self.permanent,
            "error": self.error,
            "detail": dict(self.detail),
        }


class Transport(Protocol):
    """Anything that delivers a notice to a supplier."""

    def send(self, notice: Notice, supplier: Supplier) -> DeliveryResult:
        """Deliver ``notice``; never raises for delivery problems, reports them instead."""
        ...
