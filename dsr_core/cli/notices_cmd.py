"""``dsr notices ...``: Art. 19 notices to suppliers, their confirmations and reminders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from ..errors import UserError
from . import exits
from .app import App, engine_context, free_text, get_app, json_option, table

if TYPE_CHECKING:
    from ..recipients.outbox import SendReport


@click.group()
def notices() -> None:
    """Notices to the recipients of erased, rectified or restricted data (Art. 19)."""


def _settle(app: App, request_ids: Iterable[int]) -> dict[int, str]:
    """Bring each request's state in line with its notices; returns the new states."""
    from ..engine import settle

    ctx = engine_context(app)
    return {rid: settle(ctx, rid).state for rid in sorted(set(request_ids))}


def _send_lines(reports: list[SendReport]) -> list[list[Any]]:
    rows = []
    for r in reports:
        if r.skipped:
            what = r.skipped
        elif r.delivered:
            what = f"sent by {r.channel}"
            if r.by_email_instead:
                what += f" (webhook refused: {r.error})"
            if r.confirmed:
                what += ", confirmed by the reply"
        else:
            what = f"not delivered: {r.error}"
        rows.append([r.notice_id, r.supplier, r.state, what])
    return rows


def _send_table(reports: list[SendReport]) -> str:
    return table(["notice", "supplier", "state", "result"], _send_lines(reports))


@notices.command("list")
@click.option("--pending", is_flag=True, help="Only notices not confirmed or waived yet.")
@click.option("--request", "request_id", help="Only this request's notices.")
@click.option("--supplier", help="Only this supplier's notices.")
@json_option
def list_(pending: bool, request_id: str | None, supplier: str | None) -> None:
    """Notices with their state; late ones are past the day we asked to confirm by."""
    from .. import requests as reqs
    from ..recipients import notices as nt
    from ..recipients import register

    app = get_app()
    today = app.today()
    with app.session() as session:
        rid = reqs.get(session, request_id).id if request_id else None
        sid = register.get(session, supplier).id if supplier else None
        data = [
            nt.notice_json(n, s, today=today)
            for n, s in nt.query(session, pending=pending, request_id=rid, supplier_id=sid)
        ]

    def text() -> str:
        if not data:
            return "no pending notices" if pending else "no notices"
        return table(
            ["notice", "request", "kind", "supplier", "state", "confirm by", "sends"],
            [
                [
                    d["notice_id"],
                    d["request_id"],
                    d["kind"],
                    d["supplier"],
                    d["state"] + (" LATE" if d["late"] else ""),
                    d["confirm_by"],
                    d["sends"],
                ]
                for d in data
            ],
        )

    app.emit(data, text)


@notices.command("show")
@click.argument("notice")
@json_option
def show(notice: str) -> None:
    """One notice: to whom, what it says, how it went."""
    from ..recipients import notices as nt

    app = get_app()
    with app.session() as session:
        row = nt.get(session, notice)
        data = nt.notice_json(row, nt.supplier_of(session, row), today=app.today(), detail=True)

    def text() -> str:
        lines = [
            f"notice {data['notice_id']}  {data['kind']}  {data['state']}"
            + ("  LATE" if data["late"] else ""),
            f"request:    {data['request_id']}",
            f"supplier:   {data['supplier']} ({data['role']}, {data['language']}, "
            f"{data['protocol']})",
            f"confirm by: {data['confirm_by']}",
            "identities: " + ", ".join(f"{i['kind']} {i['value']}" for i in data["identities"]),
        ]
        for field, value in data["changes"].items():
            lines.append(f"change:     {field} -> {value}")
        lines.append(f"message-id: {data['message_id']}")
        if data["protocol"] != "email":
            lines.append(f"webhook-id: {data['webhook_id']}")
        last = data["last_sent_at"]
        sent = f"{last[:16].replace('T', ' ')} UTC" if last else "never"
        lines.append(
            f"sent:       {data['sends']} time(s), last {sent} by {data['channel'] or '-'}"
        )
        if data.get("review"):
            lines.append(f"review:     {data['review']}")
        if data["last_error"]:
            lines.append(f"error:      {data['last_error']}")
        if data["reference"]:
            lines.append(f"reference:  {data['reference']}")
        if data["resolved_at"]:
            lines.append(
                f"{data['state']}:  {data['resolved_at']} by {data['resolved_by']}"
                + (f": {data['resolution']}" if data["resolution"] else "")
            )
        return "\n".join(lines)

    app.emit(data, text)


