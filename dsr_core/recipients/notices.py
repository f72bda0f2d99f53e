"""Art. 19 notices: one per request and recipient, recorded before anything is sent.

A notice's id is ``N-<request id>-<supplier id>``: stable, and unique per request and supplier
(the database refuses a second one). It carries the request kind, the subject's identities the
supplier already holds (those recorded with its disclosures that are the subject's, nothing
more: see :mod:`.disclosures`), the changes of a rectification, the day we ask it to confirm by,
and its ``Message-ID`` and ``webhook-id``, fixed at creation so every resend is the same message.

States::

    review --approve--> pending --send--> sent --ack / webhook reply "done"--> confirmed
                           |  \\                 \\--waive--> waived
                           |   \\--refused for good--> failed --resend--> sent ...
                           \\-- (a webhook reply "done" confirms at once)

``review``: the supplier was given, on an unknown day, an identity the subject held only for a
period (a recycled number), and nothing else of the subject matched it. Nothing is sent: staff
check whose it was, then ``dsr notices approve`` (it was the subject's: the notice goes out,
naming that identity only) or ``dsr notices waive --reason`` (it was not). Recording the
disclosure's day (a dated disclosure that matches) turns it into a plain pending notice. The
request waits on a notice under review as on an unconfirmed one.

``confirmed`` and ``waived`` are final. Every change goes on the audit trail with the actor;
the trail names the notice and the supplier, never the subject's identifiers.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit
from .. import requests as reqs
from ..errors import IllegalTransition, NotFound, UserError
from ..model import RequestKind, RequestState
from ..store.models import NoticeRow, RequestRow, SupplierRow
from .disclosures import recipients_and_undated

if TYPE_CHECKING:
    from dsr_plugins.suppliers.message import Controller, Notice


class NoticeState(enum.StrEnum):
    REVIEW = "review"  # not sent: staff check that its undated disclosure was the subject's
    PENDING = "pending"  # recorded, not delivered yet
    SENT = "sent"  # delivered; waiting for the supplier's confirmation
    FAILED = "failed"  # refused for good: fix the supplier, then resend
    CONFIRMED = "confirmed"
    WAIVED = "waived"

    @property
    def is_open(self) -> bool:
        return self not in (NoticeState.CONFIRMED, NoticeState.WAIVED)


OPEN_STATES = tuple(s.value for s in NoticeState if s.is_open)
#: What a resend or reminder may send: open, and not waiting for staff's review.
SENDABLE_STATES = tuple(s for s in OPEN_STATES if s != NoticeState.REVIEW.value)

#: What ``notices show`` and ``request show`` say of a notice under review.
REVIEW_HINT = (
    "not sent: the supplier got an identity the subject held only for a period, on an unknown "
    "day; check whose it was, then dsr notices approve {nid} (the subject's) or dsr notices "
    "waive {nid} --reason TEXT (someone else's)"
)


def notice_id_for(request_id: int, supplier_id: int) -> str:
    return f"N-{request_id}-{supplier_id}"


def tasks_finished(row: RequestRow) -> bool:
    """Every task of the request is done or skipped (and there is at least one)."""
    return bool(row.tasks) and not reqs.unfinished_tasks(row)


def create_for_request(
    session: Session,
    row: RequestRow,
    *,
    controller: Controller,
    confirm_within_days: int,
    today: date,
    actor: str,
    callback_url: Any = None,
) -> list[NoticeRow]:
    """The request's missing notices, one per recipient without one; returns those made.

    A recipient matched only by an undated disclosure (:func:`.disclosures.undated`) gets a
    notice in state ``review``, which is not sent. A notice under review whose supplier has
    since become a plain recipient (staff recorded the disclosure's day) becomes pending,
    naming what matched, and is returned too.

    Runs in the caller's unit of work, which should hold the request row locked (so two
    processes do not race; the unique constraint would refuse the second anyway).
    """
    from dsr_plugins.suppliers.message import Notice

    kind = RequestKind(row.kind)
    if not kind.notifies_recipients:
        return []
    have = {
        n.supplier_id: n
        for n in session.execute(
            sa.select(NoticeRow).where(NoticeRow.request_id == row.id, NoticeRow.kind == kind.value)
        )
        .scalars()
        .all()
    }
    changes = {str(k): str(v) for k, v in (row.changes or {}).items()}
    made: list[NoticeRow] = []
    confirm_by = today + timedelta(days=confirm_within_days)
    found, unsure = recipients_and_undated(session, reqs.subject_of(row))
    targets: list[tuple[SupplierRow, list[tuple[str, str]], NoticeState]] = [
        (m.supplier, m.pairs(), NoticeState.PENDING) for m in found
    ]
    targets += [(u.supplier, u.pairs(), NoticeState.REVIEW) for u in unsure]
    for supplier, pairs, state in targets:
        existing = have.get(supplier.id)
        if existing is not None:
            if existing.state == NoticeState.REVIEW.value and state == NoticeState.PENDING:
                _approve(session, existing, pairs, confirm_by, actor=actor, how="register")
                made.append(existing)
            continue
        nid = notice_id_for(row.id, supplier.id)
        value = Notice.create(
            notice_id=nid,
            request_id=row.id,
            kind=kind,
            identities=pairs,
            confirm_by=confirm_by,
            controller=controller,
            changes=changes if kind == RequestKind.RECTIFICATION else None,
            status_callback_url=callback_url(nid) if callback_url else None,
        )
        notice = NoticeRow(
            notice_id=nid,
            request_id=row.id,
            supplier_id=supplier.id,
            kind=kind.value,
            state=state.value,
            identities=[list(pair) for pair in value.identities],
            changes=dict(value.changes) or None,
            confirm_by=value.confirm_by,
            message_id=value.message_id,
            webhook_id=value.webhook_id,
            status_callback_url=value.status_callback_url,
            sends=0,
            attempts=0,
            created_by=actor,
            created_at=value.created_at,
        )
        session.add(notice)
        made.append(notice)
        audit.append(
            session,
            "notice.created",
            actor=actor,
            request_id=row.id,
            data={
                "notice_id": nid,
                "supplier": supplier.name,
                "kind": kind.value,
                "state": state.value,
                "identities": len(value.identities),
                "confirm_by": value.confirm_by.isoformat(),
            },
        )
    session.flush()
    return made


#: the notice that a restriction was lifted (Art. 18(3) and 19), after the restriction's own
LIFT_KIND = "restriction-lift"


def lift_notice_id(request_id: int, supplier_id: int) -> str:
    return f"{notice_id_for(request_id, supplier_id)}-lift"


def create_lift_notices(
    session: Session,
    row: RequestRow,
    *,
    controller: Controller,
    confirm_within_days: int,
    today: date,
    actor: str,
    callback_url: Any = None,
) -> tuple[list[NoticeRow], list[NoticeRow]]:
    """After a restriction is lifted: a ``restriction-lift`` notice to every recipient that
    received the restriction notice (it was delivered at least once), naming the same
    identities. A restriction notice that never reached its supplier is waived instead (the
    restriction it asks for is over). Returns ``(made, waived)``; once only per supplier.

    Runs in the caller's unit of work, the one that records the lift."""
    from dsr_plugins.suppliers.message import Notice

    if row.kind != RequestKind.RESTRICTION.value:
        return [], []
    mine = for_request(session, row.id)
    lifted = {n.supplier_id for n in mine if n.kind == LIFT_KIND}
    made: list[NoticeRow] = []
    waived: list[NoticeRow] = []
    confirm_by = today + timedelta(days=confirm_within_days)
    for sent in (n for n in mine if n.kind == RequestKind.RESTRICTION.value):
        if sent.first_sent_at is None:
            if NoticeState(sent.state).is_open:
                waive(
                    session,
                    sent,
                    actor=actor,
                    reason="the restriction was lifted before this notice reached the supplier",
                )
                waived.append(sent)
            continue
        if sent.supplier_id in lifted:
            continue
        nid = lift_notice_id(row.id, sent.supplier_id)
        value = Notice.create(
            notice_id=nid,
            request_id=row.id,
            kind=LIFT_KIND,
            identities=[(str(k), str(v)) for k, v in sent.identities],
            confirm_by=confirm_by,
            controller=controller,
            status_callback_url=callback_url(nid) if callback_url else None,
        )
        notice = NoticeRow(
            notice_id=nid,
            request_id=row.id,
            supplier_id=sent.supplier_id,
            kind=LIFT_KIND,
            state=NoticeState.PENDING.value,
            identities=[list(pair) for pair in value.identities],
            changes=None,
            confirm_by=value.confirm_by,
            message_id=value.message_id,
            webhook_id=value.webhook_id,
            status_callback_url=value.status_callback_url,
            sends=0,
            attempts=0,
            created_by=actor,
            created_at=value.created_at,
        )
        session.add(notice)
        made.append(notice)
        audit.append(
            session,
            "notice.created",
            actor=actor,
            request_id=row.id,
            data={
                "notice_id": nid,
                "supplier": supplier_of(session, sent).name,
                "kind": LIFT_KIND,
                "state": NoticeState.PENDING.value,
                "identities": len(value.identities),
                "confirm_by": value.confirm_by.isoformat(),
            },
        )
    session.flush()
    return made, waived


