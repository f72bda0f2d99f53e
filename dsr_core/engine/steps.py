"""The two steps of a task: locate the subject in the system, then act on the request.

Each step runs under a claim (see :mod:`claims`); its outcome is committed with a conditional
update that only lands while the claim is still this runner's, so an abandoned step (timed out,
or taken over after its runner died) can never overwrite what another runner did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit
from .. import requests as reqs
from ..model import Action, Identity, IdentityKind, Outcome, Record, RequestKind, Subject, TaskState
from ..store.models import IdentityRow, RequestRow, ScheduledErasureRow, TaskRow
from ..systems import System
from . import claims, contract, results, termination
from .calls import Progress, with_retries
from .context import EngineContext

MAX_KEPT_LISTED = 200
MAX_UNREAD_LISTED = 50

# Read by every step of every task: built once (building costs more than running them).
_REQUEST_HEAD = sa.select(RequestRow.kind, RequestRow.changes, RequestRow.subject_name).where(
    RequestRow.id == sa.bindparam("request_id")
)
_IDENTITIES = (
    sa.select(
        IdentityRow.kind,
        IdentityRow.value,
        IdentityRow.valid_from,
        IdentityRow.valid_to,
        IdentityRow.system,
        IdentityRow.source,
    )
    .where(IdentityRow.request_id == sa.bindparam("request_id"))
    .order_by(IdentityRow.id)
)


@dataclass(frozen=True)
class Loaded:
    """What a step needs of its request: kind, corrections, the subject so far."""

    kind: RequestKind
    changes: dict[str, Any]
    subject: Subject

    @property
    def generation(self) -> int:
        return len(self.subject.identities)

    @property
    def for_systems(self) -> Subject:
        """The subject as systems match it: a number given without a period counts only
        within the periods the systems know it was the subject's (``Subject.narrowed``)."""
        return self.subject.narrowed()


def load_subject(ctx: EngineContext, request_id: int, conn: sa.Connection | None = None) -> Loaded:
    """Two plain queries (steps run often and at once: no ORM graph to build), on ``conn``
    when given (to read in the caller's snapshot)."""
    if conn is None:
        with ctx.store.engine.connect().execution_options(dsr_readonly=True) as own:
            return load_subject(ctx, request_id, own)
    head = conn.execute(_REQUEST_HEAD, {"request_id": request_id}).one()
    rows = conn.execute(_IDENTITIES, {"request_id": request_id}).all()
    identities = tuple(
        Identity(IdentityKind(kind), value, valid_from, valid_to, system, source)
        for kind, value, valid_from, valid_to, system, source in rows
    )
    return Loaded(
        RequestKind(head.kind), head.changes or {}, Subject(head.subject_name, identities)
    )


def add_identities(session: Session, request_id: int, found: list[Identity], system: str) -> int:
    """In the caller's unit of work: store identities the request did not know yet; returns
    how many were new (the caller puts them on the trail)."""
    row = reqs.get(session, request_id)
    known = {ident.key for ident in reqs.subject_of(row).identities}
    added = 0
    for ident in found:
        if ident.key in known:
            continue
        known.add(ident.key)
        row.identities.append(
            IdentityRow(
                kind=ident.kind.value,
                value=ident.value,
                valid_from=ident.valid_from,
                valid_to=ident.valid_to,
                system=ident.system,
                source=system,
            )
        )
        added += 1
    if added:
        session.flush()
    return added


def _identities_found(
    session: Session, request_id: int, system: str, added: int, actor: str
) -> None:
    audit.append(
        session,
        "identities.found",
        actor=actor,
        request_id=request_id,
        data={"system": system, "new": added},
    )


_REOPENABLE = (TaskState.PENDING.value, TaskState.DONE.value, TaskState.SKIPPED.value)


def generation_of(conn: sa.Connection, request_id: int) -> int:
    """How many identities the request has: a task located with fewer is stale."""
    count = conn.execute(
        sa.select(sa.func.count(IdentityRow.id)).where(IdentityRow.request_id == request_id)
    ).scalar()
    return int(count or 0)


def reopen_stale(
    session: Session, request_id: int, generation: int, *, actor: str, exclude: int | None = None
) -> list[int]:
    """In the caller's unit of work (which holds the request): tasks that located before the
    request had ``generation`` identities locate again. A running step is left alone (no act
    step starts while a locate runs); a finished task re-opened is on the trail. Returns the
    ids re-opened."""
    conn = session.connection()
    rows = conn.execute(
        sa.select(TaskRow.id, TaskRow.system, TaskRow.state, TaskRow.keys).where(
            TaskRow.request_id == request_id,
            TaskRow.state.in_(_REOPENABLE),
            TaskRow.step.in_(("act", "finished")),
        )
    ).all()
    reopened, finished = [], []
    for task_id, system, state, keys in rows:
        if task_id == exclude or keys is None or int(keys.get("generation", 0)) >= generation:
            continue
        done = conn.execute(
            sa.update(TaskRow)
            .where(TaskRow.id == task_id, TaskRow.state.in_(_REOPENABLE))
            .values(state=TaskState.PENDING.value, step="locate")
        ).rowcount
        if done:
            reopened.append(task_id)
            if state != TaskState.PENDING.value:
                finished.append((system, state))
    # the trail last: every unit of work takes task rows before the trail's head (no cycle)
    for system, state in finished:
        audit.append(
            session,
            "task.reopened",
            actor=actor,
            request_id=request_id,
            data={"system": system, "from": state, "to": "pending", "why": "new identities"},
        )
    return reopened


