"""Running a request: one task per system, every step claimed, run concurrently, persisted.

The loop: locate the subject in every system (repeating for systems that located before a
newer identity appeared, until the set of identities stops growing), then act in every system
that holds something. Steps run in threads at the same time; each is isolated (retries,
watchdog, its failure recorded on its task); a step's outcome is committed before the next
step starts, so a run killed at any point resumes where it stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .. import audit
from .. import requests as reqs
from ..errors import IllegalTransition, UserError
from ..model import Identity, RequestKind, RequestState, TaskInfo, TaskState
from ..recipients.notify import on_tasks_finished
from ..store.models import RequestRow, TaskRow
from ..systems import ManualStep
from . import claims, contract, termination
from .calls import Cancelled, Progress, describe_error, is_internal, report_internal
from .claims import LostClaim
from .context import EngineContext
from .holdback import by_open_number, not_searched_error, waiting_error
from .steps import Loaded, act, generation_of, load_subject, locate, reopen_stale

POLL = 0.05  # the watchdog's beat; a step's end wakes the loop at once
ACTIVE_STATES = claims.ACTIVE_STATES


@dataclass
class RunReport:
    request_id: int
    state: str
    needs_attention: bool
    tasks: list[dict[str, Any]] = field(default_factory=list)
    busy_elsewhere: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    #: Systems the request gave no task on purpose (a termination: no ``on_termination``).
    left_alone: list[str] = field(default_factory=list)
    #: Systems reporting the customer's contract active: the erasure acted nowhere.
    held: list[str] = field(default_factory=list)


# -- preparing ------------------------------------------------------------------------------
def prepare(
    ctx: EngineContext,
    request_id: int | str,
    systems: Sequence[str] = (),
    *,
    queue: bool = False,
    ended_at_creation: list[int] | None = None,
) -> int:
    """Create the request's missing tasks and re-open failed ones; returns the request id.

    Tasks that end as soon as they are made (manual ones, an unknown type) are added to
    ``ended_at_creation``.
    """
    if ended_at_creation is None:
        ended_at_creation = []
    with ctx.store.session() as session:
        row = reqs.get(session, request_id, lock=True)
        state = RequestState(row.state)
        if state == RequestState.RECEIVED:
            raise IllegalTransition(
                f"request {row.id}'s identity is not verified yet: dsr request verify "
                f"{row.id} --method TEXT"
            )
        if not state.is_open:
            raise IllegalTransition(f"request {row.id} is {state.value}: nothing to run")
        if reqs.open_pause(row) is not None:
            raise IllegalTransition(
                f"request {row.id}'s clock is paused: resume it when the subject answers"
            )
        names = list(systems) or [n for n, c in ctx.config.systems.items() if c.enabled]
        for name in names:
            ctx.system_config(name)
        if not names:
            raise UserError("no systems are configured: add [systems.NAME] tables to dsr.toml")
        kind = RequestKind(row.kind)
        names = termination.systems_for(ctx.config, kind, names, named=bool(systems))
        existing = {t.system: t for t in row.tasks}
        created, retried = [], []
        for name in names:
            conf = ctx.system_config(name)
            task = existing.get(name)
            if task is None:
                task = TaskRow(
                    system=name,
                    system_type=conf.type,
                    step="locate",
                    attempts=0,
                    queued=queue,
                    state=TaskState.PENDING.value,
                )
                try:
                    supported = termination.act_kind(kind, conf) in ctx.system_type(name).kinds
                except UserError as exc:
                    task.state, task.error = TaskState.FAILED.value, str(exc)
                    supported = True
                if not supported:
                    task.state = TaskState.MANUAL.value
                    task.step = "finished"
                    task.instructions = conf.instructions_for(kind.value)
                row.tasks.append(task)
                created.append(name)
            elif task.state == TaskState.FAILED.value:
                task.state = TaskState.PENDING.value
                task.queued = queue
                retried.append(name)
            elif task.state == TaskState.NOT_SEARCHED.value:
                task.state, task.step = TaskState.PENDING.value, "locate"
                task.queued = queue
                retried.append(name)
            elif task.state == TaskState.PENDING.value and queue and not task.queued:
                # left pending by a run here (an erasure held for an active contract, a run
                # interrupted): queued now, or no worker would ever take it
                task.queued = True
        if state == RequestState.IDENTITY_VERIFIED:
            reqs.transition(session, row, RequestState.IN_PROGRESS, actor=ctx.actor)
        elif state in _WAITING and (created or retried):
            reqs.transition(session, row, RequestState.IN_PROGRESS, actor=ctx.actor)
        audit.append(
            session,
            "request.run",
            actor=ctx.actor,
            request_id=row.id,
            data={
                "new_tasks": created,
                "retried": retried,
                "queued": queue,
                **_left_alone(ctx, kind),
            },
        )
        return row.id


def _left_alone(ctx: EngineContext, kind: RequestKind) -> dict[str, Any]:
    """For the trail: the systems a termination gives no task, and why."""
    alone = termination.left_alone(ctx.config, kind)
    return {"left_alone": alone, "why": termination.LEFT_ALONE_WHY} if alone else {}


# -- one step -------------------------------------------------------------------------------
def _finish(
    ctx: EngineContext, task: TaskRow, owner: str, *, state: TaskState, **values: Any
) -> bool:
    with ctx.store.session() as session:
        done = session.execute(
            sa.update(TaskRow)
            .where(
                TaskRow.id == task.id,
                TaskRow.lease_owner == owner,
                TaskRow.state == TaskState.RUNNING.value,
            )
            .values(
                state=state.value,
                lease_owner=None,
                lease_until=None,
                finished_at=datetime.now(UTC),
                **values,
            )
        ).rowcount
        if done:
            data = {"system": task.system, "step": task.step}
            if values.get("error"):
                data["error"] = values["error"]
            audit.append(
                session,
                f"task.{state.value}",
                actor=ctx.actor,
                request_id=task.request_id,
                data=data,
            )
    return bool(done)


def _identity_values(ctx: EngineContext, task: TaskRow, loaded: Loaded | None) -> list[str]:
    """The subject's identifiers, to hash them out of a traceback."""
    try:
        subject = (loaded or load_subject(ctx, task.request_id)).subject
    except Exception:  # noqa: BLE001 - the patterns in scrub_text still apply
        return []
    return [subject.name, *(i.value for i in subject.identities)]


