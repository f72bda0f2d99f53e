"""What the engine calls once a request's tasks are all finished.

:func:`on_tasks_finished` derives disclosures from the tasks' results, creates the request's
notices (one per recipient, once) and sends those no send was recorded for yet (just created,
or their sender was killed before it could mark them). Notices whose delivery failed are
retried by ``dsr notices send`` and ``dsr notices remind``, not on every engine pass (a worker
settles after every step, and a dead webhook must not hold it up). It is safe to call any
number of times, from any process: it does nothing until every task is done or skipped, never
creates a second notice for a request and supplier, and never sends a notice twice at the same
time. It never raises for a delivery or config problem: those stay on the notices, and
``dsr_request_blockers`` reports them until they are fixed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import requests as reqs
from ..errors import UserError
from ..model import RequestKind, RequestState
from . import derive, notices, outbox
from .settings import load
from .transports import controller_of

if TYPE_CHECKING:
    from ..engine.context import EngineContext
    from .outbox import SendReport


def create_notices(ctx: EngineContext, request_id: int | str) -> list[str]:
    """Create the request's missing notices (committed before anything is sent); returns
    their ids. A config problem (no controller e-mail, a bad ``[notices]`` key) is a
    UserError, and nothing is written."""
    settings = load(ctx.config)
    controller = controller_of(ctx.config)
    with ctx.store.session() as session:
        row = reqs.get(session, request_id, lock=True)
        made = notices.create_for_request(
            session,
            row,
            controller=controller,
            confirm_within_days=settings.confirm_within_days,
            today=ctx.today(),
            actor=ctx.actor,
            callback_url=settings.callback_url,
        )
        return [n.notice_id for n in made]


def notify(ctx: EngineContext, request_id: int | str) -> tuple[list[str], list[SendReport]]:
    """Create the missing notices, then send every pending one of the request."""
    created = create_notices(ctx, request_id)
    with ctx.store.session(readonly=True) as session:
        rid = reqs.get(session, request_id).id
    return created, outbox.send(ctx, request_id=rid)


def on_tasks_finished(ctx: EngineContext, request_id: int) -> None:
    """The engine's call after a request's tasks are all finished (see the module docstring).

    Call it outside any unit of work (it commits its own), before the request's state is
    settled, so that the blockers the state depends on include the new notices.
    """
    from ..logging import get_logger

    log = get_logger("dsr.notices").bind(request_id=request_id)
    try:
        with ctx.store.session(readonly=True) as session:
            row = reqs.get(session, request_id)
            if not RequestState(row.state).is_open or not notices.tasks_finished(row):
                return
            kind = RequestKind(row.kind)
        try:
            report = derive.from_results(ctx, request_id)
        except Exception as exc:  # noqa: BLE001 - the notices must still go out
            log.warning("disclosures not derived", error=f"{type(exc).__name__}: {exc}")
        else:
            if report.recorded:
                log.info("disclosures derived", suppliers=len(report.recorded))
        if not kind.notifies_recipients:
            return
        try:
            created = create_notices(ctx, request_id)
        except UserError as exc:
            log.warning("notices not created", error=str(exc))
            return
        sent = outbox.send(ctx, request_id=request_id, fresh_only=True)
        log.info(
            "notices",
            created=len(created),
            delivered=sum(1 for s in sent if s.delivered),
            failed=sum(1 for s in sent if not s.delivered and not s.skipped),
        )
    except Exception as exc:  # noqa: BLE001 - notices never break the engine; blockers show it
        log.warning("notices step failed", error=f"{type(exc).__name__}: {exc}")
