"""``dsr request run``: carry out a request, dry-run it, queue it, or run due erasures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from ..errors import UserError
from . import exits
from .app import App, engine_context, table
from .views import task_result, task_warnings


def _task_line(task: dict[str, Any]) -> list[Any]:
    return [task["system"], task["state"], task_result(task)]


def run_request(
    app: App,
    request_ids: Sequence[str],
    *,
    dry_run: bool,
    systems: Sequence[str],
    queue: bool,
    due_erasures: bool,
    confirm_active: bool = False,
    all_pending: bool = False,
) -> None:
    from ..engine import dry_run as do_dry_run
    from ..engine import pending_requests, run_due_erasures

    ctx = engine_context(app)
    ctx.check_systems(systems)
    if due_erasures:
        done = run_due_erasures(ctx)
        data = [
            {
                "request_id": d.request_id,
                "system": d.system,
                "due_on": d.due_on.isoformat(),
                "counts": d.counts,
                "error": d.error,
            }
            for d in done
        ]
        app.emit(
            data,
            lambda: (
                table(
                    ["request", "system", "due", "result"],
                    [
                        [
                            d["request_id"],
                            d["system"],
                            d["due_on"],
                            d["error"]
                            or ", ".join(f"{k} {v}" for k, v in d["counts"].items())
                            or "nothing",
                        ]
                        for d in data
                    ],
                )
                if data
                else "no kept records are due for erasure"
            ),
        )
        exits.finish(exits.FAILED if any(d["error"] for d in data) else exits.OK)
        return
    ids: list[int | str] = list(request_ids)
    if all_pending:
        if confirm_active:
            raise UserError(
                "--confirm-active erases although a contract is active: name each request "
                "it confirms, not --all-pending"
            )
        ids = list(pending_requests(ctx, queued=False))
    if queue:
        if confirm_active:
            _confirm_held(app, ids)
        _queue(app, ids, systems)
        return
    if len(ids) != 1 or all_pending:
        _run_batch(app, ids, systems, confirm_active=confirm_active)
        return
    request_id = request_ids[0]
    if dry_run:
        rid, results = do_dry_run(ctx, request_id, systems)
        data = {
            "request_id": rid,
            "dry_run": True,
            "systems": [{k: v for k, v in asdict(r).items() if k != "keys"} for r in results],
        }
        rows = []
        for r in results:
            what = ", ".join(
                f"would be {k} {v}" if k != "unchanged" else f"unchanged {v}"
                for k, v in sorted(r.counts.items())
            )
            rows.append([r.system, r.status, r.error or r.instructions or what])
        from ..engine.contract import WHY

        held = [
            f"WARNING: {r.system}: {WHY}: a run would erase nothing until staff confirm "
            f"(dsr request run {rid} --confirm-active)"
            for r in results
            if r.active_contract
        ]
        app.emit(
            data,
            lambda: "\n".join(
                [
                    f"request {rid}, dry run: nothing was changed",
                    table(["system", "status", "what would change"], rows),
                    *held,
                ]
            ),
        )
        # a dry run fails only where a system could not be asked; manual ones are news
        exits.finish(exits.FAILED if any(r.status == "failed" for r in results) else exits.OK)
        return
    data, text, code = carry_out(app, request_id, systems, confirm_active=confirm_active)
    if data["held"] and _ask(app, data["held"]):
        data, text, code = carry_out(app, request_id, systems, confirm_active=True)
    app.emit(data, text)
    exits.finish(code)


def _ask(app: App, held: Sequence[str]) -> bool:
    """At a terminal, staff may confirm the held erasure at once (the answer is audited as
    ``--confirm-active`` is); scripts and --json get exit 5 and the warning instead."""
    import sys

    import click

    if app.json or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    return click.confirm(
        f"{', '.join(held)}: the customer's contract is still active. Erase anyway?",
        default=False,
    )


def check_termination(app: App) -> None:
    """Before a termination is verified (and so run at once): every system it touches
    builds, and at least one system sets ``on_termination``; nothing is recorded otherwise."""
    from ..engine import termination
    from ..model import RequestKind

    ctx = engine_context(app)
    names = [n for n, c in app.config.systems.items() if c.enabled]
    touched = termination.systems_for(app.config, RequestKind.TERMINATION, names, named=False)
    ctx.check_systems(touched)


def carry_out(
    app: App, request_id: str | int, systems: Sequence[str] = (), *, confirm_active: bool = False
) -> tuple[dict[str, Any], Callable[[], str], int]:
    """Run the request: its report as data, as text for staff, and the exit code."""
    from ..engine import run_request as do_run

    report = do_run(engine_context(app), request_id, systems, confirm_active=confirm_active)
    code = _code_of(app, report, systems)
    return asdict(report), lambda: _report_text(report, code), code


def _code_of(app: App, report: Any, systems: Sequence[str]) -> int:
    """A run's exit code: its tasks (those of ``systems`` when named), then its notices."""
    only = set(systems)
    code = exits.for_tasks(t for t in report.tasks if not only or t["system"] in only)
    if code == exits.OK and (report.held or _notices_need_staff(app, report.request_id)):
        code = exits.REVIEW
    return code


