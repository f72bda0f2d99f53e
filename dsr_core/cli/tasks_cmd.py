"""``dsr tasks list|done``: one task per system and request; staff confirm manual ones."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa

from .. import audit
from .. import requests as reqs
from ..errors import IllegalTransition, NotFound
from ..model import TaskState
from ..store.models import TaskRow
from .app import free_text, get_app, json_option, table
from .views import task_result


@click.group()
def tasks() -> None:
    """Tasks per system; confirm manual ones with `dsr tasks done`."""


@tasks.command("list")
@click.argument("request_id", required=False)
@click.option("--manual", is_flag=True, help="Only tasks waiting for staff.")
@json_option
def list_(request_id: str | None, manual: bool) -> None:
    """Tasks of one request, or of every open request."""
    app = get_app()
    with app.session() as session:
        stmt = sa.select(TaskRow).order_by(TaskRow.request_id, TaskRow.id)
        if request_id:
            stmt = stmt.where(TaskRow.request_id == reqs.get(session, request_id).id)
        if manual:
            stmt = stmt.where(TaskRow.state == TaskState.MANUAL.value)
        rows = session.execute(stmt).scalars().all()
        data = [
            {
                "id": t.id,
                "request_id": t.request_id,
                "system": t.system,
                "state": t.state,
                "error": t.error,
                "instructions": t.instructions,
                "summary": t.summary or {},
            }
            for t in rows
        ]
    app.emit(
        data,
        lambda: (
            table(
                ["task", "request", "system", "state", "detail"],
                [
                    [
                        d["id"],
                        d["request_id"],
                        d["system"],
                        d["state"],
                        task_result(d),
                    ]
                    for d in data
                ],
            )
            if data
            else "no tasks"
        ),
    )


@tasks.command("done")
@click.argument("task_id", type=int)
@click.option(
    "--note",
    callback=free_text,
    default="",
    help="What was done (or what the review found), for the trail.",
)
@json_option
def done(task_id: int, note: str) -> None:
    """Confirm a manual task was carried out, or record the review of what a done task could
    not read (--note says what the review found)."""
    app = get_app()
    with app.session() as session:
        task = session.get(TaskRow, task_id)
        if task is None:
            raise NotFound(f"no task {task_id}")
        reviewed = task.state == TaskState.DONE.value and reqs.unread_unreviewed(task)
        if reviewed:
            reqs.review_unread(session, task, actor=app.actor, note=note)
        elif task.state != TaskState.MANUAL.value:
            raise IllegalTransition(f"task {task_id} is {task.state}, not waiting for staff")
        else:
            task.state = TaskState.DONE.value
            task.done_by = app.actor
            task.done_note = note or None
            task.finished_at = datetime.now(UTC)
            audit.append(
                session,
                "task.manual_done",
                actor=app.actor,
                request_id=task.request_id,
                data={"system": task.system, "note": note},
            )
        request_id = task.request_id
    from ..engine import settle
    from .app import engine_context

    settle(engine_context(app), request_id, [task_id])
    if reviewed:
        app.emit(
            {"id": task_id, "state": "done", "unread_reviewed": True},
            f"task {task_id}: the review of what it could not read is recorded",
        )
    else:
        app.emit({"id": task_id, "state": "done"}, f"task {task_id}: done")
