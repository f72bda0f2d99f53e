"""The request engine: tasks per system, run concurrently, isolated, resumable."""

from .batch import BatchRun, pending_requests, run_many
from .context import EngineContext
from .dryrun import dry_run
from .orchestrator import RunReport, prepare, run_request, settle
from .scheduled import run_due_erasures
from .worker import work

__all__ = [
    "BatchRun",
    "EngineContext",
    "RunReport",
    "dry_run",
    "pending_requests",
    "prepare",
    "run_due_erasures",
    "run_many",
    "run_request",
    "settle",
    "work",
]