def _report_text(report: Any, code: int) -> str:
    from ..engine.contract import WHY
    from ..engine.termination import LEFT_ALONE_WHY

    lines = [
        f"request {report.request_id}: {report.state}"
        + (" (needs attention)" if report.needs_attention else "")
    ]
    lines.append(table(["system", "state", "result"], [_task_line(t) for t in report.tasks]))
    for t in report.tasks:
        lines.extend(f"{t['system']}: {w}" for w in task_warnings(t))
    for name in report.held:
        lines.append(
            f"WARNING: {name}: {WHY}: nothing was erased anywhere; erase anyway with "
            f"`dsr request run {report.request_id} --confirm-active`"
        )
    if report.left_alone:
        lines.append(f"left alone: {', '.join(report.left_alone)} ({LEFT_ALONE_WHY})")
    for name in report.busy_elsewhere:
        lines.append(f"{name}: running in another process; run again later")
    for b in report.blockers:
        lines.append(f"waiting: {b}")
    if code == exits.FAILED:
        lines.append(
            f"fix the errors above, then `dsr request run {report.request_id}` "
            "retries only what failed or was not searched"
        )
    return "\n".join(lines)


def _run_batch(
    app: App, ids: Sequence[int | str], systems: Sequence[str], *, confirm_active: bool = False
) -> None:
    """Several requests in one process (:func:`dsr_core.engine.run_many`); the exit code is
    the worst of theirs."""
    from ..engine import run_many

    ctx = engine_context(app)
    runs = run_many(ctx, ids, systems, confirm_active=confirm_active) if ids else []
    codes: list[int] = []
    data: list[dict[str, Any]] = []
    blocks: list[str] = []
    for run in runs:
        if run.report is None:
            codes.append(exits.USER_ERROR)
            data.append({"request_id": run.request_id, "error": run.error})
            blocks.append(f"request {run.request_id}: not run: {run.error}")
            continue
        code = _code_of(app, run.report, systems)
        codes.append(code)
        data.append({**asdict(run.report), "exit_code": code})
        blocks.append(_report_text(run.report, code))
    app.emit(
        {"requests": data},
        lambda: "\n\n".join(blocks) if blocks else "no pending requests: nothing to run",
    )
    exits.finish(exits.worst(codes))


def _confirm_held(app: App, ids: Sequence[int | str]) -> None:
    """``--queue --confirm-active``: confirm each named request's erasure that an earlier
    run held (audited); a worker locates later, so a hold it has not met yet cannot be
    confirmed in advance: refused in one line, nothing confirmed."""
    import sqlalchemy as sa

    from .. import requests as reqs
    from ..engine import contract
    from ..store.models import TaskRow

    ctx = engine_context(app)
    held: dict[int, list[int]] = {}
    with app.session(readonly=True) as session:
        for request_id in ids:
            rid = reqs.get(session, str(request_id)).id
            tasks = session.execute(sa.select(TaskRow).where(TaskRow.request_id == rid))
            held[rid] = [t.id for t in tasks.scalars() if contract.held(t)]
    waiting = [str(rid) for rid, tasks in held.items() if not tasks]
    if waiting:
        raise UserError(
            f"request {', '.join(waiting)}: no erasure is held for an active contract yet: "
            "--confirm-active with --queue confirms one a run held (queue without it, or run "
            "the request here with --confirm-active)"
        )
    for rid, tasks in held.items():
        contract.confirm(ctx, rid, tasks)


def _queue(app: App, ids: Sequence[int | str], systems: Sequence[str]) -> None:
    """Prepare each request for ``dsr worker`` (the workers batch them)."""
    from ..engine import prepare

    ctx = engine_context(app)
    data: list[dict[str, Any]] = []
    codes: list[int] = []
    for request_id in ids:
        try:
            rid = prepare(ctx, request_id, systems, queue=True)
        except UserError as exc:
            if len(ids) == 1:
                raise
            data.append({"request_id": request_id, "error": str(exc)})
            codes.append(exits.USER_ERROR)
            continue
        data.append({"request_id": rid, "queued": True})
        codes.append(exits.OK)
    lines = [
        f"request {d['request_id']}: "
        + (f"not queued: {d['error']}" if "error" in d else "tasks queued")
        for d in data
    ]
    if len(data) == 1:
        app.emit(data[0], f"{lines[0]}; `dsr worker` processes run them")
    else:
        lines.append("`dsr worker` processes run them" if data else "no pending requests")
        app.emit({"requests": data}, "\n".join(lines))
    exits.finish(exits.worst(codes))


def _notices_need_staff(app: Any, request_id: int) -> bool:
    """A notice of the request is held for review, refused for good, or could not be
    delivered when tried: staff must act (exit 5), unlike one simply awaiting confirmation."""
    import sqlalchemy as sa

    from ..recipients.notices import NoticeState
    from ..store.models import NoticeRow

    stuck = sa.or_(
        NoticeRow.state.in_([NoticeState.REVIEW.value, NoticeState.FAILED.value]),
        sa.and_(NoticeRow.state == NoticeState.PENDING.value, NoticeRow.attempts > 0),
    )
    with app.session(readonly=True) as session:
        found = session.execute(
            sa.select(NoticeRow.id).where(NoticeRow.request_id == request_id, stuck).limit(1)
        ).first()
    return found is not None
