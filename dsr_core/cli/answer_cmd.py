"""``dsr request answer ID``: the letter (and for access and portability the bundle) to the
subject, by e-mail, on paper or in person, recorded with when and how (Art. 12(1), 12(3))."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import UserError
from ..fields import LANGUAGES
from .app import App, engine_context, get_app, json_option

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
    from ..template_cache import FOLDER as TEMPLATES

    target = default_bundle_path(app.config, rid, kind.value)
    request, sections, recipients = bundle_inputs(engine_context(app), rid)
    options = BundleOptions(password=password, template_cache=app.config.home / TEMPLATES)
    result = write_bundle(target, request, sections, recipients, options)
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
    type=click.Choice(list(LANGUAGES)),
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
