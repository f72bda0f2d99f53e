"""How a request looks: one JSON shape for scripts, text for people, built from the same dict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from ..unread import unread_count

if TYPE_CHECKING:
    from ..clock import ClockStatus
    from ..config import ControllerConfig
    from ..store.models import RequestRow


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


#: what staff read for a state in lists and boards (JSON keeps the state's name)
STATE_WORDS = {
    "awaiting_answer": "waiting for the answer",
    "awaiting_confirmations": "waiting on suppliers",
}


def state_words(state: str) -> str:
    return STATE_WORDS.get(state, state)


def answer_json(
    answered_at: datetime | None, due: date | None, controller: ControllerConfig
) -> dict[str, Any] | None:
    """When the subject was first answered (the controller's day) and whether that met the
    deadline (Art. 12(3)): an answer on the due day is on time."""
    if answered_at is None:
        return None
    day = answered_at.astimezone(controller.tz).date()
    late = (day - due).days if due is not None and day > due else 0
    return {"on": day.isoformat(), "met": late == 0, "days_late": late}


def request_json(
    row: RequestRow,
    controller: ControllerConfig,
    today: date,
    status: ClockStatus | None = None,
    *,
    detail: bool = False,
    blockers: Sequence[str] = (),
    answered_at: datetime | None | EllipsisType = ...,
) -> dict[str, Any]:
    """``row``: a model row, or a light path's row (:mod:`dsr_core.store.lite`).
    ``answered_at``: when the request was first answered, if the caller looked it up (for
    many rows at once, or on the light path; ``...``: look it up here, in the row's session)."""
    from ..deadlines import clock_status, has_clock

    status = status or clock_status(row, controller, today)
    if answered_at is ...:
        from sqlalchemy.orm import object_session

        from .. import requests as reqs

        session = object_session(row)
        answered_at = reqs.answered(session, row.id) if session is not None else None
    answer = answer_json(answered_at, status.due, controller)
    data: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "needs_attention": bool(row.needs_attention),
        "received_on": row.received_on.isoformat(),
        "channel": row.channel,
        "language": row.language or controller.language,
        "subject": {"name": row.subject_name},
        "clock": {
            "due": _iso(status.due),
            "days_left": status.days_left,
            # an answer that went out ends the clock: met, or late, but no longer overdue
            "overdue": status.overdue
            and answer is None
            and row.state not in ("completed", "rejected", "withdrawn"),
            "paused_since": _iso(status.paused_since),
            "paused_days": status.paused_days,
            "extended": row.extended,
            # False for a termination: no Art. 12(3) deadline (docs/termination.md)
            "applies": has_clock(row),
        },
        "answer": answer,
    }
    if not detail:
        return data
    data["subject"]["identities"] = [
        {
            "kind": i.kind,
            "value": i.value,
            "valid_from": _iso(i.valid_from),
            "valid_to": _iso(i.valid_to),
            "system": i.system,
            "source": i.source,
        }
        for i in row.identities
    ]
    data.update(
        {
            "note": row.note,
            "changes": row.changes,
            "verification": {"method": row.verification_method, "at": _iso(row.verified_at)},
            "extension": {
                "reason": row.extension_reason,
                "notified_on": _iso(row.extension_notified_on),
            }
            if row.extended
            else None,
            "pauses": [
                {
                    "reason": p.reason,
                    "from": _iso(p.started_on),
                    "to": _iso(p.ended_on),
                    "note": p.note,
                }
                for p in row.pauses
            ],
            "outcome_reason": row.outcome_reason,
            "created_by": row.created_by,
            "created_at": _iso(row.created_at),
            "closed_at": _iso(row.closed_at),
            "tasks": [
                {
                    "id": t.id,
                    "system": t.system,
                    "type": t.system_type,
                    "state": t.state,
                    "step": t.step,
                    "attempts": t.attempts,
                    "error": t.error,
                    "instructions": t.instructions,
                    "summary": t.summary or {},
                    "finished_at": _iso(t.finished_at),
                    # the system reports the customer's contract active; staff have not
                    # confirmed the erasure (docs/termination.md)
                    "held": bool((t.keys or {}).get("active_contract"))
                    and not (t.keys or {}).get("active_confirmed"),
                }
                for t in row.tasks
            ],
            "blockers": list(blockers),
        }
    )
    return data


def task_result(task: Mapping[str, Any]) -> str:
    """One line for staff: what a task found or did, or why it did not."""
    state = str(task.get("state"))
    error = task.get("error")
    summary = task.get("summary") or {}
    if state == "not_searched":
        text = error or "another system failed first"
        return text if text.startswith("not searched") else f"not searched: {text}"
    if error:
        return f"error: {error}"
    if state == "manual":
        return f"to do by hand: {task.get('instructions') or ''}".rstrip()
    if summary.get("counts"):
        what = ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items()))
    elif "records" in summary:
        what = f"{summary['records']} records"
    else:
        what = ""
    unread = unread_count(summary)
    if unread:
        what = f"{what}, {unread} unread" if what else f"{unread} unread"
    return what