def _approve(
    session: Session,
    row: NoticeRow,
    pairs: list[tuple[str, str]] | None,
    confirm_by: date,
    *,
    actor: str,
    how: str,
    note: str | None = None,
) -> None:
    supplier = supplier_of(session, row)
    row.state = NoticeState.PENDING.value
    if pairs is not None:
        row.identities = [list(pair) for pair in pairs]
    row.confirm_by = confirm_by
    row.updated_at = datetime.now(UTC)
    data: dict[str, Any] = {
        "notice_id": row.notice_id,
        "supplier": supplier.name,
        "by": how,
        "identities": len(row.identities),
        "confirm_by": confirm_by.isoformat(),
    }
    if note:
        data["note"] = note
    audit.append(session, "notice.approved", actor=actor, request_id=row.request_id, data=data)


def approve(
    session: Session,
    row: NoticeRow,
    *,
    actor: str,
    confirm_by: date,
    note: str | None = None,
) -> None:
    """Staff checked that a notice under review concerns the subject: it becomes pending (the
    caller sends it), naming the identities it was held for, and nothing else."""
    state = NoticeState(row.state)
    if state != NoticeState.REVIEW:
        raise IllegalTransition(
            f"notice {row.notice_id} is {state.value}: only a notice under review is approved"
        )
    _approve(
        session,
        row,
        None,
        confirm_by,
        actor=actor,
        how="staff",
        note=" ".join((note or "").split()) or None,
    )


