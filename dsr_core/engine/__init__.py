"""The request engine: tasks per system, run concurrently, isolated, resumable."""

from .context import EngineContext
from .dryrun import dry_run
from .orchestrator import RunReport, prepare, run_request, settle
from .scheduled import run_due_erasures
from .worker import work

__all__ = [
    "EngineContext",
    "RunReport",
    "dry_run",
    "prepare",
    "run_due_erasures",
    "run_request",
    "settle",
    "work",
]