def task_warnings(task: Mapping[str, Any]) -> list[str]:
    """Warnings for staff under a task: data it could not read (never "nothing found"), a
    system not searched. Each unread item is one staff line (file, line numbers)."""
    state = str(task.get("state"))
    summary = task.get("summary") or {}
    lines = []
    if task.get("held"):
        lines.append(
            "WARNING: the customer's contract is still active here: nothing is erased until "
            "staff confirm (dsr request run --confirm-active)"
        )
    if state == "not_searched":
        lines.append(
            "WARNING: this system was not searched: the request stays open; fix the failed "
            "system and run the request again"
        )
    unread = unread_count(summary)
    if unread:
        lines.append(
            f"WARNING: could not read {unread} item{'s' if unread != 1 else ''} that may hold "
            "the subject's data: review them by hand (this is not 'nothing found')"
        )
        items = summary.get("unread")
        if isinstance(items, list | tuple):
            lines.extend(f"  - {item}" for item in items)
            if len(items) < unread:
                lines.append(f"  - and {unread - len(items)} more")
    return lines


def answer_text(answer: Mapping[str, Any]) -> str:
    """``answered 2026-12-05, deadline met`` / ``answered 2026-12-30, 3 days late``."""
    late = answer["days_late"]
    if not late:
        return f"answered {answer['on']}, deadline met"
    return f"answered {answer['on']}, {late} day{'s' if late != 1 else ''} late"


def clock_text(data: dict[str, Any]) -> str:
    clock = data["clock"]
    if not clock.get("applies", True):
        return "no deadline: a contract's end, not a GDPR request"
    if data.get("answer"):
        return f"due {clock['due']}, {answer_text(data['answer'])}"
    if clock["paused_since"]:
        return f"clock paused since {clock['paused_since']}"
    left = clock["days_left"]
    ext = " (extended)" if clock["extended"] else ""
    if left is None:
        return f"due {clock['due']}{ext}"
    if left < 0:
        return f"due {clock['due']}{ext}, OVERDUE by {-left} day{'s' if left != -1 else ''}"
    return f"due {clock['due']}{ext}, {left} day{'s' if left != 1 else ''} left"


def request_text(data: dict[str, Any]) -> str:
    lines = [
        f"request {data['id']}  {data['kind']}  {state_words(data['state'])}"
        + ("  NEEDS ATTENTION" if data["needs_attention"] else ""),
        f"subject:   {data['subject']['name']}",
    ]
    for ident in data["subject"].get("identities", []):
        period = ""
        if ident["valid_from"] or ident["valid_to"]:
            period = f" ({ident['valid_from'] or '…'} to {ident['valid_to'] or '…'})"
        scope = f" in {ident['system']}" if ident["system"] else ""
        lines.append(
            f"           {ident['kind']}: {ident['value']}{scope}{period} [from {ident['source']}]"
        )
    lines.append(f"received:  {data['received_on']} by {data['channel']}")
    lines.append(f"language:  {data['language']}")
    lines.append(f"clock:     {clock_text(data)}")
    if data.get("extension"):
        lines.append(
            f"extended:  on {data['extension']['notified_on']}: {data['extension']['reason']}"
        )
    for p in data.get("pauses", []):
        lines.append(f"paused:    {p['from']} to {p['to'] or 'now'} ({p['reason']})")
    if data.get("verification", {}).get("method"):
        lines.append(f"verified:  {data['verification']['method']}")
    if data.get("outcome_reason"):
        lines.append(f"reason:    {data['outcome_reason']}")
    tasks = data.get("tasks", [])
    if tasks:
        lines.append("tasks:")
        for t in tasks:
            summary = "" if t["error"] or t["state"] == "manual" else task_result(t)
            lines.append(f"  {t['system']:<14} {t['state']:<12} {summary}".rstrip())
            if t["state"] == "not_searched":
                lines.append(f"    {task_result(t)}")
            elif t["error"]:
                lines.append(f"    error: {t['error']}")
            if t["state"] == "manual" and t["instructions"]:
                lines.append(f"    to do: {t['instructions']}")
            lines.extend(f"    {w}" for w in task_warnings(t))
    notices = data.get("notices", [])
    if notices:
        lines.append("notices:")
        for n in notices:
            late = "  LATE" if n["late"] else ""
            lines.append(
                f"  {n['notice_id']:<8} {n['supplier']:<24} {n['state']:<10} "
                f"confirm by {n['confirm_by']}{late}"
            )
    for b in data.get("blockers", []):
        lines.append(f"waiting:   {b}")
    if data["state"] == "awaiting_answer":
        lines.append(
            "waiting:   for the answer to the subject (Art. 12(3)): "
            f"dsr request answer {data['id']}"
        )
    elif data.get("answer") and data["state"] == "in_progress" and not data.get("blockers"):
        if all(t["state"] in ("done", "skipped") for t in tasks):
            lines.append(f"waiting:   nothing: dsr request close {data['id']}")
    return "\n".join(lines)
