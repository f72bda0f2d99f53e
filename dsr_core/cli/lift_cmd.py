"""``dsr request lift``: end a restriction, the subject told first (Art. 18(3) GDPR).

Two steps, each on the audit trail: the letter announces the lift and its day
(``restriction.lift_notified``); on or after that day the systems are lifted
(``restriction.lifted``), by ``dsr request lift ID`` or, from cron, ``dsr request lift --due``.
Until then the announcement can be withdrawn (``--cancel``, ``restriction.lift_cancelled``)
when the subject objects. A lift announced for today (by e-mail or in person, when
``[controller] lift_notice`` allows it) follows in the same command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import click

from .. import lifts
from ..errors import UserError
from ..fields import LANGUAGES
from .answer_cmd import _deliver
from .app import App, engine_context, free_text, get_app, json_option


@dataclass
class _Restriction:
    """A restriction that can be lifted, with its lift's state (``answer.lift.LiftState``)."""

    id: int
    row: Any
    emails: list[str]
    tasks: list[Any]
    state: Any


def _restriction(app: App, request_id: str) -> _Restriction:
    """The request, after every reason it cannot be lifted at all."""
    from .. import audit
    from .. import requests as reqs
    from ..model import RequestKind, RequestState

    with app.session(readonly=True) as session:
        row = reqs.get(session, request_id)
        rid = row.id
        if row.kind != RequestKind.RESTRICTION:
            raise UserError(f"request {rid} is not a restriction: there is nothing to lift")
        not_run = (
            RequestState.RECEIVED,
            RequestState.IDENTITY_VERIFIED,
            RequestState.REJECTED,
            RequestState.WITHDRAWN,
        )
        if RequestState(row.state) in not_run or not row.tasks:
            raise UserError(f"request {rid} restricted nothing: it was not carried out")
        waiting = reqs.unfinished_tasks(row)
        if waiting:
            names = ", ".join(f"{t.system} ({t.state})" for t in waiting)
            raise UserError(f"request {rid} still has unfinished tasks: {names}")
        state = lifts.state_of(audit.for_request(session, rid), app.config.controller.tz)
        if state.lifted:
            raise UserError(f"the restriction of request {rid} was already lifted")
        emails = [i.value for i in row.identities if i.kind == "email" and i.source == "request"]
        tasks = list(row.tasks)
        session.expunge_all()
    return _Restriction(rid, row, emails, tasks, state)


def _day(value: date) -> str:
    from ..answer.words import date_words

    return date_words("en", value)


def _lift_on(app: App, on: str | None, by: str) -> date:
    """The day of the lift: ``--on`` or the first day ``[controller] lift_notice`` allows."""
    from ..requests import parse_date

    today = app.today()
    notice = app.config.controller.lift_notice
    earliest = notice.after(today)
    day = parse_date(on, "--on") if on else earliest
    if day < today:
        raise UserError(f"--on {day.isoformat()} has passed: the subject must be told before")
    if day < earliest:
        raise UserError(
            f"--on {day.isoformat()} is too soon: [controller] lift_notice gives the subject "
            f"{notice} notice, so {earliest.isoformat()} at the earliest"
        )
    if by == "letter" and day <= today:
        raise UserError(
            "a letter by post reaches the subject after today: give the day the systems are "
            "lifted with --on YYYY-MM-DD, a later day (the letter says it)"
        )
    return day


