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
from .batch import run_claimed
from .context import EngineContext
from .orchestrator import ACTIVE_STATES, _load_tasks, _reset_stale, ready, settle
from .steps import load_subject

CANDIDATES = 20


def claim_next(ctx: EngineContext, owner: str, limit: int = 1) -> list[TaskRow]:
    """Claim up to ``limit`` free queued steps that may start (a worker's batch: the PBX
    then reads its log once for all of them, see :mod:`.batch`)."""
    return _claim(ctx, owner, limit, locates_first=False)[0]


def _claim(
    ctx: EngineContext, owner: str, limit: int, *, locates_first: bool
) -> tuple[list[TaskRow], bool]:
    """Claim up to ``limit`` free queued steps that may start; with ``locates_first``, only
    locates while there are any (the acts then start together in the next round: one
    rewrite of a call log for all erasures). Returns the claimed tasks and whether acts were
    held back. Candidates are read without locks; each is claimed under its request's lock
    (skipped when another worker holds it), on its step, and an act step only while no task
    of its request is locating (see :mod:`claims`)."""
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
                .limit(max(CANDIDATES, limit))
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
    startable = [t for t in candidates if ready(siblings[t.request_id], t)]
    locates = [t for t in startable if t.step == "locate"]
    held = locates_first and bool(locates) and len(locates) < len(startable)
    won: list[TaskRow] = []
    for task in locates if held else startable:
        if len(won) >= limit:
            break
        won += claims.claim_many(ctx.store, [task], owner, ctx.lease_seconds, skip_locked=True)
    return won, held


def work(
    ctx: EngineContext,
    *,
    idle_exit: float | None = None,
    max_steps: int | None = None,
    poll: float = 0.5,
    stop: threading.Event | None = None,
) -> int:
    """Run steps until stopped, idle for ``idle_exit`` seconds, or ``max_steps`` ran. Each
    round claims up to :data:`CANDIDATES` steps and runs them as a batch (:mod:`.batch`)."""
    owner = claims.new_owner()
    keeper = claims.LeaseKeeper(ctx.store, owner, ctx.lease_seconds)
    keeper.start()
    steps = 0
    held = False  # acts were held back for locates last round: this round takes them too
    idle_since = time.monotonic()
    try:
        while not (stop and stop.is_set()):
            if max_steps is not None and steps >= max_steps:
                break
            limit = CANDIDATES if max_steps is None else min(CANDIDATES, max_steps - steps)
            won, held = _claim(ctx, owner, limit, locates_first=not held)
            if not won:
                if idle_exit is not None and time.monotonic() - idle_since > idle_exit:
                    break
                time.sleep(poll)
                continue
            loaded = {rid: load_subject(ctx, rid) for rid in {t.request_id for t in won}}
            run_claimed(ctx, owner, [(t, loaded[t.request_id]) for t in won])
            steps += len(won)
            for rid in sorted(loaded):
                tasks, now_loaded = _load_tasks(ctx, rid)
                _reset_stale(ctx, tasks, now_loaded.generation)
                state = {t.id: t.state for t in tasks}
                ended = [t.id for t in won if t.request_id == rid]
                ended = [tid for tid in ended if state.get(tid) not in ACTIVE_STATES]
                if ended:
                    # the tasks ended: the request's flags, notices and hooks follow (a step
                    # that only led to the next one changes none of them)
                    settle(ctx, rid, ended)
            idle_since = time.monotonic()
    finally:
        keeper.stop()
    return steps
