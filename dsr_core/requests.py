"""The request lifecycle: recording a request, its identities, clock events and state moves.

Every function here works inside the caller's unit of work (a SQLAlchemy session), changes the
request and appends the matching audit event; the caller commits once. Anything a user can get
wrong raises :class:`~dsr_core.errors.UserError` before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from . import audit, clock
from .config import ControllerConfig
from .deadlines import clock_status, has_clock, pauses_of, with_status
from .errors import IllegalTransition, NotFound, UserError
from .intake import (
    CHANNELS,
    PAUSE_REASONS,
    NewRequest,
    build_identities,
    check,
    controller_today,
    duplicates_message,
    parse_date,
    parse_kind,
)
from .listing import Listing
from .model import (
    TRANSITIONS,
    Identity,
    IdentityKind,
    RequestInfo,
    RequestKind,
    RequestState,
    Subject,
    TaskState,
)
from .store.models import IdentityRow, PauseRow, RequestRow, TaskRow
from .text import clean_optional, clean_text

__all__ = [
    "CHANNELS",
    "PAUSE_REASONS",
    "NewRequest",
    "build_identities",
    "clock_status",
    "controller_today",
    "has_clock",
    "parse_date",
    "parse_kind",
    "pauses_of",
]


def find_duplicates(
    session: Session, kind: RequestKind, identities: Iterable[Identity]
) -> list[int]:
    """Open requests of the same kind that share an identity with these."""
    pairs = [(i.kind.value, i.value) for i in identities if i.kind != IdentityKind.NAME]
    if not pairs:
        return []
    open_states = [s.value for s in RequestState if s.is_open]
    match = sa.or_(*[sa.and_(IdentityRow.kind == k, IdentityRow.value == v) for k, v in pairs])
    rows = session.execute(
        sa.select(RequestRow.id)
        .join(IdentityRow, IdentityRow.request_id == RequestRow.id)
        .where(RequestRow.kind == kind.value, RequestRow.state.in_(open_states), match)
        .distinct()
        .order_by(RequestRow.id)
    ).scalars()
    return list(rows)


def create(
    session: Session,
    new: NewRequest,
    *,
    controller: ControllerConfig,
    actor: str,
    force: bool = False,
    today: date | None = None,
) -> RequestRow:
    intake = check(new, controller=controller, today=today)
    kind, received = intake.kind, intake.received
    duplicates = find_duplicates(session, kind, intake.identities)
    if duplicates and not force:
        raise UserError(duplicates_message(kind, duplicates))
    due = intake.due(controller)
    row = RequestRow(
        kind=kind.value,
        state=RequestState.RECEIVED.value,
        subject_name=intake.name,
        received_on=received,
        channel=intake.channel,
        note=intake.note,
        changes=intake.changes,
        due_on=due,
        extended=False,
        needs_attention=False,
        created_by=actor,
        language=intake.language,
    )
    row.identities = [
        IdentityRow(
            kind=i.kind.value,
            value=i.value,
            valid_from=i.valid_from,
            valid_to=i.valid_to,
            system=i.system,
            source=i.source,
        )
        for i in intake.identities
    ]
    session.add(row)
    session.flush()
    audit.append(
        session,
        "request.created",
        actor=actor,
        request_id=row.id,
        data=intake.created_data(due, duplicates, force, controller),
    )
    return row


def get(session: Session, request_id: int | str, *, lock: bool = False) -> RequestRow:
    """The request with its identities, pauses and tasks; ``lock`` holds its row until the
    unit of work ends, so concurrent runs change one request one at a time (PostgreSQL;
    SQLite's write transactions are serial anyway)."""
    try:
        rid = int(str(request_id).strip().lstrip("#"))
    except ValueError:
        raise NotFound(f"no request {request_id!r}: a request id is a number") from None
    stmt = sa.select(RequestRow).where(RequestRow.id == rid)
    if lock:
        stmt = stmt.with_for_update(of=RequestRow)
    row = session.execute(
        stmt.options(
            selectinload(RequestRow.identities),
            selectinload(RequestRow.pauses),
            selectinload(RequestRow.tasks),
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no request {rid}")
    return row


def subject_of(row: RequestRow) -> Subject:
    return Subject(
        row.subject_name,
        tuple(
            Identity(IdentityKind(i.kind), i.value, i.valid_from, i.valid_to, i.system, i.source)
            for i in row.identities
        ),
    )


def info(row: RequestRow) -> RequestInfo:
    return RequestInfo(
        id=row.id,
        kind=RequestKind(row.kind),
        state=RequestState(row.state),
        received_on=row.received_on,
        due_on=row.due_on or row.received_on,
        subject=subject_of(row),
    )


def _require_clock(row: RequestRow, doing: str) -> None:
    if not has_clock(row):
        raise IllegalTransition(
            f"request {row.id} is a contract's end, not a GDPR request: it has no deadline "
            f"to {doing}"
        )


def refresh_due(row: RequestRow, controller: ControllerConfig) -> None:
    if not has_clock(row):
        return
    row.due_on = clock.due_date(
        row.received_on,
        extended=row.extended,
        pauses=pauses_of(row),
        country=controller.country,
        subdiv=controller.subdivision,
    )


def transition(
    session: Session,
    row: RequestRow,
    target: RequestState,
    *,
    actor: str,
    data: Mapping[str, Any] | None = None,
) -> None:
    current = RequestState(row.state)
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(
            f"request {row.id} is {current.value}: it cannot become {target.value}"
        )
    row.state = target.value
    if not target.is_open:
        row.closed_at = datetime.now(UTC)
    audit.append(
        session,
        "request.state",
        actor=actor,
        request_id=row.id,
        data={"from": current.value, "to": target.value, **(data or {})},
    )


def _require_open(row: RequestRow, doing: str) -> None:
    if not RequestState(row.state).is_open:
        raise IllegalTransition(f"request {row.id} is {row.state}: cannot {doing}")


def open_pause(row: RequestRow) -> PauseRow | None:
    return next((p for p in row.pauses if p.ended_on is None), None)


def verify_identity(
    session: Session,
    row: RequestRow,
    *,
    method: str,
    actor: str,
    controller: ControllerConfig,
    on: date | None = None,
) -> None:
    """Art. 12(6): record how identity was checked; an open identity pause ends today."""
    method = clean_text(method, "the verification method")
    if not method:
        raise UserError("say how the identity was verified: --method TEXT")
    if RequestState(row.state) != RequestState.RECEIVED:
        raise IllegalTransition(f"request {row.id} is {row.state}: its identity is verified")
    on = on or controller_today(controller)
    pause = open_pause(row)
    if pause is not None and pause.reason == "identity":
        _end_pause(session, row, pause, on, actor=actor, controller=controller)
    row.verification_method = method
    row.verified_at = datetime.now(UTC)
    transition(session, row, RequestState.IDENTITY_VERIFIED, actor=actor, data={"method": method})


def pause(
    session: Session,
    row: RequestRow,
    *,
    reason: str,
    actor: str,
    controller: ControllerConfig,
    on: date | None = None,
    note: str | None = None,
) -> None:
    _require_open(row, "pause its clock")
    _require_clock(row, "pause")
    if reason not in PAUSE_REASONS:
        raise UserError(f"a pause is for one of: {', '.join(PAUSE_REASONS)}")
    today = controller_today(controller)
    on = on or today
    if on > today:
        raise UserError(f"the pause date {on} is in the future")
    if open_pause(row) is not None:
        raise IllegalTransition(f"request {row.id}'s clock is already paused")
    if on < row.received_on:
        raise UserError(f"the pause date {on} is before the receipt date {row.received_on}")
    last_end = max((p.ended_on for p in row.pauses if p.ended_on), default=None)
    if last_end is not None and on < last_end:
        raise UserError(f"the pause date {on} is before the previous pause ended ({last_end})")
    if row.due_on is not None and on > row.due_on:
        raise UserError(
            f"request {row.id} was due on {row.due_on}: the clock can no longer be paused"
        )
    note = clean_optional(note, "the note")
    row.pauses.append(PauseRow(reason=reason, started_on=on, note=note))
    session.flush()
    refresh_due(row, controller)
    audit.append(
        session,
        "clock.paused",
        actor=actor,
        request_id=row.id,
        data={"reason": reason, "on": on.isoformat()},
    )


def _end_pause(
    session: Session,
    row: RequestRow,
    pause_row: PauseRow,
    on: date,
    *,
    actor: str,
    controller: ControllerConfig,
) -> None:
    if on < pause_row.started_on:
        raise UserError(
            f"the clock cannot resume on {on}, before it paused ({pause_row.started_on})"
        )
    pause_row.ended_on = on
    session.flush()
    refresh_due(row, controller)
    audit.append(
        session,
        "clock.resumed",
        actor=actor,
        request_id=row.id,
        data={
            "reason": pause_row.reason,
            "paused_on": pause_row.started_on.isoformat(),
            "on": on.isoformat(),
            "days": (on - pause_row.started_on).days,
            "due_on": row.due_on.isoformat() if row.due_on else None,
        },
    )


def resume(
    session: Session,
    row: RequestRow,
    *,
    actor: str,
    controller: ControllerConfig,
    on: date | None = None,
) -> None:
    _require_open(row, "resume its clock")
    pause_row = open_pause(row)
    if pause_row is None:
        raise IllegalTransition(f"request {row.id}'s clock is not paused")
    today = controller_today(controller)
    on = on or today
    if on > today:
        raise UserError(f"the resume date {on} is in the future")
    _end_pause(session, row, pause_row, on, actor=actor, controller=controller)


def extend(
    session: Session,
    row: RequestRow,
    *,
    reason: str,
    actor: str,
    controller: ControllerConfig,
    on: date | None = None,
) -> None:
    """Art. 12(3): two further months, only while the first month runs, with a reason."""
    _require_open(row, "be extended")
    _require_clock(row, "extend")
    reason = clean_text(reason, "the reason")
    if not reason:
        raise UserError("an extension needs a reason (--reason), which the subject is told")
    if row.extended:
        raise IllegalTransition(f"request {row.id} was extended already (at most two months)")
    on = on or controller_today(controller)
    if on < row.received_on:
        raise UserError(f"the notice date {on} is before the receipt date {row.received_on}")
    if not clock.extension_allowed(
        row.received_on,
        on,
        pauses=pauses_of(row),
        country=controller.country,
        subdiv=controller.subdivision,
    ):
        first = clock.due_date(
            row.received_on,
            pauses=pauses_of(row),
            country=controller.country,
            subdiv=controller.subdivision,
            as_of=on,
        )
        raise IllegalTransition(
            f"request {row.id}'s first month ended on {first}: an extension must be notified "
            "within it (Art. 12(3))"
        )
    row.extended = True
    row.extension_reason = reason
    row.extension_notified_on = on
    refresh_due(row, controller)
    audit.append(
        session,
        "clock.extended",
        actor=actor,
        request_id=row.id,
        data={
            "reason": reason,
            "notified_on": on.isoformat(),
            "due_on": row.due_on.isoformat() if row.due_on else None,
        },
    )


def reject(session: Session, row: RequestRow, *, reason: str, actor: str) -> None:
    if row.kind == RequestKind.OBJECTION:
        raise UserError(
            f"request {row.id} objects to direct marketing, which cannot be refused "
            "(Art. 21(3) GDPR): run it"
        )
    if row.kind == RequestKind.TERMINATION:
        raise UserError(
            f"request {row.id} records a contract's end, which is not refused under the GDPR: "
            "withdraw it (dsr request withdraw) if the notice does not stand"
        )
    reason = clean_text(reason, "the reason")
    if not reason:
        raise UserError("a refusal needs its reasons (--reason), which the subject is told")
    transition(session, row, RequestState.REJECTED, actor=actor, data={"reason": reason})
    row.outcome_reason = reason


def withdraw(session: Session, row: RequestRow, *, reason: str, actor: str) -> None:
    reason = clean_text(reason, "the reason")
    transition(session, row, RequestState.WITHDRAWN, actor=actor, data={"reason": reason})
    row.outcome_reason = reason or None


def unfinished_tasks(row: RequestRow) -> list[TaskRow]:
    """Tasks not finished: anything but done and skipped (``not_searched`` is unfinished)."""
    finished = {TaskState.DONE.value, TaskState.SKIPPED.value}
    return [t for t in row.tasks if t.state not in finished]


def unread_unreviewed(task: TaskRow) -> bool:
    """The task could not read everything (``summary["unread_count"]``) and staff have not
    recorded their review of it yet."""
    return bool((task.summary or {}).get("unread_count")) and not task.done_note


def needs_attention(row: RequestRow) -> bool:
    """A task failed, was not searched, or left records unread that staff must review."""
    stuck = {TaskState.FAILED.value, TaskState.NOT_SEARCHED.value}
    return any(t.state in stuck or unread_unreviewed(t) for t in row.tasks)


def review_unread(session: Session, task: TaskRow, *, actor: str, note: str) -> None:
    """Staff record that they reviewed what a done task could not read."""
    note = note.strip()
    if not note:
        raise UserError("say what the review of the unread records found: --note TEXT")
    if not (task.summary or {}).get("unread_count"):
        raise IllegalTransition(f"task {task.id} read everything: nothing to review")
    task.done_by = actor
    task.done_note = note
    audit.append(
        session,
        "task.unread_reviewed",
        actor=actor,
        request_id=task.request_id,
        data={"system": task.system, "note_sha256": hashlib.sha256(note.encode()).hexdigest()},
    )


def close(session: Session, row: RequestRow, *, actor: str, blockers: Sequence[str] = ()) -> None:
    """Complete a request whose every task is done and every notice confirmed or waived."""
    _require_open(row, "be closed")
    state = RequestState(row.state)
    if state in (RequestState.RECEIVED, RequestState.IDENTITY_VERIFIED):
        hint = "verify the identity, then run it" if state == RequestState.RECEIVED else "run it"
        raise IllegalTransition(f"request {row.id} has not been carried out yet: {hint}")
    waiting = unfinished_tasks(row)
    if waiting:
        names = ", ".join(f"{t.system} ({t.state})" for t in waiting)
        raise IllegalTransition(f"request {row.id} still has unfinished tasks: {names}")
    if blockers:
        raise IllegalTransition(f"request {row.id} cannot complete yet: {blockers[0]}")
    if answered(session, row.id) is None:
        raise IllegalTransition(
            f"request {row.id} waits for the answer to the subject (Art. 12(3)): "
            f"dsr request answer {row.id}"
        )
    transition(session, row, RequestState.COMPLETED, actor=actor)


def answered(session: Session, request_id: int) -> datetime | None:
    """When the subject was first answered (``dsr request answer``), or None."""
    from .answer.record import first_answers

    return first_answers(session, [request_id]).get(request_id)


def complete_answered(
    session: Session, row: RequestRow, *, actor: str, blockers: Sequence[str] = ()
) -> bool:
    """In the answer's unit of work: an open request whose every task is finished and that no
    recipient holds up completes now. Returns whether it did."""
    state = RequestState(row.state)
    if not state.is_open or state in (RequestState.RECEIVED, RequestState.IDENTITY_VERIFIED):
        return False
    if not row.tasks or unfinished_tasks(row) or blockers:
        return False
    transition(session, row, RequestState.COMPLETED, actor=actor, data={"answered": True})
    return True


def list_requests(
    session: Session,
    *,
    which: str = "open",
    controller: ControllerConfig,
    today: date,
    due_within: int | None = None,
) -> list[tuple[RequestRow, clock.ClockStatus]]:
    stmt = sa.select(RequestRow).options(
        selectinload(RequestRow.pauses), selectinload(RequestRow.tasks)
    )
    if which in ("open", "overdue"):
        stmt = stmt.where(RequestRow.state.in_([s.value for s in RequestState if s.is_open]))
    rows = session.execute(stmt.order_by(RequestRow.id)).scalars().all()
    from .answer.record import first_answers

    answered = set(first_answers(session, [r.id for r in rows])) if which == "overdue" else set()
    return with_status(
        rows,
        which=which,
        controller=controller,
        today=today,
        due_within=due_within,
        answered=answered,
    )


def page_requests(
    session: Session, listing: Listing, *, controller: ControllerConfig
) -> tuple[list[tuple[RequestRow, clock.ClockStatus]], int]:
    """The page of requests ``listing`` shows (filtered, ordered and limited in the database)
    with their clock status, and how many it has in all."""
    sql, params = listing.select("id")
    ids = [int(i) for i in session.execute(sa.text(sql), params).scalars()]
    total = len(ids)
    if listing.limit is not None and total >= listing.limit:
        sql, params = listing.count()
        total = int(session.execute(sa.text(sql), params).scalar_one())
    rows: dict[int, RequestRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = sa.select(RequestRow).where(RequestRow.id.in_(chunk))
        for row in session.execute(stmt.options(selectinload(RequestRow.pauses))).scalars():
            rows[row.id] = row
    page = [rows[i] for i in ids if i in rows]
    return [(row, clock_status(row, controller, listing.today)) for row in page], total
