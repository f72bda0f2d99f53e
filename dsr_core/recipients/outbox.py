"""Sending notices with the outbox pattern: record, then send, then mark.

A notice row is committed (``pending``) before anything goes out. Sending happens outside any
transaction, under a per-notice lock (see :mod:`.locks`); the result is then written in a
transaction of its own. A process killed between sending and marking leaves the notice
``pending``: the next run sends it again, with the same ``Message-ID`` and ``webhook-id``, so
the supplier sees the same notice twice (and can drop the copy), never two different notices.

Routing: e-mail suppliers get e-mail (SMTP or the outbox folder). Webhook and OpenDSR
suppliers get the signed JSON; when their endpoint refuses it for good (410 Gone, another 4xx)
the notice goes by e-mail to the supplier's contact address instead, and a 410 disables the
endpoint until staff give a working one (``dsr suppliers edit``). A webhook reply saying the
work is done confirms the notice at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .. import audit
from ..errors import UserError
from ..store.models import NoticeRow, SupplierRow
from . import locks, notices, register
from .notices import NoticeState

if TYPE_CHECKING:
    from dsr_plugins.suppliers.message import DeliveryResult, Notice, Supplier

    from ..engine.context import EngineContext
    from .transports import Transports


@dataclass
class SendReport:
    """What became of one notice in one send."""

    notice_id: str
    request_id: int
    supplier: str
    state: str
    delivered: bool = False
    confirmed: bool = False
    channel: str | None = None
    error: str | None = None
    by_email_instead: bool = False
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Delivery:
    result: DeliveryResult
    channel: str | None
    by_email_instead: bool = False
    webhook_error: str | None = None
    disable_reason: str | None = None


def transports_for(ctx: EngineContext) -> Transports:
    """The transports of this installation (config errors are a UserError)."""
    from .settings import load
    from .transports import Transports, controller_of

    return Transports(load(ctx.config), controller_of(ctx.config))


def send(
    ctx: EngineContext,
    *,
    request_id: int | None = None,
    notice_ids: Sequence[str] = (),
    resend: bool = False,
    fresh_only: bool = False,
    reason: str = "send",
    transports: Transports | None = None,
) -> list[SendReport]:
    """Send the pending notices (all, or one request's); with ``notice_ids`` and ``resend``,
    send those again whatever their state short of confirmed or waived.

    ``fresh_only`` keeps to pending notices no attempt was recorded for: those just created,
    and those whose sender was killed before it could mark them. (Retrying failed ones is for
    ``dsr notices send`` and ``remind``, not for every engine pass.) ``reason`` goes on the
    audit trail: ``send``, ``resend`` or ``reminder``.
    """
    with ctx.store.session(readonly=True) as session:
        stmt = sa.select(NoticeRow.id).order_by(NoticeRow.id)
        if notice_ids:
            stmt = stmt.where(
                sa.func.upper(NoticeRow.notice_id).in_([n.upper() for n in notice_ids])
            )
        if not resend:
            stmt = stmt.where(NoticeRow.state == NoticeState.PENDING.value)
        if fresh_only:
            stmt = stmt.where(NoticeRow.attempts == 0)
        if request_id is not None:
            stmt = stmt.where(NoticeRow.request_id == request_id)
        ids = list(session.execute(stmt).scalars())
    if not ids:
        return []
    if transports is None:
        try:
            transports = transports_for(ctx)
        except UserError as exc:
            return [_config_problem(ctx, pk, str(exc)) for pk in ids]
    reports = []
    for pk in ids:
        report = send_one(ctx, pk, transports, resend=resend, reason=reason)
        if report is not None:
            reports.append(report)
    return reports


def send_one(
    ctx: EngineContext,
    pk: int,
    transports: Transports,
    *,
    resend: bool = False,
    reason: str = "send",
) -> SendReport | None:
    """Send one notice under its lock; ``None`` when it no longer needs sending."""
    with locks.sending(ctx.store, ctx.config.home, pk) as held:
        row, supplier_row = _load(ctx, pk)
        if not held:
            return SendReport(
                row.notice_id,
                row.request_id,
                supplier_row.name,
                row.state,
                skipped="being sent by another process right now",
            )
        if row.state == NoticeState.REVIEW.value and resend:
            return SendReport(
                row.notice_id,
                row.request_id,
                supplier_row.name,
                row.state,
                skipped=notices.REVIEW_HINT.format(nid=row.notice_id),
            )
        wanted = notices.SENDABLE_STATES if resend else (NoticeState.PENDING.value,)
        if row.state not in wanted:
            return None
        notice = notices.to_notice(row)
        supplier = register.to_supplier(supplier_row)
        try:
            delivery = _deliver(transports, notice, supplier, supplier_row)
        except UserError as exc:  # a config problem met on the way: try again once fixed
            from dsr_plugins.suppliers.message import DeliveryResult

            delivery = _Delivery(DeliveryResult(delivered=False, error=str(exc)), None)
        return _record(ctx, pk, delivery, reason)


def _load(ctx: EngineContext, pk: int) -> tuple[NoticeRow, SupplierRow]:
    with ctx.store.session(readonly=True) as session:
        row = session.get(NoticeRow, pk)
        assert row is not None
        supplier = notices.supplier_of(session, row)
        session.expunge_all()
    return row, supplier


def _deliver(
    transports: Transports, notice: Notice, supplier: Supplier, row: SupplierRow
) -> _Delivery:
    from dsr_plugins.suppliers.message import DeliveryProtocol, DeliveryResult

    if supplier.protocol is DeliveryProtocol.EMAIL:
        return _Delivery(transports.email().send(notice, supplier), transports.email_channel)
    if not supplier.webhook_secret:
        error = (
            f"the webhook secret of {row.name} is not set: put it in the environment "
            f"variable {row.secret_env}"
        )
        return _Delivery(DeliveryResult(delivered=False, error=error), None)
    result = transports.webhook().send(notice, supplier)
    channel = str(supplier.protocol)
    if result.delivered or not result.permanent:
        return _Delivery(result, channel)
    disable = result.error if result.disable_endpoint else None
    try:
        mail = transports.email().send(notice, supplier)
    except UserError as exc:  # e-mail is not usable either: keep what the webhook said
        mail = DeliveryResult(delivered=False, error=f"{result.error}; by e-mail: {exc}")
    return _Delivery(
        mail,
        transports.email_channel,
        by_email_instead=True,
        webhook_error=result.error,
        disable_reason=disable,
    )


def _record(ctx: EngineContext, pk: int, delivery: _Delivery, reason: str) -> SendReport:
    """Mark the notice with what the send achieved (its own transaction)."""
    result = delivery.result
    now = datetime.now(UTC)
    with ctx.store.session() as session:
        row = session.get(NoticeRow, pk, with_for_update=True)
        assert row is not None
        supplier = notices.supplier_of(session, row)
        if delivery.disable_reason:
            register.disable_webhook(session, supplier, delivery.disable_reason, actor=ctx.actor)
        row.attempts += 1
        row.last_attempt_at = now
        row.updated_at = now
        state = NoticeState(row.state)
        base = {"notice_id": row.notice_id, "supplier": supplier.name, "reason": reason}
        if result.delivered:
            row.sends += 1
            row.first_sent_at = row.first_sent_at or now
            row.last_sent_at = now
            row.channel = delivery.channel
            row.last_error = (
                f"webhook refused ({delivery.webhook_error}): sent by e-mail instead"
                if delivery.by_email_instead
                else None
            )
            reference = result.detail.get("reference")
            if reference is not None:
                row.reference = str(reference)[:200]
            if state in (NoticeState.PENDING, NoticeState.FAILED):
                row.state = NoticeState.SENT.value
            audit.append(
                session,
                "notice.sent",
                actor=ctx.actor,
                request_id=row.request_id,
                data={
                    **base,
                    "channel": delivery.channel,
                    "send": row.sends,
                    "by_email_instead": delivery.by_email_instead,
                    "webhook_error": delivery.webhook_error,
                },
            )
            if result.confirmed and NoticeState(row.state).is_open:
                notices.ack(
                    session,
                    row,
                    actor=ctx.actor,
                    note=_reply_note(result.detail),
                    how="webhook reply",
                )
        else:
            row.last_error = result.error
            if result.permanent and state == NoticeState.PENDING:
                row.state = NoticeState.FAILED.value
            audit.append(
                session,
                "notice.send_failed",
                actor=ctx.actor,
                request_id=row.request_id,
                data={**base, "error": result.error, "permanent": result.permanent},
            )
        return SendReport(
            row.notice_id,
            row.request_id,
            supplier.name,
            row.state,
            delivered=result.delivered,
            confirmed=row.state == NoticeState.CONFIRMED.value,
            channel=delivery.channel,
            error=row.last_error if not result.delivered else delivery.webhook_error,
            by_email_instead=delivery.by_email_instead,
        )


def _reply_note(detail: Any) -> str:
    parts = [f"{key} {detail[key]}" for key in ("reply_status", "reference") if key in detail]
    return "webhook reply: " + (", ".join(parts) if parts else "done")


def _config_problem(ctx: EngineContext, pk: int, error: str) -> SendReport:
    """A notice that cannot be sent because of the config: the error goes on the notice."""
    with ctx.store.session() as session:
        row = session.get(NoticeRow, pk)
        assert row is not None
        supplier = notices.supplier_of(session, row)
        if row.last_error != error:
            row.last_error = error
            audit.append(
                session,
                "notice.send_failed",
                actor=ctx.actor,
                request_id=row.request_id,
                data={"notice_id": row.notice_id, "supplier": supplier.name, "error": error},
            )
        return SendReport(row.notice_id, row.request_id, supplier.name, row.state, error=error)