@notices.command("send")
@click.argument("request_id", required=False)
@json_option
def send(request_id: str | None) -> None:
    """Create the missing notices of REQUEST (or of every open request whose systems are
    done) and send every notice not delivered yet."""
    from .. import requests as reqs
    from ..model import RequestKind, RequestState
    from ..recipients import notices as nt
    from ..recipients import notify, outbox

    app = get_app()
    ctx = engine_context(app)
    with app.session() as session:
        if request_id:
            row = reqs.get(session, request_id)
            if not RequestKind(row.kind).notifies_recipients:
                raise UserError(
                    f"request {row.id} ({row.kind}) notifies no recipients: only erasure, "
                    "rectification and restriction do (Art. 19)"
                )
            if not RequestState(row.state).is_open:
                raise UserError(f"request {row.id} is {row.state}: no notices to send")
            if not nt.tasks_finished(row):
                raise UserError(
                    f"request {row.id}'s systems are not all done yet: notices go out once "
                    f"they are (dsr request show {row.id})"
                )
            targets = [row.id]
        else:
            targets = [
                r.id
                for r, _ in reqs.list_requests(
                    session, which="open", controller=app.config.controller, today=app.today()
                )
                if RequestKind(r.kind).notifies_recipients and nt.tasks_finished(r)
            ]
    created: list[str] = []
    for rid in targets:
        created += notify.create_notices(ctx, rid)
    reports = outbox.send(ctx, request_id=targets[0] if request_id else None)
    states = _settle(app, [r.request_id for r in reports] + targets)
    data = {
        "created": created,
        "sent": [r.to_json() for r in reports],
        "requests": {str(k): v for k, v in states.items()},
    }

    def text() -> str:
        lines = [f"created: {', '.join(created)}"] if created else []
        lines.append(_send_table(reports) if reports else "nothing to send")
        return "\n".join(lines)

    app.emit(data, text)


@notices.command("resend")
@click.argument("notice_ids", nargs=-1, required=True, metavar="NOTICE...")
@json_option
def resend(notice_ids: tuple[str, ...]) -> None:
    """Send notices again now, with the same Message-ID and webhook-id."""
    from ..recipients import notices as nt
    from ..recipients import outbox

    app = get_app()
    with app.session() as session:
        for ref in notice_ids:
            row = nt.get(session, ref)
            if not nt.NoticeState(row.state).is_open:
                raise UserError(f"notice {row.notice_id} is {row.state}: nothing to resend")
    reports = outbox.send(
        engine_context(app), notice_ids=list(notice_ids), resend=True, reason="resend"
    )
    _settle(app, [r.request_id for r in reports])
    app.emit([r.to_json() for r in reports], lambda: _send_table(reports))
    if any(not r.delivered for r in reports):
        raise SystemExit(exits.REVIEW)


def _resolve(notice: str, action: str, **kwargs: Any) -> None:
    from ..recipients import notices as nt

    app = get_app()
    today = app.today()
    with app.session() as session:
        row = nt.get(session, notice, lock=True)
        getattr(nt, action)(session, row, actor=app.actor, **kwargs)
        data = nt.notice_json(row, nt.supplier_of(session, row), today=today)
        rid = row.request_id
    state = _settle(app, [rid])[rid]
    data["request_state"] = state
    with app.session() as session:
        left = [n for n in nt.for_request(session, rid) if nt.NoticeState(n.state).is_open]
    text = f"notice {data['notice_id']} ({data['supplier']}): {data['state']}"
    if not left:
        text += f"\nevery notice of request {rid} is confirmed or waived"
        if state == "awaiting_answer":
            text += f"; the subject's answer is next: dsr request answer {rid}"
        elif state in ("in_progress", "awaiting_confirmations"):
            text += f": dsr request close {rid}"
    else:
        text += f"\nrequest {rid} still waits for {len(left)} notice(s)"
    app.emit(data, text)


@notices.command("ack")
@click.argument("notice")
@click.option(
    "--note", callback=free_text, help="How the supplier confirmed (their reply, a reference)."
)
@click.option("--reference", callback=free_text, help="The supplier's own reference.")
@json_option
def ack(notice: str, note: str | None, reference: str | None) -> None:
    """Record that the supplier confirmed NOTICE."""
    _resolve(notice, "ack", note=note, reference=reference)


