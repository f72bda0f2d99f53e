"""``dsr request ...``: record a request and move it through its life."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import UserError
from ..fields import LANGUAGES
from ..intake import CHANNELS, PAUSE_REASONS, NewRequest, parse_date, parse_kind
from ..listing import DEFAULT_LIMIT, Listing
from ..model import RequestKind, RequestState
from . import exits
from .app import App, engine_context, free_text, get_app, json_option, table
from .views import clock_text, request_json, request_text, state_words

if TYPE_CHECKING:
    from ..clock import ClockStatus

# The lifecycle (SQLAlchemy) is imported inside the commands that change a request: `list`,
# `show` and `due` read through the light path (dsr_core.store.lite) when it can serve.


def _date(value: str | None, what: str) -> date | None:
    return parse_date(value, what) if value else None


def _load_changes(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    import tomllib

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


class _RequestGroup(click.Group):
    """``dsr request``: the answer's commands are imported only when one of them runs or
    help lists them (every other ``request`` command, the light ones included, skips them)."""

    LAZY = {"answer": ".answer_cmd", "lift": ".lift_cmd"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.LAZY))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = self.LAZY.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            from importlib import import_module

            self.add_command(getattr(import_module(module, __package__), cmd_name))
        return super().get_command(ctx, cmd_name)


@click.group(cls=_RequestGroup)
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
@click.option("--channel", type=click.Choice(list(CHANNELS)), default="email")
@click.option("--note", callback=free_text, help="Free text for staff.")
@click.option(
    "--changes",
    "changes_file",
    type=click.Path(),
    help="Rectification: a TOML or JSON file of field = new value.",
)
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    help="The subject's language: letters and the bundle's report (default: the controller's).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Record it even if an open request of the same kind exists for the subject.",
)
@click.option(
    "--verified",
    callback=free_text,
    metavar="METHOD",
    help="Record it verified at once (as `request verify --method`); a termination then runs.",
)
@click.option(
    "--run",
    "run_",
    is_flag=True,
    help="Then run it (needs --verified); exits as `request run`.",
)
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Then write its bundle to PATH (after the run; not after a failed run).",
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
    run_: bool,
    export_path: str | None,
) -> None:
    """Record a request of KIND: access, portability, erasure, rectification, restriction,
    objection; or termination, the end of the customer's contract (not a GDPR request).
    With --verified, --run and --export, take it through in one go (a verified termination
    runs at once)."""
    terminating = parse_kind(kind) is RequestKind.TERMINATION
    if run_ and not verified:
        raise UserError("--run needs --verified METHOD: a request runs once identity is verified")
    if export_path and not (run_ or (terminating and verified)):
        raise UserError(
            "--export needs --run (a verified termination runs at once): the bundle holds "
            "what the run found"
        )
    app = get_app()
    if terminating and verified:
        from .run_cmd import check_termination

        check_termination(app)  # nothing is recorded when a system it touches is broken
    new_request = NewRequest(
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
    if export_path or (run_ and not terminating):
        from .through import carry_through

        carry_through(
            app, new_request, force=force, method=str(verified), run=run_, bundle=export_path
        )
        return
    if verified is None:
        data = _new_light(app, new_request, force=force) or record(app, new_request, force=force)
    else:
        data = record(app, new_request, force=force, verified=verified)
    if terminating and verified:
        _run_at_once(app, data, "termination recorded and verified")
        return
    app.emit(data, lambda: f"request {data['id']} recorded: {data['kind']}, {clock_text(data)}")


def record(
    app: App, new_request: NewRequest, *, force: bool, verified: str | None = None
) -> dict[str, Any]:
    """Record the request on the full path (the lifecycle, the logger, the plugins' hooks);
    ``verified``: and its identity check, in the same unit of work."""
    from .. import requests as reqs

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
    return data


def _new_light(app: App, new: NewRequest, *, force: bool) -> dict[str, Any] | None:
    """Record the request on the light path (the same rows, audit event and log line as
    :func:`dsr_core.requests.create` and the full command), or None when the full path must:
    no light path, ``-v`` (the terminal logger), a third-party plugin that may act on a new
    request, or a kind passed on to recipients (the suppliers plugin derives them first)."""
    kind = parse_kind(new.kind)
    if app.verbose or kind.notifies_recipients or not app.builtin_plugins_only():
        return None
    from ..intake import check, duplicates_message
    from ..store.lite import Json, Row

    controller = app.config.controller
    today = app.today()
    intake = check(new, controller=controller, today=today)
    lite = app.lite()
    if lite is None:
        return None
    log_key = lite.meta("log_key") if lite.writable else None
    if log_key is None:  # the key: the full path's first store opening makes it
        lite.conn.close()
        return None
    actor = app.actor
    with app.holidays():
        open_states = [s.value for s in RequestState if s.is_open]
        with lite.writing():
            pairs = [(i.kind.value, i.value) for i in intake.identities if i.kind.value != "name"]
            duplicates = lite.duplicates(kind.value, pairs, open_states)
            if duplicates and not force:
                raise UserError(duplicates_message(kind, duplicates))
            due = intake.due(controller)
            values: dict[str, Any] = {
                "kind": kind.value,
                "state": RequestState.RECEIVED.value,
                "subject_name": intake.name,
                "received_on": intake.received,
                "channel": intake.channel,
                "note": intake.note,
                "changes": Json(intake.changes),
                "due_on": due,
                "extended": False,
                "needs_attention": False,
                "created_by": actor,
                "language": intake.language,
            }
            values["created_at"] = datetime.now(UTC)  # two calls, as the models' defaults
            values["updated_at"] = datetime.now(UTC)
            rid = lite.insert("requests", values)
            for i in intake.identities:
                lite.insert(
                    "identities",
                    {
                        "request_id": rid,
                        "kind": i.kind.value,
                        "value": i.value,
                        "valid_from": i.valid_from,
                        "valid_to": i.valid_to,
                        "system": i.system,
                        "source": i.source,
                    },
                )
            lite.append_audit(
                "request.created",
                actor=actor,
                request_id=rid,
                data=intake.created_data(due, duplicates, force, controller),
            )
        row = Row({**values, "id": rid, "changes": Json(intake.changes), "pauses": []})
        data = request_json(row, controller, today, answered_at=None)
    from ..logging import log_info

    log_info(
        app.config.log_file,
        bytes.fromhex(log_key),
        "dsr.request",
        "request recorded",
        request_id=rid,
        kind=kind.value,
        identities=[i.value for i in intake.identities],
        name=intake.name,
    )
    return data


def limit_option(func: Any) -> Any:
    return click.option(
        "--limit",
        type=click.IntRange(min=0),
        metavar="N",
        help=f"Show at most N (default {DEFAULT_LIMIT} on the terminal, all with --json; 0: all).",
    )(func)


def page_limit(app: App, limit: int | None) -> int | None:
    """The rows a list shows: ``--limit`` (0: all), else a page on the terminal and all in
    JSON (scripts get everything)."""
    if limit is None:
        return None if app.json else DEFAULT_LIMIT
    return limit or None


def more_text(shown: int, total: int, order: str = "most urgent first") -> str:
    """The line under a list cut short: how many more, and how to see them."""
    if total <= shown:
        return ""
    return f"\n{shown} of {total} shown, {order}; {total - shown} more: --limit 0 shows them all"


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
@limit_option
@json_option
def list_(which: str, due_within: int | None, limit: int | None) -> None:
    """List requests with their state and deadline: open ones most urgent first (paused ones
    last), every request (--all) by id."""
    app = get_app()
    today = app.today()
    controller = app.config.controller
    listing = Listing(which, today, due_within, page_limit(app, limit))
    found, total = page_of(app, listing)
    data = [
        request_json(row, controller, today, status, answered_at=answered_at)
        for row, status, answered_at in found
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
            + more_text(len(data), total, "by id" if which == "all" else "most urgent first")
            if data
            else "no requests"
        ),
    )


Shown = tuple[Any, "ClockStatus", "datetime | None"]


def page_of(
    app: App, listing: Listing, *, answered_since: datetime | None = None
) -> tuple[list[Shown], int]:
    """The requests ``listing`` shows, each with its clock status and when it was first
    answered (None: not yet), and how many the listing has in all; ``answered_since``: then
    the requests first answered since that moment, not on the page (``dsr due``). Read on
    the light path when it can serve."""
    controller = app.config.controller
    today = listing.today
    lite = app.lite()
    if lite is not None:
        from ..deadlines import clock_status

        with lite, app.holidays():
            rows, total = lite.requests(listing)
            answers = lite.first_answers([r.id for r in rows])
            if answered_since is not None:
                shown = {r.id for r in rows}
                recent = lite.answered_since(answered_since)
                rows += lite.requests_by_id([i for i in sorted(recent) if i not in shown])
                answers.update(recent)
            found = [(r, clock_status(r, controller, today), answers.get(r.id)) for r in rows]
            return found, total
    from .. import requests as reqs
    from ..answer.record import answered_since as since_answered
    from ..answer.record import first_answers

    with app.session(readonly=True) as session:
        page, total = reqs.page_requests(session, listing, controller=controller)
        answers = first_answers(session, [r.id for r, _ in page])
        if answered_since is not None:
            shown = {r.id for r, _ in page}
            recent = since_answered(session, answered_since)
            page += [
                (r, reqs.clock_status(r, controller, today))
                for r in (reqs.get(session, i) for i in sorted(recent) if i not in shown)
            ]
            answers.update(recent)
        return [(r, status, answers.get(r.id)) for r, status in page], total


def _show_light(app: App, request_id: str) -> dict[str, Any] | None:
    """``show``'s document from the light path, or None when the full path must answer: no
    light path, a third-party plugin that may hold the request back, a kind passed on to
    recipients (Art. 19 notices), or no such request (the full path says so)."""
    text = request_id.strip().lstrip("#")
    if not text.isdigit() or not app.builtin_plugins_only():
        return None
    lite = app.lite()
    if lite is None:
        return None
    from ..deadlines import clock_status

    controller = app.config.controller
    today = app.today()
    with lite, app.holidays():
        row = lite.request(int(text))
        if row is None or RequestKind(row.kind).notifies_recipients or lite.notices_of(row.id):
            return None
        if any(t.state == "done" and (t.summary or {}).get("attempt") for t in row.tasks):
            return None  # the recipients its records name: the systems' plugins read them
        status = clock_status(row, controller, today)
        answered_at = lite.first_answers([row.id]).get(row.id)
        data = request_json(row, controller, today, status, detail=True, answered_at=answered_at)
    data["notices"] = []
    data["unmatched_recipients"] = []  # no finished task: no records that name one
    return data


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
    light = _show_light(app, request_id)
    if light is not None:
        app.emit(light, lambda: request_text(light))
        return
    from .. import requests as reqs

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
    from .. import requests as reqs

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
    from .. import requests as reqs

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
    type=click.Choice(list(PAUSE_REASONS)),
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
    from .. import requests as reqs

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
    from .. import requests as reqs

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
    from .. import purge
    from .. import requests as reqs

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
