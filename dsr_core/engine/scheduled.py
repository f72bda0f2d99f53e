"""``dsr request run --due-erasures``: erase kept records once their retention ends.

When an erasure keeps records under a legal duty, the engine schedules a later erasure for the
day after each until-date. This asks the system to erase again (systems erase what is no longer
kept and keep the rest, which is scheduled anew). Safe to run from cron as often as wanted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from .. import audit
from .. import requests as reqs
from ..model import Action, Subject
from ..store.models import ScheduledErasureRow
from ..systems import System
from .calls import Progress, describe_error, with_retries
from .context import EngineContext
from .steps import _schedule


@dataclass
class DueResult:
    request_id: int
    system: str
    due_on: date
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def _erase_again(system: System, subject: Subject) -> tuple[dict[str, int], dict[date, int]]:
    counts: dict[str, int] = {}
    kept: dict[date, int] = {}
    keys = list(system.locate(subject))
    if not keys:
        return counts, kept
    for outcome in system.erase(subject, keys, dry_run=False):
        counts[outcome.action.value] = counts.get(outcome.action.value, 0) + 1
        if outcome.action == Action.KEPT and outcome.until is not None:
            kept[outcome.until] = kept.get(outcome.until, 0) + 1
    return counts, kept


def run_due_erasures(ctx: EngineContext) -> list[DueResult]:
    today = ctx.today()
    with ctx.store.session() as session:
        due = (
            session.execute(
                sa.select(ScheduledErasureRow)
                .where(ScheduledErasureRow.done_at.is_(None), ScheduledErasureRow.due_on <= today)
                .order_by(ScheduledErasureRow.due_on, ScheduledErasureRow.id)
            )
            .scalars()
            .all()
        )
        session.expunge_all()
    results = []
    for item in due:
        result = DueResult(item.request_id, item.system, item.due_on)
        kept: dict[date, int] = {}
        try:
            with ctx.store.session() as session:
                row = reqs.get(session, item.request_id)
                subject = reqs.subject_of(row).narrowed()
            system = ctx.build(item.system)
            conf = ctx.system_config(item.system)
            progress = Progress()

            result.counts, kept = with_retries(
                lambda system=system, subject=subject: _erase_again(system, subject),
                retries=conf.retries,
                progress=progress,
                wait_initial=ctx.retry_wait_initial,
            )
        except Exception as exc:  # noqa: BLE001 - recorded on the schedule, tried again next time
            result.error = describe_error(exc)
        with ctx.store.session() as session:
            row = session.get(ScheduledErasureRow, item.id)
            assert row is not None
            if result.error:
                row.error = result.error
            else:
                row.done_at = datetime.now(UTC)
                row.error = None
                for until, count in kept.items():
                    _schedule(
                        session, item.request_id, item.system, until + timedelta(days=1), count
                    )
            audit.append(
                session,
                "erasure.scheduled_run",
                actor=ctx.actor,
                request_id=item.request_id,
                data={
                    "system": item.system,
                    "due_on": item.due_on.isoformat(),
                    "counts": result.counts,
                    "error": result.error,
                },
            )
        results.append(result)
    return results