@click.command("lift")
@click.argument("request_id", required=False)
@click.option(
    "--reason",
    callback=free_text,
    help="Announcing: why the restriction ends (told to the subject). With --cancel: why the "
    "announcement is withdrawn.",
)
@click.option(
    "--on",
    "on",
    metavar="YYYY-MM-DD",
    help="Announcing: the day the systems are lifted, said in the letter (default: today plus "
    "[controller] lift_notice; required with --by letter).",
)
@click.option(
    "--by",
    type=click.Choice(["email", "letter", "in-person"]),
    help="Announcing: how the Art. 18(3) letter reaches the subject (default: email).",
)
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    help="Announcing: the letter's language (default: the request's, else the controller's).",
)
@click.option(
    "--cancel",
    is_flag=True,
    help="Withdraw the announced lift (e.g. the subject objected): the restriction stays.",
)
@click.option(
    "--due", is_flag=True, help="Lift every announced restriction whose day has come (cron)."
)
@json_option
def lift(
    request_id: str | None,
    reason: str | None,
    on: str | None,
    by: str | None,
    language: str | None,
    cancel: bool,
    due: bool,
) -> None:
    """End a restriction (Art. 18(3)): with --reason, the letter tells the subject the day
    of the lift; on or after that day, without --reason, restrict(lift=True) in every system
    that restricted the subject's data."""
    app = get_app()
    reason = reason.strip() if reason is not None else None
    if due:
        if request_id or reason is not None or on or by or language or cancel:
            raise UserError("--due lifts every announced restriction whose day has come: alone")
        _lift_due(app)
        return
    if not request_id:
        raise UserError("name the restriction to lift, or use --due")
    found = _restriction(app, request_id)
    announced = found.state.announced
    if cancel:
        if on or by or language:
            raise UserError("--cancel withdraws the announcement: only --reason goes with it")
        _cancel(app, found, reason)
        return
    if reason is not None:
        if not reason:
            raise UserError(
                "give the reason for lifting the restriction (--reason): the subject is told"
            )
        if announced is not None:
            when = "its day has come" if announced.on <= app.today() else "on that day"
            raise UserError(
                f"the lift of request {found.id} was announced on {_day(announced.told)} for "
                f"{_day(announced.on)}: lift it with `dsr request lift {found.id}` ({when}, "
                "no --reason: the subject was told once)"
                + ("" if found.state.started else ", or withdraw it with --cancel")
            )
        _announce(app, found, reason, on, by or "email", language)
        return
    if on or by or language:
        raise UserError("--on, --by and --language go with --reason, announcing the lift")
    if announced is None:
        raise UserError(
            f"the lift of request {found.id} was not announced: the subject is told first "
            f"(Art. 18(3)): dsr request lift {found.id} --reason TEXT [--on YYYY-MM-DD]"
        )
    if announced.on > app.today():
        raise UserError(
            f"the lift of request {found.id} is announced for {_day(announced.on)}: the systems "
            f"stay restricted until then (withdraw it with --cancel)"
        )
    _finish(app, _carry_out(app, found, _lift_notices_setup(app, found.id)))


def _announce(
    app: App, found: _Restriction, reason: str, on: str | None, by: str, language: str | None
) -> None:
    """The Art. 18(3) letter with the day of the lift, recorded; the lift itself when that
    day is today."""
    from .. import audit, letters
    from ..answer.compose import Extras

    day = _lift_on(app, on, by)
    if by == "email" and not found.emails:
        raise UserError(
            f"request {found.id} has no e-mail address of the subject: send the letter by "
            "post (--by letter --on YYYY-MM-DD) or hand it over (--by in-person)"
        )
    notify = _lift_notices_setup(app, found.id)  # a broken [notices] table: refused first
    letter = letters.letter_for(
        "restriction-lift",
        found.row,
        app.config.controller,
        today=app.today(),
        language=language,
        extras=Extras(reason=reason, lift_on=day),
    )
    email = found.emails[0] if found.emails else None
    files, sent = _deliver(app, found.id, letter, by, email, [])
    with app.session() as session:
        seq = audit.append(
            session,
            lifts.NOTIFIED,
            actor=app.actor,
            request_id=found.id,
            data={
                "by": by,
                "on": day.isoformat(),
                "language": letter.language,
                "transport": sent.transport if sent else None,
                "reason": reason,
            },
        )
    told = lifts.Announcement(seq, day, by, app.today())
    outbox = sent.path if sent is not None else None  # staff send it by hand: not yet told
    letter_data = {
        "letter": files.to_json(),
        "by": by,
        "transport": sent.transport if sent else None,
        "outbox": str(outbox) if outbox else None,
    }
    if day <= app.today() and outbox is None:  # by e-mail or in person: the subject has it
        found.state = lifts.LiftState(announced=told)
        data = _carry_out(app, found, notify)
        data.update(letter_data)
        _finish(app, data)
        return
    data = _data(found.id, "announced", day) | letter_data
    app.emit(data, lambda: _lift_text(data))