def locate(
    ctx: EngineContext,
    task: TaskRow,
    system: System,
    owner: str,
    progress: Progress,
    loaded: Loaded | None = None,
) -> int:
    """Locate the subject; returns how many identities were new to the request.

    The end is one unit of work holding the request: the new identities, this task's next
    step, and every other task the new identities make stale re-opened, so no act step can
    start in between on keys that are already old. A task that acted before and now finds
    nothing stays done with what it did; one that found nothing but could not read
    everything is done with the unread lines, never skipped.
    """
    if loaded is None:
        loaded = load_subject(ctx, task.request_id)
    subject, generation = loaded.for_systems, loaded.generation
    conf = ctx.system_config(task.system)

    def call() -> tuple[list[Identity], bool | None]:
        progress.tick()
        found = list(system.locate(subject))
        progress.tick()
        asked = found and loaded.kind is RequestKind.ERASURE
        return found, (system.active_contract(subject, found) if asked else None)

    keys, active = with_retries(
        call, retries=conf.retries, progress=progress, wait_initial=ctx.retry_wait_initial
    )
    unread = unread_summary(system)
    progress.tick()
    new = [k for k in keys if k.source not in ("request",)]
    earlier = dict(task.summary or {})
    with ctx.store.session() as session:
        conn = session.connection()
        claims.lock_request(conn, task.request_id)
        added = add_identities(session, task.request_id, new, task.system) if new else 0
        current = generation_of(conn, task.request_id)
        # Its own finds do not make it look again: a system's locate returns all it can find
        # (``System.locate``). Only identities another system added meanwhile do.
        others_added = current - added > generation
        values: dict[str, Any] = {
            "keys": {
                "generation": generation if others_added else current,
                "identities": [k.to_json() for k in keys],
                "added": added,
                **unread,
                **contract.flags(active, task.keys),
            },
            "error": None,
        }
        ended: TaskState | None = None
        if others_added:  # another system's newer identities than it looked with: again
            values.update(state=TaskState.PENDING.value, step="locate")
        elif keys:
            values.update(state=TaskState.PENDING.value, step="act")
        else:
            if earlier.get("attempt"):  # it acted before: what it did stays
                ended = TaskState.DONE
                if unread:
                    values["summary"] = {**earlier, **unread}
            elif unread:  # found nothing, but could not read everything: never skipped
                ended = TaskState.DONE
                nothing: dict[str, Any] = {"counts": {}} if loaded.kind.changes_data else {}
                values["summary"] = {"records": 0, **nothing, **unread}
            else:
                ended = TaskState.SKIPPED
                values["summary"] = {"records": 0, "note": "holds nothing about the subject"}
            values.update(state=ended.value, step="finished", finished_at=datetime.now(UTC))
        if not claims.release_on(conn, task.id, owner, **values):
            raise claims.LostClaim(f"task {task.id} was taken over while it located")
        reopen_stale(session, task.request_id, current, actor=ctx.actor, exclude=task.id)
        if added:
            _identities_found(session, task.request_id, task.system, added, ctx.actor)
        if ended is not None:
            audit.append(
                session,
                f"task.{ended.value}",
                actor=ctx.actor,
                request_id=task.request_id,
                data={"system": task.system, "step": "locate", "unread": len(unread) > 0},
            )
    return added


def _kept_days(outcomes: dict[date, int]) -> list[dict[str, Any]]:
    return [{"on": d.isoformat(), "records": n} for d, n in sorted(outcomes.items())]


@dataclass
class Tally:
    """Counts of one stream of results, as a task's summary shows them."""

    records: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    kept_until: dict[date, int] = field(default_factory=dict)
    kept_list: list[dict[str, Any]] = field(default_factory=list)

    def add(self, item: Record | Outcome) -> None:
        self.records += 1
        self.categories[item.category] = self.categories.get(item.category, 0) + 1
        if isinstance(item, Record):
            return
        self.actions[item.action.value] = self.actions.get(item.action.value, 0) + 1
        if item.action == Action.KEPT and item.until is not None:
            self.kept_until[item.until] = self.kept_until.get(item.until, 0) + 1
            if len(self.kept_list) < MAX_KEPT_LISTED:
                self.kept_list.append(
                    {
                        "record_id": item.record_id,
                        "category": item.category,
                        "basis": item.basis,
                        "until": item.until.isoformat(),
                    }
                )


