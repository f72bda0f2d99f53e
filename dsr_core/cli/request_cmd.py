"""``dsr request ...``: record a request and move it through its life."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import click

from .. import purge
from .. import requests as reqs
from ..errors import UserError
from ..model import RequestKind, RequestState
from . import exits
from .app import App, engine_context, free_text, get_app, json_option, table
from .views import clock_text, request_json, request_text, state_words


def _date(value: str | None, what: str) -> date | None:
    return reqs.parse_date(value, what) if value else None


def _load_changes(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read the changes file {file}: {exc.strerror}") from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{file}: not valid {file.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise UserError(f"{file}: give the corrections as field = new value")
    return data


@click.group()
def request() -> None:
    """Record, follow and carry out data-subject requests."""


@request.command("new")
@click.argument("kind")
@click.option("--name", required=True, help="The subject's name as given.")
@click.option("--email", "emails", multiple=True, help="An e-mail address (repeatable).")
@click.option(
    "--phone",
    "phones",
    multiple=True,
    help="A phone number (repeatable); "
    "national numbers are read as Belgian unless the controller's country differs.",
)
@click.option(
    "--customer-id",
    "customer_ids",
    multiple=True,
    help="A customer id (repeatable); SYSTEM:ID ties it to one system.",
)
@click.option("--received", help="Day of receipt, YYYY-MM-DD (default: today).")
@click.option("--channel", type=click.Choice(list(reqs.CHANNELS)), default="email")
@click.option("--note", callback=free_text, help="Free text for staff.")
@click.option(
    "--changes",
    "changes_file",
    type=click.Path(),
    help="Rectification: a TOML or JSON file of field = new value.",
)
@click.option(
    "--language",
    type=click.Choice(["nl", "en", "fr"]),
    help="The subject's language: letters and the bundle's report (default: the controller's).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Record it even if an open request of the same kind exists for the subject.",
)
@click.option(
    "--verified",
    "verified",
    callback=free_text,
    metavar="METHOD",
    help="Record it verified at once (as `request verify --method`); a termination then runs.",
)
@json_option
def new(
    kind: str,
    name: str,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    customer_ids: tuple[str, ...],
    received: str | None,
    channel: str,
    note: str | None,
    changes_file: str | None,
    language: str | None,
    force: bool,
    verified: str | None,
) -> None:
    """Record a request of KIND: access, portability, erasure, rectification, restriction,
    objection; or termination, the end of the customer's contract (not a GDPR request)."""
    app = get_app()
    terminating = reqs.parse_kind(kind) is RequestKind.TERMINATION
    if terminating and verified:
        from .run_cmd import check_termination

        check_termination(app)
    new_request = reqs.NewRequest(
        kind=kind,
        name=name,
        emails=emails,
        phones=phones,
        customer_ids=customer_ids,
        received=_date(received, "receipt date"),
        channel=channel,
        note=note,
        changes=_load_changes(changes_file),
        language=language,
    )
    controller = app.config.controller
    with app.session() as session:
        row = reqs.create(
            session,
            new_request,
            controller=controller,
            actor=app.actor,
            force=force,
            today=app.today(),
        )
        if verified:
            reqs.verify_identity(
                session,
                row,
                method=verified,
                actor=app.actor,
                controller=controller,
                on=app.today(),
            )
        data = request_json(row, controller, app.today())
        info = reqs.info(row)
    from ..logging import get_logger

    get_logger("dsr.request").info(
        "request recorded",
        request_id=info.id,
        kind=info.kind.value,
        identities=[i.value for i in info.subject.identities],
        name=info.subject.name,
    )
    app.plugins.request_created(info)
    if terminating and verified:
        _run_at_once(app, data, "termination recorded and verified")
        return
    app.emit(data, lambda: f"request {row.id} recorded: {row.kind}, {clock_text(data)}")


@request.command("list")
@click.option("--open", "which", flag_value="open", default=True, help="Open requests (default).")
@click.option("--overdue", "which", flag_value="overdue", help="Open and past their due day.")
@click.option("--all", "which", flag_value="all", help="Every request.")
@click.option(
    "--due-within",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Only those due within DAYS days.",
)
@json_option
def list_(which: str, due_within: int | None) -> None:
    """List requests with their state and deadline."""
    app = get_app()
    today = app.today()
    controller = app.config.controller
    from ..answer.record import first_answers

    with app.session() as session:
        found = reqs.list_requests(
            session, which=which, controller=controller, today=today, due_within=due_within
        )
        answers = first_answers(session, [row.id for row, _ in found])
        data = [
            request_json(row, controller, today, status, answered_at=answers.get(row.id))
            for row, status in found
        ]
    app.emit(
        data,
        lambda: (
            table(
                ["id", "kind", "state", "received", "due", "left", "subject"],
                [
                    [
                        d["id"],
                        d["kind"],
                        state_words(d["state"]) + (" !" if d["needs_attention"] else ""),
                        d["received_on"],
                        d["clock"]["due"] or ("paused" if d["clock"]["applies"] else "-"),
                        _left(d),
                        d["subject"]["name"],
                    ]
                    for d in data
                ],
            )
            if data
            else "no requests"
        ),
    )


