"""An erasure of a customer whose contract is still active waits for staff.

After a system located the subject for an erasure, the engine asks it
``System.active_contract``; a True answer is kept on the task (``keys["active_contract"]``).
While any task of the request holds such an answer that staff have not confirmed, no act step
of the request starts (:func:`holds`), so nothing is erased anywhere: the run ends, names the
system and exits 5. ``dsr request run ID --confirm-active`` records staff's decision on the
tasks (``keys["active_confirmed"]``) and on the audit trail, and the erasure goes ahead. A
termination is never held: its contract is the one ending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from .. import audit
from ..store.models import TaskRow
from . import claims
from .context import EngineContext

#: Why the erasure waits, for staff (the run's output and the audit trail).
WHY = "the customer's contract is still active"


def flags(active: bool | None, earlier: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a locate stores of the system's answer: staff's confirmation of an earlier locate
    stands while the contract is still reported active."""
    if not active:
        return {}
    confirmed = bool((earlier or {}).get("active_confirmed"))
    return {"active_contract": True, **({"active_confirmed": True} if confirmed else {})}


def held(task: TaskRow) -> bool:
    """The task's system reported an active contract that staff have not confirmed."""
    keys = task.keys or {}
    return bool(keys.get("active_contract")) and not keys.get("active_confirmed")


def holds(tasks: Sequence[TaskRow]) -> bool:
    """No erasure act may start: some system reported an unconfirmed active contract."""
    return any(held(t) for t in tasks)


def held_systems(tasks: Sequence[TaskRow]) -> list[str]:
    return sorted(t.system for t in tasks if held(t))


def confirm(ctx: EngineContext, request_id: int, task_ids: Sequence[int]) -> list[str]:
    """Staff confirmed the erasure despite the active contract: recorded on each task and on
    the audit trail; returns the systems confirmed."""
    systems: list[str] = []
    with ctx.store.session() as session:
        claims.lock_request(session.connection(), request_id)
        rows = session.execute(
            sa.select(TaskRow).where(TaskRow.request_id == request_id, TaskRow.id.in_(task_ids))
        ).scalars()
        for task in rows:
            if held(task):
                task.keys = {**(task.keys or {}), "active_confirmed": True}
                systems.append(task.system)
        if systems:
            audit.append(
                session,
                "erasure.active_confirmed",
                actor=ctx.actor,
                request_id=request_id,
                data={"systems": sorted(systems), "why": WHY},
            )
    return sorted(systems)


def record_hold(session: Any, request_id: int, systems: Sequence[str], actor: str) -> None:
    """In the caller's unit of work: the run erased nothing because of ``systems``."""
    audit.append(
        session,
        "erasure.held",
        actor=actor,
        request_id=request_id,
        data={"systems": list(systems), "why": WHY},
    )
