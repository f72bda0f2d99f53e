"""Who runs a task: claims with leases, so no task step runs twice at once.

A runner claims a task by a conditional UPDATE that only succeeds while the task is free: not
running, or running under a lease that expired, or under a runner on this host whose process
is gone (a run killed with SIGKILL is resumed at once, not after the lease). On PostgreSQL,
workers pick candidates with ``FOR UPDATE SKIP LOCKED`` so they do not queue on each other.
A runner renews its leases while a step runs.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..model import TaskState
from ..store import Store
from ..store.models import TaskRow

HOST = socket.gethostname()


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


def claim_many(store: Store, tasks: list[TaskRow], owner: str, lease: float) -> list[TaskRow]:
    """Try to take each task for one step, in one transaction; returns those now held.

    Pending tasks are taken with one statement (``UPDATE ... RETURNING`` where the database
    has it); tasks left running by a runner that is gone, one by one on their own condition.
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
        pending = [t.id for t in tasks if t.state == TaskState.PENDING.value]
        if pending and conn.dialect.update_returning:
            won.update(
                conn.execute(
                    sa.update(TaskRow)
                    .where(TaskRow.id.in_(pending), TaskRow.state == TaskState.PENDING.value)
                    .values(values)
                    .returning(TaskRow.id)
                ).scalars()
            )
            wanted = [(t, c) for t, c in wanted if t.state != TaskState.PENDING.value]
        for task, free in wanted:
            done = conn.execute(
                sa.update(TaskRow).where(TaskRow.id == task.id, free).values(values)
            ).rowcount
            if done == 1:
                won.add(task.id)
    return [t for t in tasks if t.id in won]


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


def release(store: Store, task_id: int, owner: str, **values: object) -> bool:
    """Finish a step: write ``values`` only if this runner still holds the task."""
    with store.writing() as conn:
        return release_on(conn, task_id, owner, **values)


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