def to_notice(row: NoticeRow) -> Notice:
    """The delivery layer's value of a stored notice: the same ids on every send."""
    from dsr_plugins.suppliers.message import Notice, notice_kind

    created = row.created_at
    return Notice(
        notice_id=row.notice_id,
        request_id=row.request_id,
        kind=notice_kind(row.kind),
        identities=tuple((str(k), str(v)) for k, v in row.identities),
        confirm_by=row.confirm_by,
        created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        message_id=row.message_id,
        webhook_id=row.webhook_id,
        changes=dict(row.changes or {}),
        status_callback_url=row.status_callback_url,
    )


def get(session: Session, ref: str, *, lock: bool = False) -> NoticeRow:
    """A notice by its id (``N-12-3``, any case); ``lock`` holds its row until the unit of
    work ends (a sender recording its result waits, and the other way round)."""
    text = ref.strip()
    stmt = sa.select(NoticeRow).where(sa.func.upper(NoticeRow.notice_id) == text.upper())
    if lock:
        stmt = stmt.with_for_update()
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no notice {text!r} (dsr notices list)")
    return found


def supplier_of(session: Session, row: NoticeRow) -> SupplierRow:
    supplier = session.get(SupplierRow, row.supplier_id)
    assert supplier is not None
    return supplier


def _resolve(
    session: Session,
    row: NoticeRow,
    state: NoticeState,
    *,
    actor: str,
    text: str | None,
    how: str,
) -> None:
    current = NoticeState(row.state)
    if not current.is_open:
        raise IllegalTransition(f"notice {row.notice_id} is {current.value} already")
    supplier = supplier_of(session, row)
    row.state = state.value
    row.resolved_at = datetime.now(UTC)
    row.resolved_by = actor
    row.resolution = text
    row.updated_at = row.resolved_at
    data: dict[str, Any] = {
        "notice_id": row.notice_id,
        "supplier": supplier.name,
        "from": current.value,
        "by": how,
    }
    if state == NoticeState.WAIVED:
        data["reason"] = text
    elif text:
        data["note"] = text
    audit.append(
        session, f"notice.{state.value}", actor=actor, request_id=row.request_id, data=data
    )


def ack(
    session: Session,
    row: NoticeRow,
    *,
    actor: str,
    note: str | None = None,
    reference: str | None = None,
    how: str = "staff",
) -> None:
    """The supplier confirmed (staff record it, or the webhook reply said so)."""
    if reference:
        row.reference = reference[:200]
    _resolve(
        session,
        row,
        NoticeState.CONFIRMED,
        actor=actor,
        text=(note or "").strip() or None,
        how=how,
    )


def waive(session: Session, row: NoticeRow, *, actor: str, reason: str) -> None:
    """Staff decide the notice needs no confirmation, and say why (Art. 19: "unless this
    proves impossible or involves disproportionate effort")."""
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("say why the notice is waived: --reason TEXT")
    _resolve(session, row, NoticeState.WAIVED, actor=actor, text=reason, how="staff")


def for_request(session: Session, request_id: int) -> list[NoticeRow]:
    return list(
        session.execute(
            sa.select(NoticeRow).where(NoticeRow.request_id == request_id).order_by(NoticeRow.id)
        ).scalars()
    )


