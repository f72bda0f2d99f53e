"""``dsr request answer ID``: the letter (and for access and portability the bundle) to the
subject, by e-mail, on paper or in person, recorded with when and how (Art. 12(1), 12(3))."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import UserError
from .app import App, engine_context, free_text, get_app, json_option

#: unambiguous characters (no 0/o, 1/l/i) for a password read out over the phone
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_password() -> str:
    """Four groups of five: about 99 bits, easy to read out or type."""
    import secrets

    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))


def _checked(app: App, request_id: str, by: str, again: bool, encrypt: bool) -> dict[str, Any]:
    """The request's facts, after every reason to refuse the answer."""
    from .. import requests as reqs
    from ..answer.record import answered
    from ..answer.words import date_words
    from ..model import RequestKind, RequestState

    with app.session(readonly=True) as session:
        row = reqs.get(session, request_id)
        kind, state = RequestKind(row.kind), RequestState(row.state)
        if not kind.is_gdpr:
            raise UserError(
                f"request {row.id} records a contract's end, not a GDPR request: dsr writes "
                f"no answer letter for it; its proof is the erasure report (dsr export {row.id})"
            )
        if state is RequestState.REJECTED:
            raise UserError(f"request {row.id} was rejected: the refusal letter is its answer")
        if state is RequestState.WITHDRAWN:
            raise UserError(f"request {row.id} was withdrawn: there is nothing to answer")
        if state in (RequestState.RECEIVED, RequestState.IDENTITY_VERIFIED) or not row.tasks:
            raise UserError(f"request {row.id} has not been carried out yet: run it first")
        waiting = reqs.unfinished_tasks(row)
        if waiting:
            names = ", ".join(f"{t.system} ({t.state})" for t in waiting)
            raise UserError(f"request {row.id} still has unfinished tasks: {names}")
        first = answered(session, row.id)
        if first is not None and not again:
            day = date_words("en", first.answered_at.astimezone(app.config.controller.tz).date())
            raise UserError(
                f"request {row.id} was already answered on {day} ({first.by}): "
                "use --again to answer once more"
            )
        if encrypt and kind not in (RequestKind.ACCESS, RequestKind.PORTABILITY):
            raise UserError("--encrypt is for access and portability answers (the bundle)")
        emails = [i.value for i in row.identities if i.kind == "email" and i.source == "request"]
        if by == "email" and not emails:
            raise UserError(
                f"request {row.id} has no e-mail address of the subject: answer by letter "
                "or in person"
            )
        return {"id": row.id, "kind": kind, "row": row, "email": emails[0] if emails else None}


def _bundle(app: App, rid: int, kind: Any, password: str | None) -> tuple[Path, str, Any]:
    """The export bundle, through the export's own reader and writer, on the audit trail."""
    from ..export import BundleOptions, write_bundle
    from ..export_source import bundle_inputs, default_bundle_path, record_written

    target = default_bundle_path(app.config, rid, kind.value)
    request, sections, recipients = bundle_inputs(engine_context(app), rid)
    result = write_bundle(target, request, sections, recipients, BundleOptions(password=password))
    with app.session() as session:
        record_written(
            session,
            actor=app.actor,
            request_id=rid,
            target=target,
            sha256=result.sha256,
            sections=sections,
            encrypted=bool(password),
        )
    return target, result.sha256, sections


def _deliver(
    app: App, rid: int, letter: Any, by: str, email: str | None, attachments: list[Path]
) -> tuple[Any, Any]:
    """Write the letter's files; by e-mail, send it with ``attachments`` (a refusal of the
    server is a one-line error before anything is recorded)."""
    from .. import letters

    config = app.config
    files = letters.write_all(config.home, rid, letter)
    if by != "email" or email is None:
        return files, None
    from ..answer import deliver

    msg = deliver.build(
        letter,
        sender=config.controller.email,
        recipient=email,
        attachments=attachments,
        pdf=files.pdf.read_bytes() if files.pdf else None,
    )
    return files, deliver.send(config, msg, email, request_id=rid, name=letter.name)


