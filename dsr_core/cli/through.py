"""``dsr request new ... --verified METHOD --run [--export PATH]``: the common case in one
process: record, verify, run and export, each step as its own command would do it and say it.

A termination runs as soon as it is verified (``request verify`` runs it), so
``request new termination ... --verified METHOD --export PATH`` records, verifies (and so
runs) and exports; ``--run`` adds no second run.

One process instead of four saves three start-ups (and their imports). With ``--json`` the
steps' documents are printed as one: ``{"request", "verify", "run", "export"}``. The exit code
is ``request run``'s; the bundle is not written after a run that failed (exit 4), whose
``dsr request run ID`` retry and ``dsr export ID`` then follow as usual.
"""

from __future__ import annotations

from typing import Any

import click

from ..intake import NewRequest
from . import exits
from .app import App
from .views import clock_text


def carry_through(
    app: App,
    new_request: NewRequest,
    *,
    force: bool,
    method: str,
    run: bool,
    bundle: str | None,
) -> None:
    from ..intake import parse_kind
    from ..model import RequestKind
    from .request_cmd import record, verify

    terminating = parse_kind(new_request.kind) is RequestKind.TERMINATION

    steps: dict[str, Any] = {}
    app.gathered = []
    ctx = click.get_current_context()
    try:
        data = record(app, new_request, force=force)
        rid = str(data["id"])
        app.emit(data, f"request {rid} recorded: {data['kind']}, {clock_text(data)}")
        steps["request"] = app.gathered[-1]
        ctx.invoke(verify, request_id=rid, method=method)
        steps["verify"] = app.gathered[-1]
        if run and not terminating:  # a termination ran when it was verified
            from .run_cmd import run_request

            run_request(app, [rid], dry_run=False, systems=(), queue=False, due_erasures=False)
            steps["run"] = app.gathered[-1]
        if bundle and app.exit_code == exits.FAILED:
            click.echo(
                f"dsr: not exported: a system failed; fix it, `dsr request run {rid}`, then "
                f"`dsr export {rid} -o {bundle}`",
                err=True,
            )
        elif bundle:
            from .export_cmd import export

            ctx.invoke(export, request_id=rid, output=bundle)
            steps["export"] = app.gathered[-1]
    finally:
        app.gathered = None
    if app.json:
        app.emit(steps, "")