def blockers(session: Session, request_id: int) -> list[str]:
    """One line per recipient that keeps the request from completing.

    A notice not confirmed or waived, and a recipient of the subject without a notice yet
    (its disclosure was recorded after the notices went out, or creating it failed).
    """
    row = session.execute(
        sa.select(RequestRow).where(RequestRow.id == request_id)
    ).scalar_one_or_none()
    if row is None or not RequestKind(row.kind).notifies_recipients:
        return []
    if not RequestState(row.state).is_open:
        return []
    lines: list[str] = []
    # a lift notice (after the request's own) is followed with `dsr notices`, never blocks
    notices = [n for n in for_request(session, request_id) if n.kind == row.kind]
    found, unsure = recipients_and_undated(session, reqs.subject_of(row))
    why = {item.supplier.id: item.reason() for item in unsure}
    names = {
        s.id: s.name
        for s in session.execute(
            sa.select(SupplierRow).where(SupplierRow.id.in_({n.supplier_id for n in notices}))
        ).scalars()
    }
    for notice in notices:
        name = names.get(notice.supplier_id, "?")
        state = NoticeState(notice.state)
        if state == NoticeState.REVIEW:
            nid = notice.notice_id
            reason = why.get(notice.supplier_id, "its undated disclosure may concern someone else")
            lines.append(
                f"notice {nid} to {name} is held for review: {reason}; dsr notices approve "
                f"{nid} if it was the subject's, dsr notices waive {nid} --reason TEXT if not"
            )
        elif state == NoticeState.PENDING:
            why = f": {notice.last_error}" if notice.last_error else ""
            lines.append(f"notice {notice.notice_id} to {name} is not delivered yet{why}")
        elif state == NoticeState.SENT:
            lines.append(
                f"notice {notice.notice_id} to {name} is not confirmed yet "
                f"(confirm by {notice.confirm_by.isoformat()})"
            )
        elif state == NoticeState.FAILED:
            lines.append(
                f"notice {notice.notice_id} to {name} could not be delivered: "
                f"{notice.last_error}; fix the supplier, then dsr notices resend "
                f"{notice.notice_id}"
            )
    covered = {n.supplier_id for n in notices}
    for match in found:
        if match.supplier.id not in covered:
            lines.append(
                f"{match.supplier.name} received the subject's data but has no notice yet: "
                f"dsr notices send {request_id}"
            )
    for item in unsure:
        if item.supplier.id not in covered:
            lines.append(f"{item.reason()}; to review it: dsr notices send {request_id}")
    return lines


def notice_json(
    row: NoticeRow, supplier: SupplierRow, *, today: date, detail: bool = False
) -> dict[str, Any]:
    late = NoticeState(row.state).is_open and today > row.confirm_by
    data: dict[str, Any] = {
        "notice_id": row.notice_id,
        "request_id": row.request_id,
        "supplier": supplier.name,
        "supplier_id": supplier.id,
        "role": supplier.role,
        "kind": row.kind,
        "state": row.state,
        "late": late,
        "confirm_by": row.confirm_by.isoformat(),
        "channel": row.channel,
        "sends": row.sends,
        "attempts": row.attempts,
        "first_sent_at": _iso(row.first_sent_at),
        "last_sent_at": _iso(row.last_sent_at),
        "last_error": row.last_error,
        "reference": row.reference,
        "resolved_at": _iso(row.resolved_at),
        "resolved_by": row.resolved_by,
        "resolution": row.resolution,
        "created_at": _iso(row.created_at),
    }
    if row.state == NoticeState.REVIEW.value:
        data["review"] = REVIEW_HINT.format(nid=row.notice_id)
    if detail:
        data.update(
            {
                "message_id": row.message_id,
                "webhook_id": row.webhook_id,
                "identities": [{"kind": k, "value": v} for k, v in row.identities],
                "changes": row.changes or {},
                "status_callback_url": row.status_callback_url,
                "language": supplier.language,
                "protocol": supplier.protocol,
            }
        )
    return data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def query(
    session: Session,
    *,
    pending: bool = False,
    request_id: int | None = None,
    supplier_id: int | None = None,
) -> list[tuple[NoticeRow, SupplierRow]]:
    stmt = sa.select(NoticeRow, SupplierRow).join(
        SupplierRow, SupplierRow.id == NoticeRow.supplier_id
    )
    if pending:
        stmt = stmt.where(NoticeRow.state.in_(OPEN_STATES))
    if request_id is not None:
        stmt = stmt.where(NoticeRow.request_id == request_id)
    if supplier_id is not None:
        stmt = stmt.where(NoticeRow.supplier_id == supplier_id)
    return [(n, s) for n, s in session.execute(stmt.order_by(NoticeRow.id)).all()]


__all__ = ["NoticeState", "ack", "approve", "blockers", "create_for_request", "waive"]