@notices.command("waive")
@click.argument("notice")
@click.option(
    "--reason",
    callback=free_text,
    required=True,
    help="Why no confirmation is needed (for the trail).",
)
@json_option
def waive(notice: str, reason: str) -> None:
    """Close NOTICE without the supplier's confirmation, saying why."""
    _resolve(notice, "waive", reason=reason)


@notices.command("approve")
@click.argument("notice")
@click.option(
    "--note", callback=free_text, help="How you checked that the disclosure was the subject's."
)
@json_option
def approve(notice: str, note: str | None) -> None:
    """Send NOTICE, held for review, once you checked its undated disclosure was the
    subject's (it names only the identities it was held for)."""
    from datetime import timedelta

    from ..recipients import notices as nt
    from ..recipients import outbox
    from ..recipients.settings import load

    app = get_app()
    within = load(app.config).confirm_within_days
    with app.session() as session:
        row = nt.get(session, notice, lock=True)
        confirm_by = app.today() + timedelta(days=within)
        nt.approve(session, row, actor=app.actor, confirm_by=confirm_by, note=note)
        nid, rid = row.notice_id, row.request_id
    reports = outbox.send(engine_context(app), notice_ids=[nid])
    _settle(app, [rid])
    app.emit([r.to_json() for r in reports], lambda: _send_table(reports))


@notices.command("remind", epilog=exits.epilog())
@json_option
def remind() -> None:
    """Retry undelivered notices, re-send unconfirmed ones after `remind_after_days`, and
    list the late suppliers. Meant for cron: exits 5 when a notice could not be delivered
    (this time, or for good: staff must fix the supplier), 0 when late suppliers are all
    there is to report."""
    from ..recipients.remind import remind as do_remind

    app = get_app()
    report = do_remind(engine_context(app))
    touched = [r.request_id for r in report.retried + report.reminded]
    _settle(app, touched)
    data = report.to_json()

    def text() -> str:
        lines = []
        if report.retried:
            lines.append("retried:")
            lines.append(_send_table(report.retried))
        if report.reminded:
            lines.append("reminded:")
            lines.append(_send_table(report.reminded))
        if report.late:
            lines.append("late suppliers (past the day we asked them to confirm by):")
            lines.append(
                table(
                    ["notice", "request", "supplier", "contact", "confirm by", "days late"],
                    [
                        [
                            e["notice_id"],
                            e["request_id"],
                            e["supplier"],
                            e["contact"],
                            e["confirm_by"],
                            e["days_late"],
                        ]
                        for e in report.late
                    ],
                )
            )
        if report.undeliverable:
            lines.append("undeliverable (fix the supplier, then dsr notices resend NOTICE):")
            lines.append(
                table(
                    ["notice", "request", "supplier", "error"],
                    [
                        [e["notice_id"], e["request_id"], e["supplier"], e["last_error"]]
                        for e in report.undeliverable
                    ],
                )
            )
        return "\n".join(lines) or "nothing to remind: no supplier is late"

    app.emit(data, text)
    undelivered = [r for r in report.retried + report.reminded if not r.delivered and not r.skipped]
    exits.finish(exits.REVIEW if report.undeliverable or undelivered else exits.OK)


@notices.command("callback")
@click.argument("notice")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="A header of the callback request (repeatable): webhook-id, webhook-timestamp, "
    "webhook-signature.",
)
@click.option(
    "--body",
    "body_file",
    type=click.File("rb"),
    default="-",
    help="The raw request body (default: standard input).",
)
@json_option
def callback(notice: str, headers: tuple[str, ...], body_file: Any) -> None:
    """Apply a supplier's signed status callback for NOTICE (from your web endpoint)."""
    from ..recipients.callbacks import receive

    parsed: dict[str, str] = {}
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise UserError(f"--header takes 'NAME: VALUE', not {header!r}")
        parsed[name.strip().lower()] = value.strip()
    app = get_app()
    data = receive(engine_context(app), notice, parsed, body_file.read())
    _settle(app, [data["request_id"]])
    app.emit(
        data,
        f"notice {data['notice_id']} ({data['supplier']}): "
        + ("confirmed by the callback" if data["confirmed"] else f"still {data['state']}"),
    )
