"""Many requests in one process: ``dsr request run ID ID...``, ``--all-pending``, the worker.

Each request keeps its own tasks, results, outcomes and audit events, exactly as when run
alone: the steps are the same (:func:`~.orchestrator.run_step`), claimed the same way. What a
batch adds is the chance for a system to serve many tasks at once: the runner goes in rounds,
claims every step that may start in every request, and before running them opens, per
system and step, a batch of the tasks it holds (:meth:`System.prepare_batch`, for a group of
two or more). A PBX reads its call log once for every request and rewrites it once for every
erasure; every other system ignores it, and the steps then run as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from .. import audit
from ..errors import UserError
from ..model import Identity, RequestState
from ..store.models import PauseRow, RequestRow, TaskRow
from ..systems import BatchItem, System
from . import claims, contract
from .context import EngineContext
from .orchestrator import (
    ACTIVE_STATES,
    POLL,
    RunReport,
    _Active,
    _load_tasks,
    _reset_stale,
    _start,
    _timed_out,
    claimable,
    prepare,
    settle,
)
from .steps import Loaded

#: Steps running at once in a batch (each a thread; most wait on a system).
MAX_ACTIVE = 16


@dataclass
class BatchRun:
    """What one request of a batch came to: its report, or why it could not run."""

    request_id: int | str
    report: RunReport | None = None
    error: str | None = None


@dataclass
class _Request:
    rid: int
    finished: list[int] = field(default_factory=list)
    busy_elsewhere: set[str] = field(default_factory=set)
    last_look: bool = False
    done: bool = False


def pending_requests(ctx: EngineContext, *, queued: bool | None = None) -> list[int]:
    """Open, verified requests with work left (a task to run, or none made yet) whose clock
    is not paused, oldest first; ``queued``: only those whose pending tasks are queued for
    workers (True), or not (False)."""
    open_states = [s.value for s in RequestState if s.is_open and s != RequestState.RECEIVED]
    task_left = sa.exists().where(
        TaskRow.request_id == RequestRow.id,
        TaskRow.state.in_(ACTIVE_STATES),
        *([TaskRow.queued.is_(queued)] if queued is not None else []),
    )
    no_tasks = ~sa.exists().where(TaskRow.request_id == RequestRow.id)
    paused = sa.exists().where(PauseRow.request_id == RequestRow.id, PauseRow.ended_on.is_(None))
    stmt = sa.select(RequestRow.id).where(RequestRow.state.in_(open_states), ~paused)
    if queued:
        stmt = stmt.where(task_left)
    else:
        fresh = RequestRow.state == RequestState.IDENTITY_VERIFIED.value
        stmt = stmt.where(sa.or_(task_left, sa.and_(fresh, no_tasks)))
    with ctx.store.session(readonly=True) as session:
        return list(session.execute(stmt.order_by(RequestRow.id)).scalars())


def run_many(
    ctx: EngineContext,
    request_ids: Sequence[int | str],
    systems: Sequence[str] = (),
    *,
    confirm_active: bool = False,
) -> list[BatchRun]:
    """Run every request of ``request_ids`` in this process, sharing what systems can share.
    A request that cannot run (not verified, paused, closed) gets its error; the others run.
    ``confirm_active``: staff confirmed these requests' erasures although a system reports
    the customer's contract active (as :func:`~.orchestrator.run_request` takes it)."""
    runs: list[BatchRun] = []
    requests: list[_Request] = []
    for request_id in request_ids:
        finished: list[int] = []
        try:
            rid = prepare(ctx, request_id, systems, ended_at_creation=finished)
        except UserError as exc:
            runs.append(BatchRun(request_id, error=str(exc)))
            continue
        runs.append(BatchRun(rid))
        requests.append(_Request(rid, finished))
    owner = claims.new_owner()
    keeper = claims.LeaseKeeper(ctx.store, owner, ctx.lease_seconds)
    keeper.start()
    try:
        while True:
            left = [r for r in requests if not r.done]
            won = _claim_round(ctx, owner, left, systems, confirm_active=confirm_active)
            if won is None:
                break
            ended = run_claimed(ctx, owner, won)
            for request in requests:
                request.finished.extend(t for t in ended if t in _ids_of(won, request.rid))
    finally:
        keeper.stop()
    by_id = {r.rid: r for r in requests}
    for run in runs:
        request = by_id.get(run.request_id)  # type: ignore[arg-type]
        if run.error is None and request is not None:
            run.report = settle(ctx, request.rid, request.finished, request.busy_elsewhere)
    return runs


def _ids_of(won: Sequence[tuple[TaskRow, Loaded]], rid: int) -> set[int]:
    return {t.id for t, _ in won if t.request_id == rid}


