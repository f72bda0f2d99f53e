"""dsr's exit codes: what cron and scripts can tell from ``$?`` (docs/exit-codes.md).

A command that did its work still exits non-zero when the outcome needs someone: ``FAILED``
when a system failed or was not searched (the request cannot be answered yet), ``REVIEW``
when everything ran but staff must look (a manual task, data a system could not read, a
notice that could not be delivered). The output (text or ``--json``) is printed first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..unread import unread_count

OK = 0
#: A prompt was answered "no" or its input ended (click's Abort).
ABORTED = 1
#: Bad input, missing config, an unknown request, an illegal step; click's usage errors.
USER_ERROR = 2
#: The database cannot be reached or opened.
STORE_UNAVAILABLE = 3
#: Some task failed or was not searched: the request needs the error fixed and a re-run.
FAILED = 4
#: Everything ran, but staff must review: manual tasks, unread data, undeliverable notices,
#: a recipient named in the subject's records that dsr does not know, an erasure held
#: while a system reports the customer's contract active.
REVIEW = 5
#: A bug in dsr (the traceback is in the log file).
SOFTWARE = 70
#: Interrupted (Ctrl-C).
INTERRUPTED = 130

#: The table for ``dsr --help`` and docs/exit-codes.md.
TABLE = (
    (OK, "everything asked was done"),
    (ABORTED, "aborted at a prompt"),
    (USER_ERROR, "bad input, missing config, unknown request, illegal step"),
    (STORE_UNAVAILABLE, "the database cannot be reached"),
    (FAILED, "a system failed or was not searched (fix, then run again)"),
    (
        REVIEW,
        "done, but staff must review: manual tasks, unread data, undeliverable notices, "
        "unknown recipients, an erasure held (the contract still runs)",
    ),
    (SOFTWARE, "a bug in dsr (traceback in the log file)"),
    (INTERRUPTED, "interrupted"),
)

#: Task states that leave a system unsearched or unchanged.
FAILED_STATES = frozenset({"failed", "not_searched"})


def for_tasks(tasks: Iterable[Mapping[str, Any]]) -> int:
    """The exit code for these tasks (dicts with ``state`` and ``summary``)."""
    code = OK
    for task in tasks:
        state = str(task.get("state"))
        if state in FAILED_STATES:
            return FAILED
        if state == "manual" or unread_count(task.get("summary")):
            code = REVIEW
    return code


#: From best to worst, for a batch of requests: a request that could not run at all (2)
#: outranks one whose system failed (4), which outranks one that needs review (5).
_SEVERITY = (OK, REVIEW, FAILED, USER_ERROR)


def worst(codes: Iterable[int]) -> int:
    """The exit code of a batch: the worst of its requests' codes (OK for none)."""
    rank = {code: i for i, code in enumerate(_SEVERITY)}
    return max(codes, key=lambda c: rank.get(c, len(_SEVERITY)), default=OK)


def finish(code: int) -> None:
    """The command's exit code, once its output is printed: ``dsr`` exits with it when the
    command returns (callers running a command in-process read ``App.exit_code``)."""
    from .app import get_app

    app = get_app()
    if app.exit_code != FAILED:  # a failure outranks a review
        app.exit_code = code


def epilog() -> str:
    r"""The exit-code table for a command's help (``\b`` keeps click from rewrapping it)."""
    lines = ["\b", "Exit codes:"]
    lines += [f"  {code:<3} {text}" for code, text in TABLE]
    return "\n".join(lines)
