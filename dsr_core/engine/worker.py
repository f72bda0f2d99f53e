"""``dsr worker``: claim queued task steps from a shared database and run them.

Any number of workers on any hosts share one PostgreSQL database. A worker picks candidates
without locks and claims one step with a lease under its request's row lock, taken with
``SKIP LOCKED`` (so workers never wait on each other: one that finds a request held tries the
next), runs it with the same isolation as ``dsr request run`` and renews the
lease while it runs. A worker that dies leaves its lease to expire; another worker then takes
the step over, and the dead worker's late writes are refused because the claim is no longer
its own.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from ..model import TaskState
from ..store.models import TaskRow
from . import claims
from .context import EngineContext
from .orchestrator import (
    ACTIVE_STATES,
    _load_tasks,
    _reset_stale,
    _start,
    _timed_out,
    ready,
    settle,
)

CANDIDATES = 20


def claim_next(ctx: EngineContext, owner: str) -> TaskRow | None:
    """Claim the first free queued step that may start. Candidates are read without locks;
    each is claimed under its request's lock (skipped when another worker holds it), on its
    step, and an act step only while no task of its request is locating (see :mod:`claims`)."""
    now = datetime.now(UTC)
    free = sa.or_(
        TaskRow.state == TaskState.PENDING.value,
        sa.and_(TaskRow.state == TaskState.RUNNING.value, TaskRow.lease_until < now),
    )
    with ctx.store.session(readonly=True) as session:
        candidates = list(
            session.execute(
                sa.select(TaskRow)
                .where(TaskRow.queued.is_(True), free)
                .order_by(TaskRow.id)
                .limit(CANDIDATES)
            ).scalars()
        )
        siblings: dict[int, list[TaskRow]] = {}
        if candidates:
            for row in session.execute(
                sa.select(TaskRow).where(TaskRow.request_id.in_({t.request_id for t in candidates}))
            ).scalars():
                siblings.setdefault(row.request_id, []).append(row)
        session.expunge_all()
    # a first look from this snapshot saves claiming what cannot start; the claim checks again
    for task in [t for t in candidates if ready(siblings[t.request_id], t)]:
        won = claims.claim_many(ctx.store, [task], owner, ctx.lease_seconds, skip_locked=True)
        if won:
            return won[0]
    return None


def work(
    ctx: EngineContext,
    *,
    idle_exit: float | None = None,
    max_steps: int | None = None,
    poll: float = 0.5,
    stop: threading.Event | None = None,
) -> int:
    """Run steps until stopped, idle for ``idle_exit`` seconds, or ``max_steps`` ran."""
    owner = claims.new_owner()
    keeper = claims.LeaseKeeper(ctx.store, owner, ctx.lease_seconds)
    keeper.start()
    steps = 0
    idle_since = time.monotonic()
    try:
        while not (stop and stop.is_set()):
            if max_steps is not None and steps >= max_steps:
                break
            task = claim_next(ctx, owner)
            if task is None:
                if idle_exit is not None and time.monotonic() - idle_since > idle_exit:
                    break
                time.sleep(poll)
                continue
            active = _start(ctx, task, owner)
            while not active.ended.wait(0.02):
                if active.progress.idle_for() > active.timeout:
                    _timed_out(ctx, active, owner)
                    break
            steps += 1
            tasks, loaded = _load_tasks(ctx, task.request_id)
            _reset_stale(ctx, tasks, loaded.generation)
            mine = next((t for t in tasks if t.id == task.id), None)
            if mine is None or mine.state not in ACTIVE_STATES:
                # the task ended: the request's flags, notices and hooks follow (a step that
                # only led to the next one changes none of them)
                settle(ctx, task.request_id, [task.id])
            idle_since = time.monotonic()
    finally:
        keeper.stop()
    return steps