@click.command("answer")
@click.argument("request_id")
@click.option(
    "--by",
    type=click.Choice(["email", "letter", "in-person"]),
    default="email",
    show_default=True,
    help="E-mail it through [notices], or record the handover on paper or in person.",
)
@click.option(
    "--encrypt",
    is_flag=True,
    help="Access/portability: encrypt the bundle; the password is shown here once, to be "
    "given to the subject by another channel.",
)
@click.option(
    "--language",
    type=click.Choice(["nl", "en", "fr"]),
    help="The letter's language (default: the controller's).",
)
@click.option("--again", is_flag=True, help="Answer a request that was already answered.")
@json_option
def answer(request_id: str, by: str, encrypt: bool, language: str | None, again: bool) -> None:
    """Give the subject the answer: the letter for its kind, with the bundle. A request whose
    tasks are finished and that no recipient holds up completes with it (Art. 12(3))."""
    from .. import audit, letters, purge
    from .. import requests as reqs
    from ..answer import facts as answer_facts
    from ..answer.compose import Extras
    from ..answer.record import AnswerRow
    from ..model import RequestKind

    app = get_app()
    config = app.config
    found = _checked(app, request_id, by, again, encrypt)
    rid, kind, row = found["id"], found["kind"], found["row"]
    password = new_password() if encrypt else None
    bundle: Path | None = None
    digest: str | None = None
    facts = answer_facts.Facts()
    if kind in (RequestKind.ACCESS, RequestKind.PORTABILITY):
        bundle, digest, _sections = _bundle(app, rid, kind, password)
    else:
        facts = answer_facts.read(engine_context(app), rid)
    extras = Extras(
        facts=facts, bundle_name=bundle.name if bundle else None, encrypted=bool(password)
    )
    letter = letters.letter_for(
        kind.value, row, config.controller, today=app.today(), language=language, extras=extras
    )
    files, sent = _deliver(app, rid, letter, by, found["email"], [bundle] if bundle else [])
    with app.session() as session:
        current = reqs.get(session, rid, lock=True)
        record = AnswerRow(
            request_id=rid,
            by=by,
            letter=letter.name,
            language=letter.language,
            bundle=bundle.name if bundle else None,
            bundle_sha256=digest,
            encrypted=bool(password),
            transport=sent.transport if sent else None,
            message_id=sent.message_id if sent else None,
            actor=app.actor,
        )
        session.add(record)
        session.flush()
        answered_at = record.answered_at
        audit.append(
            session,
            "request.answered",
            actor=app.actor,
            request_id=rid,
            data={
                "by": by,
                "letter": letter.name,
                "language": letter.language,
                "bundle_sha256": digest,
                "encrypted": bool(password),
                "transport": sent.transport if sent else None,
                "again": again,
            },
        )
        blockers = app.plugins.request_blockers(reqs.info(current))
        completed = reqs.complete_answered(session, current, actor=app.actor, blockers=blockers)
        state, info = current.state, reqs.info(current)
    if completed:
        app.plugins.request_completed(info)
        purge.after_completion(app.store, config, rid, actor=app.actor)
    data = {
        "request_id": rid,
        "by": by,
        "state": state,
        "waiting_for": blockers,
        "answered_at": answered_at.isoformat(),
        "letter": files.to_json(),
        "bundle": str(bundle) if bundle else None,
        "bundle_sha256": digest,
        "encrypted": bool(password),
        "password": password,
        "transport": sent.transport if sent else None,
        "outbox": str(sent.path) if sent and sent.path else None,
    }
    app.emit(data, lambda: _text(data))


def _text(data: dict[str, Any]) -> str:
    how = {"email": "by e-mail", "letter": "on paper", "in-person": "in person"}[data["by"]]
    lines = [f"request {data['request_id']}: answered {how}"]
    if data["outbox"]:
        lines.append(f"the e-mail is in the outbox, to be sent by hand: {data['outbox']}")
    lines.append(f"letter: {data['letter']['pdf'] or data['letter']['html']}")
    if data["bundle"]:
        lines.append(f"bundle: {data['bundle']}")
    if data["password"]:
        lines.append(
            f"bundle password (shown only now; give it to the subject by another channel, "
            f"e.g. by phone): {data['password']}"
        )
    if data["state"] == "completed":
        lines.append(f"request {data['request_id']} completed")
    else:
        lines.extend(f"still waiting: {line}" for line in data["waiting_for"])
    return "\n".join(lines)


