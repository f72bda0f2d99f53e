"""Reminders (``dsr notices remind``, for cron): chase suppliers that have not confirmed.

One pass:

1. notices not delivered yet (a mail server or webhook that was down) are sent again;
2. notices delivered at least ``remind_after_days`` days ago (last send, in the controller's
   timezone) and neither confirmed nor waived are sent again, with the same Message-ID and
   webhook-id: the supplier recognises the reminder as the same notice;
3. the late ones, past the day we asked them to confirm by, are listed for staff, with the
   undeliverable ones (``failed``: staff must fix the supplier).

It never fails because a supplier is late or unreachable: that is its report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..store.models import NoticeRow, SupplierRow
from . import outbox
from .notices import OPEN_STATES, NoticeState
from .settings import load

if TYPE_CHECKING:
    from ..engine.context import EngineContext
    from .outbox import SendReport


@dataclass
class RemindReport:
    retried: list[SendReport] = field(default_factory=list)
    reminded: list[SendReport] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)
    undeliverable: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "retried": [r.to_json() for r in self.retried],
            "reminded": [r.to_json() for r in self.reminded],
            "late": list(self.late),
            "undeliverable": list(self.undeliverable),
        }


def remind(ctx: EngineContext) -> RemindReport:
    settings = load(ctx.config)
    today = ctx.today()
    tz = ctx.config.controller.tz
    report = RemindReport()
    report.retried = outbox.send(ctx, reason="send")
    cutoff = today - timedelta(days=settings.remind_after_days)
    with ctx.store.session(readonly=True) as session:
        sent = session.execute(
            sa.select(NoticeRow.notice_id, NoticeRow.last_sent_at).where(
                NoticeRow.state == NoticeState.SENT.value, NoticeRow.last_sent_at.is_not(None)
            )
        ).all()
    due = [nid for nid, at in sent if at.astimezone(tz).date() <= cutoff]
    if due:
        report.reminded = outbox.send(ctx, notice_ids=due, resend=True, reason="reminder")
    with ctx.store.session(readonly=True) as session:
        rows = session.execute(
            sa.select(NoticeRow, SupplierRow)
            .join(SupplierRow, SupplierRow.id == NoticeRow.supplier_id)
            .where(NoticeRow.state.in_(OPEN_STATES))
            .order_by(NoticeRow.confirm_by, NoticeRow.id)
        ).all()
        for notice, supplier in rows:
            entry = _entry(notice, supplier, today)
            if notice.state == NoticeState.FAILED.value:
                report.undeliverable.append(entry)
            elif notice.state == NoticeState.REVIEW.value:
                continue  # nothing was sent: it is staff who owe the next step, not the supplier
            elif today > notice.confirm_by:
                report.late.append(entry)
    return report


def _entry(notice: NoticeRow, supplier: SupplierRow, today: date) -> dict[str, Any]:
    return {
        "notice_id": notice.notice_id,
        "request_id": notice.request_id,
        "supplier": supplier.name,
        "contact": supplier.email,
        "state": notice.state,
        "confirm_by": notice.confirm_by.isoformat(),
        "days_late": max(0, (today - notice.confirm_by).days),
        "sends": notice.sends,
        "last_error": notice.last_error,
    }
