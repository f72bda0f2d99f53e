"""A stored request's clock: its pauses and where it stands on a day.

Works on anything with the request's columns as attributes (a model row, or a row of the light
read path, :mod:`dsr_core.store.lite`), so both paths show the same deadline.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from . import clock
from .model import RequestKind

if TYPE_CHECKING:
    from .config import ControllerConfig

R = TypeVar("R")


def pauses_of(row: Any) -> list[clock.Pause]:
    return [clock.Pause(p.started_on, p.ended_on) for p in row.pauses]


def has_clock(row: Any) -> bool:
    """A GDPR request runs against the Art. 12(3) deadline; a termination does not."""
    return RequestKind(row.kind).is_gdpr


def clock_status(row: Any, controller: ControllerConfig, today: date) -> clock.ClockStatus:
    if not has_clock(row):
        return clock.ClockStatus(row.received_on, False, None, None, False, None, 0)
    return clock.status(
        row.received_on,
        today=today,
        extended=row.extended,
        pauses=pauses_of(row),
        country=controller.country,
        subdiv=controller.subdivision,
    )


def with_status(
    rows: Iterable[R],
    *,
    which: str,
    controller: ControllerConfig,
    today: date,
    due_within: int | None = None,
    answered: Collection[int] = (),
) -> list[tuple[R, clock.ClockStatus]]:
    """Each request with its clock status: only the overdue ones (``which="overdue"``; not
    those in ``answered``, whose answer went out: the deadline was met, or late, but no longer
    overdue) and those due within ``due_within`` days, when asked."""
    result = []
    for row in rows:
        status = clock_status(row, controller, today)
        if which == "overdue" and (not status.overdue or getattr(row, "id", None) in answered):
            continue
        if due_within is not None and (status.days_left is None or status.days_left > due_within):
            continue
        result.append((row, status))
    return result
