"""Lifting a restriction (Art. 18(3)): ``restrict(lift=True)`` in every system whose task
restricted the subject's data, with the engine's own pieces (the system as a run builds it,
the keys the task located, the retries of a step).

The subject is told first, with the day of the lift: the lift's state is read from the audit
trail (:mod:`dsr_core.lifts`, which the light path's ``dsr due`` reads too).

Each system is tried on its own: one that fails leaves the others lifted, and is named, so
the command can be run again (a system that was lifted answers ``unchanged``). A system that
restricted by hand (a manual task, a type that cannot restrict, or one that raises
``ManualStep``) is lifted by hand too: it is listed with what staff must do, not as a failure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..engine.calls import Progress, describe_error, with_retries
from ..engine.context import EngineContext
from ..engine.steps import load_subject
from ..lifts import EVENTS_SQL, LiftState, states_of
from ..model import Identity, Outcome, RequestKind, Subject, TaskState
from ..store.models import AuditEvent, TaskRow
from ..systems import ManualStep, System


@dataclass(slots=True)
class Lifted:
    system: str
    counts: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    manual: str | None = None  # what staff must do by hand to lift it


def announced_lifts(session: Session, tz: ZoneInfo) -> dict[int, LiftState]:
    """The lift's state of every restriction that has one on the trail (an announcement,
    possibly cancelled or carried out): the light path's query, its times typed as stored."""
    query = sa.text(EVENTS_SQL).columns(at=AuditEvent.__table__.c.at.type)
    events = session.execute(query)
    return states_of(events, tz)


def _lift_one(system: System, subject: Subject, keys: list[Identity]) -> list[Outcome]:
    return list(system.restrict(subject, keys, lift=True, dry_run=False))


def holders(tasks: list[TaskRow]) -> list[TaskRow]:
    """The tasks that restricted the subject's data: the done ones (a skipped task's system
    holds nothing of the subject)."""
    return [t for t in tasks if t.state == TaskState.DONE.value]


def lift(ctx: EngineContext, request_id: int, tasks: list[TaskRow]) -> list[Lifted]:
    loaded = load_subject(ctx, request_id)
    if loaded.kind is not RequestKind.RESTRICTION:
        raise ValueError("only a restriction can be lifted")
    done: list[Lifted] = []
    for task in holders(tasks):
        result = Lifted(task.system)
        keys = [Identity.from_json(k) for k in (task.keys or {}).get("identities", [])]
        try:
            system = ctx.build(task.system)
            conf = ctx.system_config(task.system)
            if task.instructions or RequestKind.RESTRICTION not in system.kinds:
                result.manual = f"lift the restriction in {task.system} by hand, as it was set" + (
                    f" ({task.instructions})" if task.instructions else ""
                )
                done.append(result)
                continue
            call = partial(_lift_one, system, loaded.for_systems, keys)
            outcomes = with_retries(
                call,
                retries=conf.retries,
                progress=Progress(),
                wait_initial=ctx.retry_wait_initial,
            )
            for outcome in outcomes:
                result.counts[str(outcome.action)] += 1
        except ManualStep as exc:
            result.manual = exc.instructions
        except Exception as exc:  # one system's failure is reported, the others go on
            result.error = describe_error(exc)
        done.append(result)
    return done
