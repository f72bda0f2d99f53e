"""SQLAlchemy 2 typed models: what dsr keeps in its own database.

The schema is created and upgraded by :mod:`dsr_core.store.migrations`, never by
``metadata.create_all``; a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name in ("sqlite", "mysql") else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: sa.JSON}


class Meta(Base):
    """Key/value facts about the database itself: schema version, audit head."""

    __tablename__ = "dsr_meta"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255))


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(30), index=True)
    subject_name: Mapped[str] = mapped_column(sa.String(255))
    received_on: Mapped[date]
    channel: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    changes: Mapped[dict[str, Any] | None]
    due_on: Mapped[date | None]
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    extension_notified_on: Mapped[date | None]
    verification_method: Mapped[str | None] = mapped_column(sa.Text)
    verified_at: Mapped[datetime | None]
    outcome_reason: Mapped[str | None] = mapped_column(sa.Text)
    needs_attention: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    #: When ``dsr purge`` removed the request's task results and bundles.
    results_purged_at: Mapped[datetime | None]
    #: The subject's language for letters and the bundle (schema 6); None: the controller's.
    language: Mapped[str | None] = mapped_column(sa.String(2))

    identities: Mapped[list[IdentityRow]] = relationship(
        back_populates="request", order_by="IdentityRow.id", cascade="all, delete-orphan"
    )
    pauses: Mapped[list[PauseRow]] = relationship(
        back_populates="request", order_by="PauseRow.id", cascade="all, delete-orphan"
    )
    tasks: Mapped[list[TaskRow]] = relationship(
        back_populates="request", order_by="TaskRow.id", cascade="all, delete-orphan"
    )


class IdentityRow(Base):
    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    value: Mapped[str] = mapped_column(sa.String(320), index=True)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    system: Mapped[str | None] = mapped_column(sa.String(100))
    source: Mapped[str] = mapped_column(sa.String(100), default="request")

    request: Mapped[RequestRow] = relationship(back_populates="identities")


class PauseRow(Base):
    """A span while the clock stood still: identity check or clarification outstanding."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(30))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(sa.Text)

    request: Mapped[RequestRow] = relationship(back_populates="pauses")