def _cancel(app: App, found: _Restriction, reason: str | None) -> None:
    from .. import audit

    announced = found.state.announced
    if announced is None:
        raise UserError(f"no lift of request {found.id} is announced: there is nothing to cancel")
    if found.state.started:
        raise UserError(
            f"the lift of request {found.id} has begun (some systems may be lifted): finish "
            f"it with `dsr request lift {found.id}`"
        )
    data_event: dict[str, Any] = {"on": announced.on.isoformat(), "announced": announced.seq}
    if reason:
        data_event["reason"] = reason
    with app.session() as session:
        audit.append(
            session, lifts.CANCELLED, actor=app.actor, request_id=found.id, data=data_event
        )
    data = _data(found.id, "cancelled", announced.on)
    app.emit(data, lambda: _lift_text(data))


def _lift_due(app: App) -> None:
    """Every restriction whose announced lift has come, lifted; each on its own (one that
    cannot be lifted is named, the others go on)."""
    from ..answer import lift as lifting
    from . import exits

    today = app.today()
    with app.session(readonly=True) as session:
        states = lifting.announced_lifts(session, app.config.controller.tz)
    done: list[dict[str, Any]] = []
    errors: list[str] = []
    for rid, state in sorted(states.items()):
        if state.lifted or state.announced is None or state.announced.on > today:
            continue
        try:
            found = _restriction(app, str(rid))
            done.append(_carry_out(app, found, _lift_notices_setup(app, rid)))
        except UserError as exc:  # e.g. a task re-run, a broken [notices] table
            errors.append(f"request {rid}: {exc}")
    data = {"today": app.today().isoformat(), "requests": done, "errors": errors}

    def text() -> str:
        if not done and not errors:
            return "no announced lift is due"
        return "\n".join([_lift_text(d) for d in done] + errors)

    app.emit(data, text)
    if errors or any(d["failed"] for d in done):
        exits.finish(exits.FAILED)
    elif any(d["by_hand"] for d in done):
        exits.finish(exits.REVIEW)


def _data(rid: int, state: str, on: date) -> dict[str, Any]:
    return {
        "request_id": rid,
        "state": state,
        "lift_on": on.isoformat(),
        "letter": None,
        "by": None,
        "transport": None,
        "lifted": {},
        "by_hand": {},
        "failed": {},
        "notices": [],
        "outbox": None,
    }


def _carry_out(app: App, found: _Restriction, notify: Any) -> dict[str, Any]:
    """restrict(lift=True) in every system, on the trail; the Art. 19 notices once every
    system lifted it."""
    from .. import audit
    from ..answer import lift as lifting

    announced = found.state.announced
    assert announced is not None
    ctx = engine_context(app)
    results = lifting.lift(ctx, found.id, found.tasks)
    failed = [r for r in results if r.error]
    made: list[str] = []
    with app.session() as session:
        if not failed and notify is not None:  # Art. 19: the recipients of the restriction
            made = notify(session)
        audit.append(
            session,
            lifts.LIFTED if not failed else lifts.FAILED,
            actor=app.actor,
            request_id=found.id,
            data={
                "announced": announced.seq,
                "on": announced.on.isoformat(),
                "systems": {r.system: dict(r.counts) for r in results if not r.error},
                "failed": {r.system: r.error for r in failed},
                "by_hand": sorted(r.system for r in results if r.manual),
            },
        )
    data = _data(found.id, "lifted" if not failed else "lift_failed", announced.on)
    data.update(
        lifted={r.system: dict(r.counts) for r in results if not (r.error or r.manual)},
        by_hand={r.system: r.manual for r in results if r.manual},
        failed={r.system: r.error for r in failed},
        notices=_send_lift_notices(ctx, made),
    )
    return data


