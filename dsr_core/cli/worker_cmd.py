"""``dsr worker``: claim and run queued tasks from the shared database."""

from __future__ import annotations

import signal
import threading

import click

from .app import engine_context, get_app, json_option


@click.command()
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
    """Claim queued task steps (`dsr request run ID --queue`) and run them."""
    from ..engine import work

    app = get_app()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    ctx = engine_context(app)
    ctx.check_systems()
    steps = work(ctx, idle_exit=idle_exit, max_steps=max_steps, poll=poll, stop=stop)
    app.emit({"steps": steps}, f"worker stopped after {steps} steps")
