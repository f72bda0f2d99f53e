"""``dsr worker``: claim and run queued tasks from the shared database."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from .. import hookimpl
from ..unread import unread_count
from . import exits
from .app import engine_context, get_app, json_option


class BatchWatch:
    """Observes the tasks this worker ran (``dsr_task_finished`` fires in the process that
    ran the task) so that the exit code can tell cron whether any of them failed."""

    def __init__(self) -> None:
        self.tasks: list[dict[str, Any]] = []

    @hookimpl
    def dsr_task_finished(self, request: Any, task: Any) -> None:
        self.tasks.append(
            {
                "request_id": task.request_id,
                "system": task.system,
                "state": str(task.state),
                "summary": {"unread_count": unread_count(task.summary)},
            }
        )


@click.command(epilog=exits.epilog())
@click.option(
    "--idle-exit",
    type=float,
    metavar="SECONDS",
    help="Stop after this long with nothing to do (default: run until stopped).",
)
@click.option("--max-steps", type=int, help="Stop after this many task steps.")
@click.option(
    "--poll",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds between looks for work when idle.",
)
@json_option
def worker(idle_exit: float | None, max_steps: int | None, poll: float) -> None:
    """Claim queued task steps (`dsr request run ID... --queue`) and run them, up to 20 at
    a time as one batch (a call log read once for all of them).

    Exits 4 when a task it ran failed, 5 when one waits for staff or could not read
    everything, once it stops (--idle-exit, --max-steps, a signal).
    """
    from ..engine import work

    app = get_app()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    ctx = engine_context(app)
    ctx.check_systems()
    watch = BatchWatch()
    app.plugins.register_object("dsr-worker-batch", watch)
    steps = work(ctx, idle_exit=idle_exit, max_steps=max_steps, poll=poll, stop=stop)
    ended = watch.tasks
    failed = [t for t in ended if t["state"] in exits.FAILED_STATES]
    code = exits.for_tasks(ended)

    def text() -> str:
        lines = [f"worker stopped after {steps} steps"]
        if ended:
            counts: dict[str, int] = {}
            for t in ended:
                counts[t["state"]] = counts.get(t["state"], 0) + 1
            lines.append("tasks ended: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        for t in failed:
            lines.append(f"{t['state']}: request {t['request_id']}, system {t['system']}")
        return "\n".join(lines)

    app.emit({"steps": steps, "tasks": ended}, text)
    exits.finish(code)
