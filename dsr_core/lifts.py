"""A restriction's lift as its audit trail tells it, without a database library: the
light path's ``dsr due`` and the full path's ``dsr request lift`` read it the same way.

``restriction.lift_notified`` announces the lift (``on``: the day; an event without it, from
before announcements had a day, is for the day it was recorded),
``restriction.lift_cancelled`` withdraws the announcement (the subject objected),
``restriction.lift_failed`` and ``restriction.lifted`` record a lift tried and done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

#: The trail's events of a lift, in the order they happen.
NOTIFIED = "restriction.lift_notified"
CANCELLED = "restriction.lift_cancelled"
LIFTED = "restriction.lifted"
FAILED = "restriction.lift_failed"


@dataclass(frozen=True, slots=True)
class Announcement:
    """The letter that told the subject the restriction ends on ``on``."""

    seq: int  # its event on the audit trail
    on: date
    by: str
    told: date  # the day the letter went out


@dataclass(frozen=True, slots=True)
class LiftState:
    #: the announcement still standing (not cancelled), if any
    announced: Announcement | None = None
    #: a lift was tried after it: some systems may be lifted already, no going back
    started: bool = False
    lifted: bool = False


def state_of(events: Iterable[Any], tz: ZoneInfo) -> LiftState:
    """The lift's state from a restriction's events (see the module)."""
    state = LiftState()
    for event in events:
        if event.action == NOTIFIED:
            data = json.loads(event.data)
            told = event.at.astimezone(tz).date()
            on = date.fromisoformat(data["on"]) if data.get("on") else told
            announced = Announcement(event.seq, on, str(data.get("by") or ""), told)
            state = LiftState(announced=announced)
        elif event.action == CANCELLED:
            state = LiftState()
        elif event.action == FAILED:
            state = LiftState(announced=state.announced, started=True)
        elif event.action == LIFTED:
            state = LiftState(announced=state.announced, started=True, lifted=True)
    return state


#: Every lift event of the restrictions, in trail order (named parameters; both paths).
EVENTS_SQL = (
    "SELECT e.seq, e.at, e.request_id, e.action, e.data FROM audit_events e "
    "JOIN requests r ON r.id = e.request_id WHERE r.kind = 'restriction' "
    f"AND e.action IN ({', '.join(repr(a) for a in (NOTIFIED, CANCELLED, FAILED, LIFTED))}) "
    "ORDER BY e.seq"
)


def pending(states: Mapping[int, LiftState], today: date) -> list[dict[str, Any]]:
    """The announced lifts not carried out yet, soonest first, for staff's board: the
    request, the day announced, the day the subject was told, and whether the day has come
    (``dsr request lift ID`` or ``--due`` then lifts it)."""
    found = [
        {
            "request": rid,
            "on": state.announced.on.isoformat(),
            "told": state.announced.told.isoformat(),
            "by": state.announced.by,
            "due": state.announced.on <= today,
        }
        for rid, state in states.items()
        if state.announced is not None and not state.lifted
    ]
    return sorted(found, key=lambda item: (item["on"], item["request"]))


def states_of(events: Iterable[Any], tz: ZoneInfo) -> dict[int, LiftState]:
    """Each restriction's lift state from the rows of :data:`EVENTS_SQL` (in that order)."""
    by_request: dict[int, list[Any]] = {}
    for event in events:
        by_request.setdefault(int(event.request_id), []).append(event)
    return {rid: state_of(found, tz) for rid, found in by_request.items()}