def _record_start(ctx: EngineContext, task: TaskRow) -> None:
    """Put the start of an act step on the trail before the system is asked to act: every
    time a system could have changed something is in the store (``step.started``)."""
    with ctx.store.session() as session:
        audit.append(
            session,
            "step.started",
            actor=ctx.actor,
            request_id=task.request_id,
            data={"system": task.system, "step": task.step, "task": task.id},
        )


def run_step(
    ctx: EngineContext,
    task: TaskRow,
    owner: str,
    progress: Progress,
    loaded: Loaded | None = None,
    *,
    recorded: bool = False,
) -> int:
    """Run the task's current step; every ending is written to the task. ``loaded`` is the
    request as the runner last read it (the step reads it itself without); ``recorded``: an
    act's start is on the trail already (a batch put it there). Returns how many identities
    a locate step added to the request."""
    from ..logging import get_logger

    log = get_logger("dsr.engine").bind(
        request_id=task.request_id, system=task.system, step=task.step
    )
    log.info("step started")
    added = 0
    try:
        system = ctx.build(task.system)
        if task.step == "locate":
            added = locate(ctx, task, system, owner, progress, loaded)
        else:
            if not recorded:
                _record_start(ctx, task)
            act(ctx, task, system, owner, progress, loaded)
        log.info("step finished")
    except Cancelled:
        log.warning("step abandoned after the watchdog gave up on it")
        return 0
    except ManualStep as manual:
        log.info("step needs staff")
        if not progress.cancelled.is_set():
            _finish(
                ctx,
                task,
                owner,
                state=TaskState.MANUAL,
                step="finished",
                instructions=manual.instructions,
                error=None,
            )
    except LostClaim as lost:
        log.warning("step abandoned: another runner holds the task", error=str(lost))
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure of one system is recorded, not raised
        if is_internal(exc):
            error = report_internal(log, exc, task.system, _identity_values(ctx, task, loaded))
        else:
            error = describe_error(exc)
            log.warning("step failed", error=error)
        if not progress.cancelled.is_set():
            _finish(ctx, task, owner, state=TaskState.FAILED, error=error)
    return added


