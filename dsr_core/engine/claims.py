"""Who runs a task: claims with leases, so no task step runs twice at once.

A runner claims a task by a conditional UPDATE that only succeeds while the task is free: not
running, or running under a lease that expired, or under a runner on this host whose process
is gone (a run killed with SIGKILL is resumed at once, not after the lease). On PostgreSQL,
workers pick candidates with ``FOR UPDATE SKIP LOCKED`` so they do not queue on each other.
A runner renews its leases while a step runs.

A claim names the step it claims (a runner holding an old copy of a task cannot run the task's
old step again), and an act step is only claimed while no other task of the request is
locating, checked in the claiming statement itself. Claims and the end of a locate step (new
identities, and re-opening the steps they make stale) hold the request's row lock on
PostgreSQL, so the two are serial: an act step can never start on keys a locate just made old.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..model import TaskState
from ..store import Store
from ..store.models import RequestRow, TaskRow

HOST = socket.gethostname()
ACTIVE_STATES = (TaskState.PENDING.value, TaskState.RUNNING.value)
_SIBLING = TaskRow.__table__.alias("sibling")


class LostClaim(RuntimeError):
    """The runner no longer holds the task (timed out, taken over): nothing it did is kept."""


def lock_request(conn: sa.Connection, request_id: int, *, skip_locked: bool = False) -> bool:
    """Hold the request's row until the transaction ends (PostgreSQL; SQLite's write
    transactions are serial already). With ``skip_locked``, False when another holds it."""
    if conn.dialect.name != "postgresql":
        return True
    stmt = sa.select(RequestRow.id).where(RequestRow.id == request_id)
    stmt = stmt.with_for_update(skip_locked=skip_locked)
    return conn.execute(stmt).first() is not None


def _none_locating(scope: Sequence[int] | None) -> sa.ColumnElement[bool]:
    """No other task of the same request (among ``scope``, when given) is locating."""
    sibling = _SIBLING
    cond = [
        sibling.c.request_id == TaskRow.request_id,
        sibling.c.id != TaskRow.id,
        sibling.c.step == "locate",
        sibling.c.state.in_(ACTIVE_STATES),
    ]
    if scope is not None:
        cond.append(sibling.c.id.in_(list(scope)))
    return ~sa.exists().where(*cond)


def new_owner() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` ran on this host in a process that no longer exists."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _claim_condition(task: TaskRow, now: datetime) -> sa.ColumnElement[bool] | None:
    """The row condition under which ``task`` is still free, or None if it is not."""
    if task.state == TaskState.PENDING.value:
        return TaskRow.state == TaskState.PENDING.value
    if task.state != TaskState.RUNNING.value:
        return None
    stale = task.lease_until is None or task.lease_until < now or owner_is_dead(task.lease_owner)
    if not stale:
        return None
    return sa.and_(
        TaskRow.state == TaskState.RUNNING.value,
        TaskRow.lease_owner == task.lease_owner
        if task.lease_owner
        else TaskRow.lease_owner.is_(None),
    )


def claim_many(
    store: Store,
    tasks: list[TaskRow],
    owner: str,
    lease: float,
    *,
    scope: Sequence[int] | None = None,
    skip_locked: bool = False,
) -> list[TaskRow]:
    """Try to take each task for its step, in one transaction; returns those now held, with
    their keys and summary as stored when claimed.

    Pending tasks are taken with one statement per step; tasks left running by a runner
    that is gone, one by one on their own condition. An act step is only taken while no task
    of the request in ``scope`` (every task when None) is locating. ``skip_locked``: give up
    at once when another runner holds the request (workers take another one).
    """
    now = datetime.now(UTC)
    until = now + timedelta(seconds=lease)
    wanted = [(t, c) for t in tasks if (c := _claim_condition(t, now)) is not None]
    if not wanted:
        return []
    values = {
        "state": TaskState.RUNNING.value,
        "lease_owner": owner,
        "lease_until": until,
        "attempts": TaskRow.attempts + 1,
        "started_at": now,
    }
    won: set[int] = set()
    with store.writing() as conn:
        for request_id in sorted({t.request_id for t, _ in wanted}):
            if not lock_request(conn, request_id, skip_locked=skip_locked):
                wanted = [(t, c) for t, c in wanted if t.request_id != request_id]
        ready = _none_locating(scope)
        for step in ("locate", "act"):
            pending = [
                t.id for t, _ in wanted if t.state == TaskState.PENDING.value and t.step == step
            ]
            if not pending:
                continue
            stmt = sa.update(TaskRow).where(
                TaskRow.id.in_(pending),
                TaskRow.state == TaskState.PENDING.value,
                TaskRow.step == step,
            )
            if step == "act":
                stmt = stmt.where(ready)
            if conn.dialect.update_returning:
                won.update(conn.execute(stmt.values(values).returning(TaskRow.id)).scalars())
            else:
                for task_id in pending:
                    done = conn.execute(stmt.where(TaskRow.id == task_id).values(values)).rowcount
                    if done == 1:
                        won.add(task_id)
        for task, free in wanted:
            if task.state == TaskState.PENDING.value:
                continue
            stmt = sa.update(TaskRow).where(TaskRow.id == task.id, free, TaskRow.step == task.step)
            if task.step == "act":
                stmt = stmt.where(ready)
            if conn.execute(stmt.values(values)).rowcount == 1:
                won.add(task.id)
        fresh = {}
        if won:
            fresh = {
                row.id: row
                for row in conn.execute(
                    sa.select(TaskRow.id, TaskRow.keys, TaskRow.summary, TaskRow.attempts).where(
                        TaskRow.id.in_(won)
                    )
                )
            }
    held = []
    for task in tasks:
        if task.id in won:
            row = fresh[task.id]
            task.keys, task.summary, task.attempts = row.keys, row.summary, row.attempts
            task.state, task.lease_owner = TaskState.RUNNING.value, owner
            held.append(task)
    return held


_TASKS = TaskRow.__table__


@functools.cache
def _release_statement(names: tuple[str, ...]) -> sa.Update:
    """``UPDATE tasks SET <names>, lease cleared WHERE id, owner and running``, built once per
    set of columns (building a statement costs more than running it; steps end often)."""
    return (
        sa.update(_TASKS)
        .where(
            _TASKS.c.id == sa.bindparam("task_id"),
            _TASKS.c.lease_owner == sa.bindparam("owner"),
            _TASKS.c.state == TaskState.RUNNING.value,
        )
        .values({name: sa.bindparam(f"set_{name}") for name in names})
    )


def release_on(conn: sa.Connection, task_id: int, owner: str, **values: object) -> bool:
    """In the caller's transaction: write ``values`` and clear the lease, only if this runner
    still holds the task."""
    values = {"lease_owner": None, "lease_until": None, **values}
    params = {f"set_{name}": value for name, value in values.items()}
    statement = _release_statement(tuple(sorted(values)))
    done = conn.execute(statement, {"task_id": task_id, "owner": owner, **params}).rowcount
    return done == 1


class LeaseKeeper(threading.Thread):
    """Renews the leases of the tasks a runner holds, every third of the lease."""

    def __init__(self, store: Store, owner: str, lease: float) -> None:
        super().__init__(daemon=True, name="dsr-lease")
        self.store = store
        self.owner = owner
        self.lease = lease
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.lease / 3):
            try:
                with self.store.writing() as conn:
                    conn.execute(
                        sa.update(TaskRow)
                        .where(
                            TaskRow.lease_owner == self.owner,
                            TaskRow.state == TaskState.RUNNING.value,
                        )
                        .values(lease_until=datetime.now(UTC) + timedelta(seconds=self.lease))
                    )
            except sa.exc.SQLAlchemyError:
                continue  # try again next beat; the lease is long enough for a missed one

    def stop(self) -> None:
        self.stopped.set()
