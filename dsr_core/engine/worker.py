"""``dsr worker``: claim queued task steps from a shared database and run them.

Any number of workers on any hosts share one PostgreSQL database. A worker picks candidates
with ``SELECT ... FOR UPDATE SKIP LOCKED`` (so workers never wait on each other's rows), claims
one step with a lease, runs it with the same isolation as ``dsr request run`` and renews the
lease while it runs. A worker that dies leaves its lease to expire; another worker then takes
the step over, and the dead worker's late writes are refused because the claim is no longer
its own.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..model import TaskState
from ..store.models import TaskRow
from . import claims
from .context import EngineContext
from .orchestrator import _load_tasks, _reset_stale, _start, _timed_out, ready, settle

CANDIDATES = 20


def claim_next(ctx: EngineContext, owner: str) -> TaskRow | None:
    now = datetime.now(UTC)
    free = sa.or_(
        TaskRow.state == TaskState.PENDING.value,
        sa.and_(TaskRow.state == TaskState.RUNNING.value, TaskRow.lease_until < now),
    )
    with ctx.store.session() as session:
        stmt = (
            sa.select(TaskRow)
            .where(TaskRow.queued.is_(True), free)
            .order_by(TaskRow.id)
            .limit(CANDIDATES)
        )
        if ctx.store.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for task in session.execute(stmt).scalars().all():
            siblings = (
                session.execute(sa.select(TaskRow).where(TaskRow.request_id == task.request_id))
                .scalars()
                .all()
            )
            if not ready(siblings, task):
                continue
            task.state = TaskState.RUNNING.value
            task.lease_owner = owner
            task.lease_until = now + timedelta(seconds=ctx.lease_seconds)
            task.attempts += 1
            task.started_at = now
            session.flush()
            session.expunge(task)
            return task
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
            while not active.over:
                if active.progress.idle_for() > active.timeout:
                    _timed_out(ctx, active, owner)
                    break
                time.sleep(0.02)
            steps += 1
            tasks, loaded = _load_tasks(ctx, task.request_id)
            _reset_stale(ctx, tasks, loaded.generation)
            settle(ctx, task.request_id, [task.id])
            idle_since = time.monotonic()
    finally:
        keeper.stop()
    return steps