@dataclass
class _Active:
    task: TaskRow
    progress: Progress
    timeout: float
    ended: threading.Event = field(default_factory=threading.Event)
    added: int = 0  # identities a locate step added

    @property
    def over(self) -> bool:
        """The step has ended (set before its thread is wholly gone, so a wake-up finds it)."""
        return self.ended.is_set()


def _start(
    ctx: EngineContext,
    task: TaskRow,
    owner: str,
    wake: threading.Event | None = None,
    loaded: Loaded | None = None,
    *,
    recorded: bool = False,
) -> _Active:
    """Run the task's step in a daemon thread; ``wake`` is set when it ends."""
    active = _Active(task, Progress(), ctx.system_config(task.system).timeout)

    def target() -> None:
        try:
            active.added = run_step(ctx, task, owner, active.progress, loaded, recorded=recorded)
        finally:
            active.ended.set()
            if wake is not None:
                wake.set()

    threading.Thread(target=target, daemon=True, name=f"dsr-task-{task.id}").start()
    return active


def _timed_out(ctx: EngineContext, active: _Active, owner: str) -> None:
    active.progress.cancelled.set()
    _finish(
        ctx,
        active.task,
        owner,
        state=TaskState.FAILED,
        error=f"no answer for {active.timeout:g} s: timed out (step {active.task.step})",
    )


# -- which steps may run ---------------------------------------------------------------------
_LOCK_REQUEST = (
    sa.select(RequestRow.id).where(RequestRow.id == sa.bindparam("request_id")).with_for_update()
)


def _load_tasks(
    ctx: EngineContext, request_id: int, *, serial: bool = False
) -> tuple[list[TaskRow], Loaded]:
    """The request's tasks (detached) and the request as its steps need it, read in one
    snapshot: the steps started from it need not read it again.

    ``serial`` reads in turn with the other runners of the request (SQLite's write lock, the
    request's row lock on PostgreSQL), after every step they ended before: two runners
    looking one last time at once cannot each see the other's step still running and both
    leave the next steps undone.
    """
    with ctx.store.session(readonly=not serial) as session:
        if serial and ctx.store.dialect == "postgresql":
            session.execute(_LOCK_REQUEST, {"request_id": request_id})
        tasks = list(
            session.execute(
                sa.select(TaskRow).where(TaskRow.request_id == request_id).order_by(TaskRow.id)
            ).scalars()
        )
        loaded = load_subject(ctx, request_id, session.connection())
        session.expunge_all()
    return tasks, loaded


def _reset_stale(ctx: EngineContext, tasks: list[TaskRow], generation: int) -> bool:
    """Tasks that located before newer identities appeared locate again (a locate re-opens
    them as it adds identities; this catches what it could not see, such as tasks made by a
    later run). Done under the request's lock, as a locate's end is."""
    stale = [
        t
        for t in tasks
        if t.state in (TaskState.PENDING.value, TaskState.DONE.value, TaskState.SKIPPED.value)
        and t.step in ("act", "finished")
        and t.keys is not None
        and int(t.keys.get("generation", 0)) < generation
    ]
    if not stale:
        return False
    request_id = stale[0].request_id
    with ctx.store.session() as session:
        claims.lock_request(session.connection(), request_id)
        current = generation_of(session.connection(), request_id)
        return bool(reopen_stale(session, request_id, current, actor=ctx.actor))


def _reload_now(ended: Sequence[_Active], still: Sequence[_Active]) -> bool:
    """Can the steps that just ended make another step claimable before the rest end?

    Only a locate can: one that added identities (others locate again), or the last one
    (acting may start). An ended act frees nothing that waits; the run reloads when it is
    left with nothing running.
    """
    locating = any(a.task.step == "locate" for a in still)
    return any(a.task.step == "locate" and (a.added or not locating) for a in ended)


def ready(tasks: Sequence[TaskRow], task: TaskRow) -> bool:
    """Can ``task``'s next step start? Acting waits until no system still has to locate.

    And while a system failed to locate, a task that found the subject by a number given with
    the request without a period does not act: the failed system (a CRM's number history) may
    know the number was the subject's only from some day on, and the calls before it the
    previous holder's (``Subject.narrowed``). Other tasks act: one failure leaves the others
    done."""
    if task.step == "locate":
        return True
    others = [t for t in tasks if t.id != task.id]
    if any(t.step == "locate" and t.state in ACTIVE_STATES for t in others):
        return False
    if contract.holds(tasks):  # an erasure of a customer with an active contract waits
        return False
    failed = any(t.step == "locate" and t.state == TaskState.FAILED.value for t in others)
    return not (failed and open_numbers_from_request(task))