def _left(data: dict[str, Any]) -> str | int:
    """Days left, or when the answer went out (the clock stopped there)."""
    if data["answer"]:
        return f"answered {data['answer']['on']}" + ("" if data["answer"]["met"] else " LATE")
    left = data["clock"]["days_left"]
    return "" if left is None else left


@request.command("show")
@click.argument("request_id")
@json_option
def show(request_id: str) -> None:
    """State, clock, identities, every task and its errors."""
    app = get_app()
    controller = app.config.controller
    with app.session() as session:
        row = reqs.get(session, request_id)
        blockers = app.plugins.request_blockers(reqs.info(row))
        data = request_json(row, controller, app.today(), detail=True, blockers=blockers)
        data["notices"] = _notices(session, row.id, app.today())
        rid = row.id
    data["unmatched_recipients"] = _unmatched_recipients(app, rid)
    app.emit(data, lambda: request_text(data))


def _unmatched_recipients(app: App, request_id: int) -> list[dict[str, Any]]:
    """Recipients the subject's stored records name that dsr does not know (warned, exit 5)."""
    from ..recipients.accounting import report_recipients
    from .suppliers_cmd import warn_unmatched

    return warn_unmatched(report_recipients(engine_context(app), request_id))


def _notices(session: Any, request_id: int, today: date) -> list[dict[str, Any]]:
    from ..recipients import notices

    return [
        notices.notice_json(n, notices.supplier_of(session, n), today=today)
        for n in notices.for_request(session, request_id)
    ]


def _change(request_id: str, action: str, **kwargs: Any) -> tuple[App, dict[str, Any]]:
    app = get_app()
    controller = app.config.controller
    with app.session() as session:
        row = reqs.get(session, request_id)
        fn = getattr(reqs, action)
        fn(session, row, actor=app.actor, **kwargs)
        data = request_json(row, controller, app.today())
    return app, data


@request.command("verify")
@click.argument("request_id")
@click.option(
    "--method", callback=free_text, required=True, help="How identity was checked (Art. 12(6))."
)
@json_option
def verify(request_id: str, method: str) -> None:
    """Record how the subject's identity was verified; the request may then run.

    A termination (the contract's end, verified by the written notice) runs at once."""
    app = get_app()
    with app.session(readonly=True) as session:
        terminating = reqs.get(session, request_id).kind == RequestKind.TERMINATION
    if terminating:
        from .run_cmd import check_termination

        check_termination(app)
    app, data = _change(
        request_id,
        "verify_identity",
        method=method,
        controller=app.config.controller,
        on=app.today(),
    )
    if not terminating:
        app.emit(data, lambda: f"request {data['id']}: identity verified; {clock_text(data)}")
        return
    _run_at_once(app, data, "verified")


def _run_at_once(app: App, data: dict[str, Any], done: str) -> None:
    """A termination runs as soon as it is verified: nothing waits (docs/termination.md)."""
    from .run_cmd import carry_out

    run_data, run_text, code = carry_out(app, data["id"])
    data["state"], data["run"] = run_data["state"], run_data
    app.emit(data, lambda: f"request {data['id']}: {done}, run at once\n{run_text()}")
    exits.finish(code)


@request.command("pause")
@click.argument("request_id")
@click.option(
    "--reason",
    callback=free_text,
    type=click.Choice(list(reqs.PAUSE_REASONS)),
    required=True,
    help="What is awaited from the subject.",
)
@click.option("--on", "on", help="Day the clock stops, YYYY-MM-DD (default: today).")
@click.option("--note", callback=free_text, help="What was asked of the subject.")
@json_option
def pause(request_id: str, reason: str, on: str | None, note: str | None) -> None:
    """Stop the clock while identity or a clarification is awaited."""
    app = get_app()
    app, data = _change(
        request_id,
        "pause",
        reason=reason,
        controller=app.config.controller,
        on=_date(on, "pause date") or app.today(),
        note=note,
    )
    app.emit(data, lambda: f"request {data['id']}: clock paused ({reason})")


@request.command("resume")
@click.argument("request_id")
@click.option("--on", "on", help="Day the answer arrived, YYYY-MM-DD (default: today).")
@json_option
def resume(request_id: str, on: str | None) -> None:
    """Run the clock again from the day the subject's answer arrived."""
    app = get_app()
    app, data = _change(
        request_id,
        "resume",
        controller=app.config.controller,
        on=_date(on, "resume date") or app.today(),
    )
    app.emit(data, lambda: f"request {data['id']}: clock running; {clock_text(data)}")


@request.command("extend")
@click.argument("request_id")
@click.option(
    "--reason", callback=free_text, required=True, help="Why: told to the subject in the letter."
)
@click.option("--on", "on", help="Day the subject is told, YYYY-MM-DD (default: today).")
@json_option
def extend(request_id: str, reason: str, on: str | None) -> None:
    """Extend by up to two months (Art. 12(3)) and write the letter to the subject."""
    from .. import letters

    app = get_app()
    controller = app.config.controller
    today = app.today()
    with app.session() as session:
        row = reqs.get(session, request_id)
        reqs.extend(
            session,
            row,
            reason=reason,
            actor=app.actor,
            controller=controller,
            on=_date(on, "notice date") or today,
        )
        text = letters.render(
            "extension", row, controller, reason=row.extension_reason, today=today
        )
        data = request_json(row, controller, today)
    path = letters.write(app.config.home, row, "extension", text)
    data["letter"] = str(path)
    app.emit(
        data,
        lambda: (
            f"request {data['id']}: extended, now {clock_text(data)}\nletter to the subject: {path}"
        ),
    )