class TaskRow(Base):
    """One system's share of a request. Its state is committed before and after each step."""

    __tablename__ = "tasks"
    __table_args__ = (sa.UniqueConstraint("request_id", "system", name="uq_tasks_request_system"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    system: Mapped[str] = mapped_column(sa.String(100))
    system_type: Mapped[str] = mapped_column(sa.String(100))
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    step: Mapped[str] = mapped_column(sa.String(20), default="locate")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    instructions: Mapped[str | None] = mapped_column(sa.Text)
    keys: Mapped[dict[str, Any] | None]
    summary: Mapped[dict[str, Any] | None]
    queued: Mapped[bool] = mapped_column(default=False)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(200))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(sa.String(100))
    done_note: Mapped[str | None] = mapped_column(sa.Text)

    request: Mapped[RequestRow] = relationship(back_populates="tasks")


class TaskResultRow(Base):
    """What a task's step produced: records (access) or per-record outcomes (changes).

    Written in committed batches tagged with the attempt that wrote them. A read step's
    (access, portability) rows are those of the attempt its summary names: other attempts'
    rows are removed when it completes. A changing step's rows are committed as the system
    hands them over and every attempt's are kept: they are read merged, per record the
    strongest action of any attempt (``dsr_core.engine.results.merged_outcomes``).
    """

    __tablename__ = "task_results"
    __table_args__ = (sa.Index("ix_task_results_task_attempt_seq", "task_id", "attempt", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"))
    attempt: Mapped[str] = mapped_column(sa.String(32))
    seq: Mapped[int]
    payload: Mapped[str] = mapped_column(sa.Text)


class ScheduledErasureRow(Base):
    """A kept record's later erasure: the system is asked to erase again on ``due_on``."""

    __tablename__ = "scheduled_erasures"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "system", "due_on", name="uq_sched_req_sys_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    system: Mapped[str] = mapped_column(sa.String(100))
    due_on: Mapped[date] = mapped_column(index=True)
    records: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)


class AuditEvent(Base):
    """Append-only, hash-chained: ``hash`` covers every column and the previous hash."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(100))
    request_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(60))
    data: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditTextRow(Base):
    """Staff's free text of one audit event, kept outside the chain so it can be purged.

    The event's data holds ``{"text_sha256": sha256(salt + ":" + text)}`` in the text's place:
    the chain covers that digest, the salt makes it useless for guessing once the row is gone.
    """

    __tablename__ = "audit_texts"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    request_id: Mapped[int | None] = mapped_column(index=True)
    salt: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)


class SupplierRow(Base):
    """A recipient of personal data (Art. 19): a processor, carrier, transport firm...

    ``secret_env`` names the environment variable holding the webhook signing secret; the
    secret itself is never stored. ``webhook_disabled_at`` is set when the endpoint answered
    410 Gone: notices then go by e-mail until staff give a working endpoint.
    """

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(2))
    email: Mapped[str] = mapped_column(sa.String(320))
    protocol: Mapped[str] = mapped_column(sa.String(20))
    webhook_url: Mapped[str | None] = mapped_column(sa.Text)
    secret_env: Mapped[str | None] = mapped_column(sa.String(100))
    webhook_disabled_at: Mapped[datetime | None]
    webhook_disabled_reason: Mapped[str | None] = mapped_column(sa.Text)
    country: Mapped[str | None] = mapped_column(sa.String(2))
    #: For a country outside the EEA: ``adequacy``, ``scc``, ``bcr`` or staff's words.
    safeguard: Mapped[str | None] = mapped_column(sa.Text)
    aliases: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DisclosureRow(Base):
    """One identity of a subject whose data went to a supplier.

    Identities disclosed together share a ``batch``: a request matching one of them makes the
    supplier a recipient; its notice names those of the batch that are the subject's
    (``dsr_core.recipients.disclosures``). ``value`` is normalised
    (e-mail lower-case, phone E.164); ``system`` qualifies a customer id. ``source`` is
    ``"staff"`` or ``"derived:<system>"``.
    """

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    batch: Mapped[str] = mapped_column(sa.String(32), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    value: Mapped[str] = mapped_column(sa.String(320), index=True)
    system: Mapped[str | None] = mapped_column(sa.String(100))
    categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    disclosed_on: Mapped[date | None]
    source: Mapped[str] = mapped_column(sa.String(100))
    request_id: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeRow(Base):
    """One Art. 19 notice: one request, one supplier, one kind, at most once (the outbox).

    The row is committed (``pending``) before anything is sent; ``message_id`` and
    ``webhook_id`` are fixed at creation, so every resend is recognisably the same notice.
    States: ``review`` (not sent: staff check an undated disclosure was the subject's),
    ``pending`` (not delivered yet), ``sent``, ``failed`` (refused for good: staff fix
    the supplier and resend), ``confirmed`` and ``waived`` (final).
    """

    __tablename__ = "notices"
    __table_args__ = (
        sa.UniqueConstraint(
            "request_id", "supplier_id", "kind", name="uq_notices_request_supplier_kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    identities: Mapped[list[Any]] = mapped_column(sa.JSON)
    changes: Mapped[dict[str, Any] | None]
    confirm_by: Mapped[date]
    message_id: Mapped[str] = mapped_column(sa.String(255))
    webhook_id: Mapped[str] = mapped_column(sa.String(100))
    status_callback_url: Mapped[str | None] = mapped_column(sa.Text)
    channel: Mapped[str | None] = mapped_column(sa.String(20))
    sends: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    first_sent_at: Mapped[datetime | None]
    last_sent_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.String(200))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(sa.String(100))
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