def unread_summary(system: System) -> dict[str, Any]:
    """What the system's last call could not read, for the task's summary (empty: all)."""
    lines = [str(line) for line in system.unreadable()]
    if not lines:
        return {}
    return {"unread": lines[:MAX_UNREAD_LISTED], "unread_count": len(lines)}


def _unread_both(located: dict[str, Any], acted: dict[str, Any]) -> dict[str, Any]:
    """What neither the locate nor the act step could read, as one summary entry."""
    lines = list(located.get("unread", []))
    fresh = [line for line in acted.get("unread", []) if line not in lines]
    count = int(located.get("unread_count", 0)) + int(acted.get("unread_count", 0))
    count -= len(acted.get("unread", [])) - len(fresh)
    if not count:
        return {}
    return {"unread": (lines + fresh)[:MAX_UNREAD_LISTED], "unread_count": count}


def act(
    ctx: EngineContext,
    task: TaskRow,
    system: System,
    owner: str,
    progress: Progress,
    loaded: Loaded | None = None,
) -> dict[str, Any]:
    """Carry out the request in the system. A read (access, portability) stores its records
    in place of any earlier attempt's; a change stores its outcomes as they come, beside
    every earlier attempt's, and its summary is the merged outcome of all of them."""
    located = task.keys or {}
    if loaded is None or loaded.generation < int(located.get("generation", 0)):
        loaded = load_subject(ctx, task.request_id)
    conf = ctx.system_config(task.system)
    subject, kind = loaded.for_systems, termination.act_kind(loaded.kind, conf)
    keys = [Identity.from_json(k) for k in located.get("identities", [])]
    changing = kind.changes_data
    state: dict[str, Any] = {}

    def call() -> str:
        attempt = uuid.uuid4().hex
        writer = results.ResultWriter(ctx.store, task.id, attempt, eager=changing)
        tally = Tally()
        items: Iterator[Record] | Iterator[Outcome]
        try:
            if kind in (RequestKind.ACCESS, RequestKind.PORTABILITY):
                items = system.access(subject, keys)
            elif kind == RequestKind.ERASURE:
                items = system.erase(subject, keys, dry_run=False)
            elif kind == RequestKind.RECTIFICATION:
                items = system.rectify(subject, keys, loaded.changes, dry_run=False)
            elif kind == RequestKind.RESTRICTION:
                items = system.restrict(subject, keys, lift=False, dry_run=False)
            else:
                items = system.object(subject, keys, dry_run=False)
            for item in items:
                progress.tick()
                if (
                    kind == RequestKind.PORTABILITY
                    and isinstance(item, Record)
                    and not item.provided_by_subject
                ):
                    continue
                tally.add(item)
                writer.add(item)
        finally:
            writer.close()  # a change's outcomes are in the store even when the call failed
        writer.flush(final=True)
        progress.tick()
        state.update(writer=writer, attempt=attempt, tally=tally)
        return attempt

    attempt = with_retries(
        call, retries=conf.retries, progress=progress, wait_initial=ctx.retry_wait_initial
    )
    mine: Tally = state["tally"]
    merged = mine
    if changing:
        merged = Tally()
        for outcome in results.merged_outcomes(ctx.store, task.id):
            merged.add(outcome)
    summary: dict[str, Any] = {
        "attempt": attempt,
        "records": merged.records,
        "categories": merged.categories,
        "warnings": list(system.warnings())[:50],
        **_unread_both(located, unread_summary(system)),
    }
    if changing:
        summary["counts"] = merged.actions
        summary["kept"] = merged.kept_list
        summary["kept_total"] = sum(merged.kept_until.values())
        summary["scheduled"] = _kept_days(merged.kept_until)
        summary["attempts"] = len(results.attempts_of(ctx.store, task.id))
    progress.tick()
    finished = datetime.now(UTC)
    with ctx.store.session() as session:
        held = claims.release_on(
            session.connection(),
            task.id,
            owner,
            state=TaskState.DONE.value,
            step="finished",
            summary=summary,
            error=None,
            finished_at=finished,
        )
        if not held:
            raise RuntimeError("the task was taken over while it ran")
        results.save_final(session, state["writer"], keep_others=changing)
        for until, count in merged.kept_until.items():
            _schedule(session, task.request_id, task.system, until + timedelta(days=1), count)
        audit.append(
            session,
            "task.done",
            actor=ctx.actor,
            request_id=task.request_id,
            data={
                "system": task.system,
                "attempt": attempt[:12],
                "records": mine.records,
                "counts": mine.actions or mine.categories,
                **({"merged": merged.actions} if changing else {}),
            },
        )
    return summary


def _schedule(session: Any, request_id: int, system: str, due: date, count: int) -> None:
    existing = session.execute(
        sa.select(ScheduledErasureRow).where(
            ScheduledErasureRow.request_id == request_id,
            ScheduledErasureRow.system == system,
            ScheduledErasureRow.due_on == due,
        )
    ).scalar_one_or_none()
    if existing is None:
        session.add(
            ScheduledErasureRow(request_id=request_id, system=system, due_on=due, records=count)
        )
    else:
        existing.records = count
        existing.done_at = None
