"""What a task's system could not read: ``summary["unread"]`` (one staff line each: file and
line numbers) and ``summary["unread_count"]``, as the engine records them.

A system that could not read data that may hold the subject's never says "nothing": staff are
warned (``dsr request show``, the run's exit code 5) and the bundle says plainly that some
records could not be read and will be reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def unread_count(summary: Mapping[str, Any] | None) -> int:
    """``summary["unread_count"]``, else the number of ``summary["unread"]`` lines, else 0."""
    if not summary:
        return 0
    count = summary.get("unread_count")
    if isinstance(count, int) and not isinstance(count, bool):
        return max(count, 0)
    unread = summary.get("unread")
    return len(unread) if isinstance(unread, list | tuple) else 0