def _claim_round(
    ctx: EngineContext,
    owner: str,
    requests: Sequence[_Request],
    systems: Sequence[str],
    *,
    confirm_active: bool = False,
) -> list[tuple[TaskRow, Loaded]] | None:
    """Claim the steps that may start in ``requests``; None when no request has any left
    (a request with nothing to start looks once more, in turn with other runners, as
    :func:`~.orchestrator.run_request` does).

    While a request of the batch has a locate to run, the others' act steps wait for the
    next round: the batch then acts together (one rewrite of a call log for every erasure)."""
    only = set(systems)
    while True:
        left = [r for r in requests if not r.done]
        if not left:
            return None
        views: list[tuple[_Request, list[TaskRow], list[TaskRow], Loaded]] = []
        for request in left:
            tasks, loaded = _load_tasks(ctx, request.rid, serial=request.last_look)
            held = [t.id for t in tasks if contract.held(t)]
            if confirm_active and held:
                contract.confirm(ctx, request.rid, held)
                tasks, loaded = _load_tasks(ctx, request.rid, serial=request.last_look)
            if only:
                tasks = [t for t in tasks if t.system in only]
            if _reset_stale(ctx, tasks, loaded.generation):
                tasks, loaded = _load_tasks(ctx, request.rid)
                if only:
                    tasks = [t for t in tasks if t.system in only]
            views.append((request, tasks, claimable(tasks, set()), loaded))
        locating = any(t.step == "locate" for _, _, candidates, _ in views for t in candidates)
        won_all: list[tuple[TaskRow, Loaded]] = []
        for request, tasks, candidates, loaded in views:
            wanted = [t for t in candidates if t.step == "locate"] if locating else candidates
            scope = [t.id for t in tasks] if only else None
            won = claims.claim_many(ctx.store, wanted, owner, ctx.lease_seconds, scope=scope)
            request.busy_elsewhere = {t.system for t in wanted if t not in won}
            if won:
                request.last_look = False
                won_all.extend((task, loaded) for task in won)
            elif len(wanted) < len(candidates):
                continue  # its acts wait for the others' locates
            elif request.last_look or not any(t.state in ACTIVE_STATES for t in tasks):
                request.done = True
            else:
                request.last_look = True
        if won_all:
            return won_all


def run_claimed(ctx: EngineContext, owner: str, won: Sequence[tuple[TaskRow, Loaded]]) -> list[int]:
    """Open the batches of the claimed steps, then run them, at most :data:`MAX_ACTIVE` at
    once, each watched for its timeout; returns the ids of the tasks whose step ended."""
    recorded = open_batches(ctx, won)
    waiting = list(won)
    active: dict[int, _Active] = {}
    wake = threading.Event()
    ended: list[int] = []
    while waiting or active:
        while waiting and len(active) < MAX_ACTIVE:
            task, loaded = waiting.pop(0)
            active[task.id] = _start(ctx, task, owner, wake, loaded, recorded=task.id in recorded)
        wake.clear()
        for tid, step in list(active.items()):
            if step.over:
                ended.append(tid)
                del active[tid]
            elif step.progress.idle_for() > step.timeout:
                _timed_out(ctx, step, owner)
                ended.append(tid)
                del active[tid]
        if active and not any(a.over for a in active.values()):
            wake.wait(POLL)
    return ended


def open_batches(ctx: EngineContext, won: Sequence[tuple[TaskRow, Loaded]]) -> set[int]:
    """Per system and step, hand the system the group of claimed tasks (two or more) when
    its type implements :meth:`System.prepare_batch`. An act step's start is put on the
    trail first (the batch may carry it out); returns those tasks' ids."""
    from ..logging import get_logger

    groups: dict[tuple[str, str], list[tuple[TaskRow, Loaded]]] = {}
    for task, loaded in won:
        groups.setdefault((task.system, task.step), []).append((task, loaded))
    recorded: set[int] = set()
    for (name, step), group in groups.items():
        if len(group) < 2 or not _batches(ctx, name):
            continue
        items = [
            BatchItem(
                loaded.kind,
                loaded.for_systems,
                [Identity.from_json(k) for k in (task.keys or {}).get("identities", [])]
                if step == "act"
                else (),
            )
            for task, loaded in group
        ]
        if step == "act":
            with ctx.store.session() as session:
                for task, _ in group:
                    audit.append(
                        session,
                        "step.started",
                        actor=ctx.actor,
                        request_id=task.request_id,
                        data={"system": name, "step": step, "task": task.id, "batch": len(group)},
                    )
            recorded.update(task.id for task, _ in group)
        log = get_logger("dsr.engine").bind(system=name, step=step, tasks=len(group))
        try:
            ctx.build(name).prepare_batch(step, items)
            log.info("batch prepared")
        except Exception as exc:  # noqa: BLE001 - the steps then do their work alone
            log.warning("batch not prepared; the steps run alone", error=type(exc).__name__)
    return recorded


def _batches(ctx: EngineContext, name: str) -> bool:
    """Does the system's type implement :meth:`System.prepare_batch`?"""
    try:
        return ctx.system_type(name).prepare_batch is not System.prepare_batch
    except UserError:
        return False