def open_numbers_from_request(task: TaskRow) -> bool:
    """The task located the subject by a phone number the request gave without a period."""
    return by_open_number(Identity.from_json(k) for k in (task.keys or {}).get("identities", []))


def claimable(tasks: Sequence[TaskRow], busy: set[int]) -> list[TaskRow]:
    return [t for t in tasks if t.id not in busy and t.state in ACTIVE_STATES and ready(tasks, t)]


# -- the loop for one request ----------------------------------------------------------------
def run_request(
    ctx: EngineContext,
    request_id: int | str,
    systems: Sequence[str] = (),
    *,
    confirm_active: bool = False,
) -> RunReport:
    """Run the request's steps until none is left to start. ``confirm_active``: staff
    confirmed an erasure although a system reports the customer's contract active
    (:mod:`contract`); without it such an erasure acts nowhere."""
    finished: list[int] = []
    rid = prepare(ctx, request_id, systems, ended_at_creation=finished)
    only = set(systems)
    owner = claims.new_owner()
    keeper = claims.LeaseKeeper(ctx.store, owner, ctx.lease_seconds)
    keeper.start()
    active: dict[int, _Active] = {}
    busy_elsewhere: set[str] = set()
    wake = threading.Event()
    last_look = False  # nothing was left to start: look once more, in turn with other runners
    try:
        while True:
            tasks, loaded = _load_tasks(ctx, rid, serial=last_look)
            # a system outside --system that reports an active contract holds these too
            held = [t.id for t in tasks if contract.held(t)]
            if only:
                tasks = [t for t in tasks if t.system in only]
            if _reset_stale(ctx, [t for t in tasks if t.id not in active], loaded.generation):
                continue
            if confirm_active and held:
                contract.confirm(ctx, rid, held)
                continue
            candidates = claimable(tasks, set(active))
            if held:
                candidates = [t for t in candidates if t.step == "locate"]
            scope = [t.id for t in tasks] if only else None
            won = claims.claim_many(ctx.store, candidates, owner, ctx.lease_seconds, scope=scope)
            for task in won:
                active[task.id] = _start(ctx, task, owner, wake, loaded)
            busy_elsewhere = {t.system for t in candidates if t not in won}
            if not active:
                if last_look or not any(t.state in ACTIVE_STATES for t in tasks):
                    break
                last_look = True
                continue
            last_look = False
            while active:
                wake.clear()
                ended = [tid for tid, a in active.items() if a.over]
                for tid, a in list(active.items()):
                    if tid not in ended and a.progress.idle_for() > a.timeout:
                        _timed_out(ctx, a, owner)
                        ended.append(tid)
                if ended:
                    gone = [active.pop(tid) for tid in ended]
                    finished.extend(ended)
                    if _reload_now(gone, list(active.values())):
                        break
                    continue
                wake.wait(POLL)
    finally:
        keeper.stop()
    return settle(ctx, rid, finished, busy_elsewhere, run=True)


def _mark_not_searched(session: Any, row: RequestRow, actor: str) -> None:
    """A task that found nothing while another system's locate failed was not searched with
    every identity (the failed one may hold identities it needs): it is not skipped."""
    failed = sorted(
        t.system for t in row.tasks if t.state == TaskState.FAILED.value and t.step == "locate"
    )
    if not failed:
        return
    names = ", ".join(failed)
    verb = "fails" if len(failed) == 1 else "fail"
    for task in row.tasks:
        if task.state == TaskState.PENDING.value and task.step == "act":
            if open_numbers_from_request(task):
                task.error = waiting_error(failed)
            continue
        if task.state != TaskState.SKIPPED.value:
            continue
        task.state = TaskState.NOT_SEARCHED.value
        task.error = not_searched_error(failed)
        task.summary = {"note": f"not searched while {names} {verb}"}
        audit.append(
            session,
            "task.not_searched",
            actor=actor,
            request_id=row.id,
            data={"system": task.system, "failed": failed},
        )