def _finish(app: App, data: dict[str, Any]) -> None:
    """The lift's output; a failed system is a one-line error naming it."""
    from . import exits

    app.emit(data, lambda: _lift_text(data))
    if data["failed"]:
        names = "; ".join(f"{k}: {v}" for k, v in data["failed"].items())
        raise UserError(
            f"the restriction was not lifted in {names} (the subject was told; run "
            f"`dsr request lift {data['request_id']}` again once fixed)"
        )
    if data["by_hand"]:
        exits.finish(exits.REVIEW)  # staff must lift it by hand in those systems


def _lift_notices_setup(app: App, rid: int) -> Any:
    """What makes the Art. 19 notices of the lift, checked before anything is lifted (a
    broken ``[notices]`` table is a one-line error then); None when no recipient got the
    restriction notice."""
    from ..recipients import notices as nt
    from ..recipients.settings import load
    from ..recipients.transports import controller_of

    with app.session(readonly=True) as session:
        if not any(n.kind == "restriction" for n in nt.for_request(session, rid)):
            return None
    settings = load(app.config)
    controller = controller_of(app.config)

    def make(session: Any) -> list[str]:
        from .. import requests as reqs

        row = reqs.get(session, rid, lock=True)
        made, _waived = nt.create_lift_notices(
            session,
            row,
            controller=controller,
            confirm_within_days=settings.confirm_within_days,
            today=app.today(),
            actor=app.actor,
            callback_url=settings.callback_url,
        )
        return [n.notice_id for n in made]

    return make


def _send_lift_notices(ctx: Any, made: list[str]) -> list[dict[str, Any]]:
    """Send the lift notices just recorded; a delivery problem stays on the notice (``dsr
    notices send`` retries it), as for every notice."""
    if not made:
        return []
    from ..recipients import outbox

    return [
        {"notice_id": r.notice_id, "supplier": r.supplier, "state": r.state, "error": r.error}
        for r in outbox.send(ctx, notice_ids=made)
    ]


def _lift_text(data: dict[str, Any]) -> str:
    rid, on = data["request_id"], date.fromisoformat(data["lift_on"])
    lines = []
    if data["letter"]:
        lines.append(f"Art. 18(3) letter: {data['letter']['pdf'] or data['letter']['html']}")
    if data["state"] == "announced" and data["outbox"]:
        lines += [
            f"request {rid}: the lift is announced for {_day(on)}; the e-mail is in the "
            f"outbox, to be sent by hand: {data['outbox']}",
            f"once it is sent, on or after that day: dsr request lift {rid}",
        ]
        return "\n".join(lines)
    if data["state"] == "announced":
        lines += [
            f"request {rid}: the lift is announced for {_day(on)}; the systems stay restricted "
            "until then",
            f"on or after that day: dsr request lift {rid} (or from cron: dsr request lift "
            f"--due); if the subject objects: dsr request lift {rid} --cancel",
        ]
        return "\n".join(lines)
    if data["state"] == "cancelled":
        return (
            f"request {rid}: the lift announced for {_day(on)} is withdrawn; the restriction stays"
        )
    lines.append(f"request {rid}: restriction lifted in {len(data['lifted'])} system(s)")
    for name, todo in data["by_hand"].items():
        lines.append(f"by hand in {name}: {todo}")
    for name, error in data["failed"].items():
        lines.append(f"not lifted in {name}: {error}")
    for notice in data["notices"]:
        what = f"error: {notice['error']}" if notice["error"] else notice["state"]
        lines.append(f"Art. 19 notice {notice['notice_id']} to {notice['supplier']}: {what}")
    return "\n".join(lines)