@request.command("reject")
@click.argument("request_id")
@click.option(
    "--reason",
    callback=free_text,
    required=True,
    help="Why (Art. 12(5) or 12(6)): told to the subject.",
)
@json_option
def reject(request_id: str, reason: str) -> None:
    """Refuse the request and write the refusal letter."""
    from .. import letters

    app = get_app()
    controller = app.config.controller
    with app.session() as session:
        row = reqs.get(session, request_id)
        reqs.reject(session, row, reason=reason, actor=app.actor)
        text = letters.render(
            "refusal", row, controller, reason=row.outcome_reason or "", today=app.today()
        )
        data = request_json(row, controller, app.today())
    path = letters.write(app.config.home, row, "refusal", text)
    data["letter"] = str(path)
    app.emit(data, lambda: f"request {data['id']}: rejected\nletter to the subject: {path}")


@request.command("withdraw")
@click.argument("request_id")
@click.option("--reason", callback=free_text, default="", help="What the subject said.")
@json_option
def withdraw(request_id: str, reason: str) -> None:
    """The subject withdrew the request."""
    app, data = _change(request_id, "withdraw", reason=reason)
    app.emit(data, lambda: f"request {data['id']}: withdrawn")


@request.command("close")
@click.argument("request_id")
@json_option
def close(request_id: str) -> None:
    """Complete a request whose tasks are done and notices confirmed."""
    app = get_app()
    controller = app.config.controller
    with app.session() as session:
        row = reqs.get(session, request_id)
        blockers = app.plugins.request_blockers(reqs.info(row))
        reqs.close(session, row, actor=app.actor, blockers=blockers)
        data = request_json(row, controller, app.today())
        info = reqs.info(row)
    if data["state"] == RequestState.COMPLETED.value:
        app.plugins.request_completed(info)
        purge.after_completion(app.store, app.config, info.id, actor=app.actor)
    app.emit(data, lambda: f"request {data['id']}: completed")


@request.command("run", epilog=exits.epilog())
@click.argument("request_ids", nargs=-1, metavar="[REQUEST_ID]...")
@click.option("--dry-run", is_flag=True, help="Change nothing anywhere; report what would change.")
@click.option("--system", "systems", multiple=True, help="Only this system (repeatable).")
@click.option("--queue", is_flag=True, help="Only enqueue the tasks for `dsr worker`.")
@click.option(
    "--all-pending",
    is_flag=True,
    help="Every open, verified request with tasks waiting to run (or none made yet), "
    "in one batch; failed tasks are retried by naming their request.",
)
@click.option(
    "--due-erasures",
    is_flag=True,
    help="Erase kept records whose time has come (all requests; for cron).",
)
@click.option(
    "--confirm-active",
    is_flag=True,
    help="Erase although a system reports the customer's contract active (audited).",
)
@json_option
def run(
    request_ids: tuple[str, ...],
    dry_run: bool,
    systems: tuple[str, ...],
    queue: bool,
    all_pending: bool,
    due_erasures: bool,
    confirm_active: bool,
) -> None:
    """Carry out requests in every configured system, concurrently.

    Several ids (or --all-pending) run in one batch: systems that can share work between
    requests do (a call log read once for all, one rewrite for all erasures); each request
    keeps its own tasks, results and trail. Exits 4 when a system failed or was not
    searched, 5 when a task waits for staff, a system could not read everything, or an
    erasure waits because a system reports the customer's contract active
    (--confirm-active erases anyway); a batch: the worst of its requests, 2 when one could
    not run at all. --dry-run exits 4 when a system could not be asked, --due-erasures
    when an erasure failed.
    """
    from .run_cmd import run_request

    if due_erasures:
        if request_ids or dry_run or queue or all_pending:
            raise UserError("--due-erasures runs on its own, without a request id")
    elif all_pending and request_ids:
        raise UserError("--all-pending runs every pending request: name no request id")
    elif not request_ids and not all_pending:
        raise UserError("name the request to run, or use --all-pending or --due-erasures")
    elif dry_run and (len(request_ids) != 1 or all_pending):
        raise UserError("--dry-run looks at one request: name exactly one")
    run_request(
        get_app(),
        list(request_ids),
        dry_run=dry_run,
        systems=systems,
        queue=queue,
        due_erasures=due_erasures,
        confirm_active=confirm_active,
        all_pending=all_pending,
    )


__all__ = ["RequestKind", "request"]


def _register_answer_commands() -> None:
    from .answer_cmd import answer
    from .lift_cmd import lift

    request.add_command(answer)
    request.add_command(lift)


_register_answer_commands()