@click.command("lift")
@click.argument("request_id")
@click.option(
    "--reason",
    callback=free_text,
    required=True,
    help="Why the restriction ends: told to the subject.",
)
@click.option(
    "--by",
    type=click.Choice(["email", "letter", "in-person"]),
    default="email",
    show_default=True,
    help="How the Art. 18(3) letter reaches the subject before the lift.",
)
@click.option(
    "--language",
    type=click.Choice(["nl", "en", "fr"]),
    help="The letter's language (default: the controller's).",
)
@json_option
def lift(request_id: str, reason: str, by: str, language: str | None) -> None:
    """End a restriction: the Art. 18(3) letter first, then restrict(lift=True) in every
    system that restricted the subject's data."""
    from .. import audit, letters
    from .. import requests as reqs
    from ..answer import lift as lifting
    from ..answer.compose import Extras
    from ..model import RequestKind, RequestState

    app = get_app()
    config = app.config
    reason = reason.strip()
    if not reason:
        raise UserError(
            "give the reason for lifting the restriction (--reason): the subject is told"
        )
    with app.session(readonly=True) as session:
        row = reqs.get(session, request_id)
        rid = row.id
        if row.kind != RequestKind.RESTRICTION:
            raise UserError(f"request {rid} is not a restriction: there is nothing to lift")
        if (
            RequestState(row.state)
            in (
                RequestState.RECEIVED,
                RequestState.IDENTITY_VERIFIED,
                RequestState.REJECTED,
                RequestState.WITHDRAWN,
            )
            or not row.tasks
        ):
            raise UserError(f"request {rid} restricted nothing: it was not carried out")
        waiting = reqs.unfinished_tasks(row)
        if waiting:
            names = ", ".join(f"{t.system} ({t.state})" for t in waiting)
            raise UserError(f"request {rid} still has unfinished tasks: {names}")
        events = [e.action for e in audit.for_request(session, rid)]
        if "restriction.lifted" in events:
            raise UserError(f"the restriction of request {rid} was already lifted")
        notified = "restriction.lift_notified" in events
        emails = [i.value for i in row.identities if i.kind == "email" and i.source == "request"]
        tasks = list(row.tasks)
        session.expunge_all()
    notify = _lift_notices_setup(app, rid)  # a broken [notices] table: refused before the letter
    files = sent = None
    if not notified:
        if by == "email" and not emails:
            raise UserError(
                f"request {rid} has no e-mail address of the subject: send the letter by "
                "post (--by letter) or hand it over (--by in-person)"
            )
        letter = letters.letter_for(
            "restriction-lift",
            row,
            config.controller,
            today=app.today(),
            language=language,
            extras=Extras(reason=reason, lift_on=app.today()),
        )
        files, sent = _deliver(app, rid, letter, by, emails[0] if emails else None, [])
        with app.session() as session:
            audit.append(
                session,
                "restriction.lift_notified",
                actor=app.actor,
                request_id=rid,
                data={
                    "by": by,
                    "language": letter.language,
                    "transport": sent.transport if sent else None,
                },
            )
    ctx = engine_context(app)
    results = lifting.lift(ctx, rid, tasks)
    failed = [r for r in results if r.error]
    made: list[str] = []
    with app.session() as session:
        if not failed and notify is not None:  # Art. 19: the recipients of the restriction
            made = notify(session)
        audit.append(
            session,
            "restriction.lifted" if not failed else "restriction.lift_failed",
            actor=app.actor,
            request_id=rid,
            data={
                "reason": reason,
                "systems": {r.system: dict(r.counts) for r in results if not r.error},
                "failed": {r.system: r.error for r in failed},
                "by_hand": sorted(r.system for r in results if r.manual),
            },
        )
    notices = _send_lift_notices(ctx, made)
    data = {
        "request_id": rid,
        "letter": files.to_json() if files else None,
        "by": by if files else None,
        "transport": sent.transport if sent else None,
        "lifted": {r.system: dict(r.counts) for r in results if not (r.error or r.manual)},
        "by_hand": {r.system: r.manual for r in results if r.manual},
        "failed": {r.system: r.error for r in failed},
        "notices": notices,
    }
    app.last_data = data
    if failed:
        app.emit(data, lambda: _lift_text(data))
        names = "; ".join(f"{r.system}: {r.error}" for r in failed)
        raise UserError(
            f"the restriction was not lifted in {names} (the letter went out; run "
            f"`dsr request lift {rid}` again once fixed)"
        )
    app.emit(data, lambda: _lift_text(data))
    if data["by_hand"]:
        from . import exits

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
    lines = [f"request {data['request_id']}: restriction lifted in {len(data['lifted'])} system(s)"]
    if data["letter"]:
        lines.insert(0, f"Art. 18(3) letter: {data['letter']['pdf'] or data['letter']['html']}")
    for name, todo in data["by_hand"].items():
        lines.append(f"by hand in {name}: {todo}")
    for name, error in data["failed"].items():
        lines.append(f"not lifted in {name}: {error}")
    for notice in data["notices"]:
        what = f"error: {notice['error']}" if notice["error"] else notice["state"]
        lines.append(f"Art. 19 notice {notice['notice_id']} to {notice['supplier']}: {what}")
    return "\n".join(lines)