#: states a run moves back to in_progress when it creates or retries tasks
_WAITING = (RequestState.AWAITING_CONFIRMATIONS, RequestState.AWAITING_ANSWER)
#: states whose finished tasks make the request wait for its answer
_BUSY = (RequestState.IN_PROGRESS, RequestState.AWAITING_CONFIRMATIONS)


def settle(
    ctx: EngineContext,
    request_id: int,
    finished: Sequence[int] = (),
    busy_elsewhere: set[str] | None = None,
    *,
    run: bool = False,
) -> RunReport:
    """Bring the request's flags and state in line with its tasks; fire the task hooks.

    First, once every task is finished, the recipients are notified (Art. 19): their notices
    are created and sent in units of work of their own (it never raises).
    """
    on_tasks_finished(ctx, request_id)
    with ctx.store.session() as session:
        row = reqs.get(session, request_id, lock=True)
        _mark_not_searched(session, row, ctx.actor)
        held = contract.held_systems(row.tasks) if RequestState(row.state).is_open else []
        if held and run:  # the run that stopped before erasing says so on the trail
            contract.record_hold(session, row.id, held, ctx.actor)
        row.needs_attention = reqs.needs_attention(row)
        info = reqs.info(row)
        blockers = ctx.plugins.request_blockers(info)
        all_done = not reqs.unfinished_tasks(row)
        state = RequestState(row.state)
        if (
            all_done
            and blockers
            and state in (RequestState.IN_PROGRESS, RequestState.AWAITING_ANSWER)
        ):
            reqs.transition(
                session,
                row,
                RequestState.AWAITING_CONFIRMATIONS,
                actor=ctx.actor,
                data={"waiting_for": len(blockers)},
            )
        elif (
            all_done
            and not blockers
            and state in _BUSY
            and RequestKind(row.kind) is not RequestKind.TERMINATION  # no answer owed
            and reqs.answered(session, row.id) is None
        ):
            # Art. 12(3): the subject is owed the answer; `dsr request answer` completes it
            reqs.transition(session, row, RequestState.AWAITING_ANSWER, actor=ctx.actor)
        elif not blockers and state == RequestState.AWAITING_CONFIRMATIONS:
            reqs.transition(session, row, RequestState.IN_PROGRESS, actor=ctx.actor)
        completed = _complete_at_once(session, ctx, row, all_done and not blockers)
        report = RunReport(
            request_id=row.id,
            state=row.state,
            needs_attention=row.needs_attention,
            tasks=[
                {
                    "id": t.id,
                    "system": t.system,
                    "state": t.state,
                    "step": t.step,
                    "error": t.error,
                    "instructions": t.instructions,
                    "summary": t.summary or {},
                }
                for t in row.tasks
            ],
            busy_elsewhere=sorted(busy_elsewhere or ()),
            blockers=blockers,
            held=held,
            left_alone=[
                n
                for n in termination.left_alone(ctx.config, RequestKind(row.kind))
                if n not in {t.system for t in row.tasks}
            ],
        )
        infos = [
            TaskInfo(t.id, row.id, t.system, TaskState(t.state), t.error, t.summary or {})
            for t in row.tasks
            if t.id in set(finished) and t.state not in ACTIVE_STATES
        ]
        request_info = reqs.info(row)
    for task_info in infos:
        ctx.plugins.task_finished(request_info, task_info)
    if completed:
        ctx.plugins.request_completed(request_info)
        from .. import purge  # dsr's own copies of what the termination erased go now

        purge.after_completion(ctx.store, ctx.config, request_id, actor=ctx.actor)
    return report


def _complete_at_once(session: Any, ctx: EngineContext, row: RequestRow, finished: bool) -> bool:
    """A termination completes as soon as every task is finished and nothing needs staff:
    no answer is owed to the subject, so nothing is left to wait for."""
    if RequestKind(row.kind) is not RequestKind.TERMINATION or not finished:
        return False
    if row.needs_attention or RequestState(row.state) != RequestState.IN_PROGRESS:
        return False
    reqs.transition(
        session, row, RequestState.COMPLETED, actor=ctx.actor, data={"why": "termination done"}
    )
    return True
