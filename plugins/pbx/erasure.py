"""What erasure does to one call: keep it for billing, delete it, or anonymise it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dsr_core.model import Action, Outcome

from .config import Retention


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action  # KEPT, ERASED or ANONYMISED
    until: date | None = None


def decide(day: date, today: date, retention: Retention) -> Decision:
    """Kept up to and including ``until`` (the call's day plus the retention: what the
    Outcome reports, the core erasing again the day after), erased from the next day on (or
    anonymised, when the config says so)."""
    if retention.keeps:
        until = retention.until(day)
        if today <= until:
            return Decision(Action.KEPT, until)
    return Decision(Action.ANONYMISED if retention.anonymise else Action.ERASED)


def outcome(
    record_id: str,
    category: str,
    decision: Decision,
    retention: Retention,
    *,
    fields: dict[str, Any],
    anonymised: list[str] | None = None,
    detail: str = "",
) -> Outcome:
    """The Outcome reported for one call (or call event)."""
    if decision.action == Action.KEPT:
        until = decision.until.isoformat() if decision.until else "?"
        return Outcome(
            record_id,
            category,
            Action.KEPT,
            basis=retention.basis,
            until=decision.until,
            detail=detail or f"kept for billing until {until}; erased the day after",
            fields=fields,
        )
    if decision.action == Action.ANONYMISED:
        changed = ", ".join(anonymised or []) or "none"
        return Outcome(
            record_id,
            category,
            Action.ANONYMISED,
            detail=detail
            or (
                "the subject's numbers replaced by a keyed hash, names blanked; times and "
                f"durations kept for billing totals (changed: {changed})"
            ),
            fields={**fields, "anonymised": anonymised or []},
        )
    return Outcome(record_id, category, Action.ERASED, detail=detail or "deleted", fields=fields)
