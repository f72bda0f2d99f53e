"""``dsr request run``: carry out a request, dry-run it, queue it, or run due erasures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .app import App, engine_context, table


def _task_line(task: dict[str, Any]) -> list[Any]:
    summary = task.get("summary") or {}
    if summary.get("counts"):
        what = ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items()))
    elif "records" in summary:
        what = f"{summary['records']} records"
    else:
        what = ""
    if task.get("error"):
        what = f"error: {task['error']}"
    elif task["state"] == "manual":
        what = f"to do by hand: {task.get('instructions') or ''}"
    return [task["system"], task["state"], what]


def run_request(
    app: App,
    request_id: str | None,
    *,
    dry_run: bool,
    systems: Sequence[str],
    queue: bool,
    due_erasures: bool,
) -> None:
    from ..engine import dry_run as do_dry_run
    from ..engine import prepare, run_due_erasures
    from ..engine import run_request as do_run

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
        return
    assert request_id is not None
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
        app.emit(
            data,
            lambda: (
                f"request {rid}, dry run: nothing was changed\n"
                + table(["system", "status", "what would change"], rows)
            ),
        )
        return
    if queue:
        rid = prepare(ctx, request_id, systems, queue=True)
        app.emit(
            {"request_id": rid, "queued": True},
            f"request {rid}: tasks queued; `dsr worker` processes run them",
        )
        return
    report = do_run(ctx, request_id, systems)
    data = asdict(report)

    def text() -> str:
        lines = [
            f"request {report.request_id}: {report.state}"
            + (" (needs attention)" if report.needs_attention else "")
        ]
        lines.append(table(["system", "state", "result"], [_task_line(t) for t in report.tasks]))
        for name in report.busy_elsewhere:
            lines.append(f"{name}: running in another process; run again later")
        for b in report.blockers:
            lines.append(f"waiting: {b}")
        if report.needs_attention:
            lines.append(
                f"fix the errors above, then `dsr request run {report.request_id}` "
                "retries only what failed"
            )
        return "\n".join(lines)

    app.emit(data, text)
