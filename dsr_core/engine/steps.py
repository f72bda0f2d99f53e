"""The two steps of a task: locate the subject in the system, then act on the request.

Each step runs under a claim (see :mod:`claims`); its outcome is committed with a conditional
update that only lands while the claim is still this runner's, so an abandoned step (timed out,
or taken over after its runner died) can never overwrite what another runner did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .. import audit
from .. import requests as reqs
from ..model import Action, Identity, IdentityKind, Outcome, Record, RequestKind, Subject, TaskState
from ..store.models import IdentityRow, RequestRow, ScheduledErasureRow, TaskRow
from ..systems import System
from . import claims, results
from .calls import Progress, with_retries
from .context import EngineContext

MAX_KEPT_LISTED = 200

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


def add_identities(ctx: EngineContext, request_id: int, found: list[Identity], system: str) -> int:
    """Store identities the request did not know yet; returns how many were new."""
    with ctx.store.session() as session:
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
            audit.append(
                session,
                "identities.found",
                actor=ctx.actor,
                request_id=request_id,
                data={"system": system, "new": added},
            )
    return added


def locate(
    ctx: EngineContext,
    task: TaskRow,
    system: System,
    owner: str,
    progress: Progress,
    loaded: Loaded | None = None,
) -> int:
    """Locate the subject; returns how many identities were new to the request."""
    if loaded is None:
        loaded = load_subject(ctx, task.request_id)
    subject, generation = loaded.subject, loaded.generation
    conf = ctx.system_config(task.system)

    def call() -> list[Identity]:
        progress.tick()
        return list(system.locate(subject))

    keys = with_retries(
        call, retries=conf.retries, progress=progress, wait_initial=ctx.retry_wait_initial
    )
    progress.tick()
    new = [k for k in keys if k.source not in ("request",)]
    added = add_identities(ctx, task.request_id, new, task.system) if new else 0
    progress.tick()
    claims.release(
        ctx.store,
        task.id,
        owner,
        state=TaskState.PENDING.value if keys else TaskState.SKIPPED.value,
        step="act" if keys else "finished",
        keys={"generation": generation, "identities": [k.to_json() for k in keys], "added": added},
        error=None,
        summary=None if keys else {"records": 0, "note": "holds nothing about the subject"},
        finished_at=None if keys else datetime.now(UTC),
    )
    return added


def _kept_days(outcomes: dict[date, int]) -> list[dict[str, Any]]:
    return [{"on": d.isoformat(), "records": n} for d, n in sorted(outcomes.items())]


def act(
    ctx: EngineContext,
    task: TaskRow,
    system: System,
    owner: str,
    progress: Progress,
    loaded: Loaded | None = None,
) -> dict[str, Any]:
    if loaded is None:
        loaded = load_subject(ctx, task.request_id)
    subject, kind = loaded.subject, loaded.kind
    keys = [Identity.from_json(k) for k in (task.keys or {}).get("identities", [])]
    conf = ctx.system_config(task.system)
    state: dict[str, Any] = {}

    def call() -> str:
        attempt = uuid.uuid4().hex
        writer = results.ResultWriter(ctx.store, task.id, attempt)
        categories: dict[str, int] = {}
        actions: dict[str, int] = {}
        kept_until: dict[date, int] = {}
        kept_list: list[dict[str, Any]] = []
        items: Iterator[Record] | Iterator[Outcome]
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
            if isinstance(item, Record):
                if kind == RequestKind.PORTABILITY and not item.provided_by_subject:
                    continue
                categories[item.category] = categories.get(item.category, 0) + 1
            else:
                actions[item.action.value] = actions.get(item.action.value, 0) + 1
                categories[item.category] = categories.get(item.category, 0) + 1
                if item.action == Action.KEPT and item.until is not None:
                    kept_until[item.until] = kept_until.get(item.until, 0) + 1
                    if len(kept_list) < MAX_KEPT_LISTED:
                        kept_list.append(
                            {
                                "record_id": item.record_id,
                                "category": item.category,
                                "basis": item.basis,
                                "until": item.until.isoformat(),
                            }
                        )
            writer.add(item)
        writer.flush(final=True)
        progress.tick()
        state.update(
            writer=writer,
            attempt=attempt,
            count=writer.count,
            categories=categories,
            actions=actions,
            kept_until=kept_until,
            kept_list=kept_list,
        )
        return attempt

    attempt = with_retries(
        call, retries=conf.retries, progress=progress, wait_initial=ctx.retry_wait_initial
    )
    summary: dict[str, Any] = {
        "attempt": attempt,
        "records": state["count"],
        "categories": state["categories"],
        "warnings": list(system.warnings())[:50],
    }
    if state["actions"] or kind.changes_data:
        summary["counts"] = state["actions"]
        summary["kept"] = state["kept_list"]
        summary["kept_total"] = sum(state["kept_until"].values())
        summary["scheduled"] = _kept_days(state["kept_until"])
    progress.tick()
    finished = datetime.now(UTC)
    with ctx.store.session() as session:
        mine = claims.release_on(
            session.connection(),
            task.id,
            owner,
            state=TaskState.DONE.value,
            step="finished",
            summary=summary,
            error=None,
            finished_at=finished,
        )
        if not mine:
            raise RuntimeError("the task was taken over while it ran")
        results.save_final(session, state["writer"])
        for until, count in state["kept_until"].items():
            _schedule(session, task.request_id, task.system, until + timedelta(days=1), count)
        audit.append(
            session,
            "task.done",
            actor=ctx.actor,
            request_id=task.request_id,
            data={
                "system": task.system,
                "records": state["count"],
                "counts": state["actions"] or state["categories"],
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
