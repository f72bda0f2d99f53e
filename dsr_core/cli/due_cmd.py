"""``dsr due``: the deadline board, and a calendar file for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..deadlines import has_clock
from ..errors import UserError
from .app import get_app, json_option, table
from .request_cmd import limit_option, more_text, page_limit, page_of
from .views import request_json, state_words

#: answered requests stay on the board this many days, to show the deadline met (or not)
ANSWERED_SHOWN_DAYS = 30


def _sort_key(item: dict[str, Any]) -> tuple[int, int, int]:
    if item["answer"]:  # the clock stopped: last, latest answer first
        return (2, -date.fromisoformat(item["answer"]["on"]).toordinal(), item["id"])
    left = item["clock"]["days_left"]
    if left is None:  # paused: after the running ones
        return (1, 0, item["id"])
    return (0, left, item["id"])


def _when(item: dict[str, Any]) -> str:
    answer = item["answer"]
    if answer:
        late = answer["days_late"]
        return f"answered {answer['on']}, " + (f"LATE {late}d" if late else "met")
    left = item["clock"]["days_left"]
    if left is None:
        return f"paused since {item['clock']['paused_since']}"
    return f"OVERDUE {-left}d" if left < 0 else f"{left}d"


def ics(items: list[dict[str, Any]], controller_name: str, now: datetime) -> str:
    """An iCalendar (RFC 5545) file: one all-day event per due request.

    Events name the request id and kind, never the subject: calendars get synced to places
    personal data should not go.
    """
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//dsr//deadline board//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(f'DSR deadlines {controller_name}')}",
    ]
    for item in items:
        due = item["clock"]["due"]
        if not due or item["answer"]:  # answered: no deadline left to meet
            continue
        day = date.fromisoformat(due)
        summary = f"DSR {item['id']} ({item['kind']}) due"
        description = f"Request {item['id']}, {item['state']}: dsr request show {item['id']}"
        if item["state"] == "awaiting_confirmations":
            summary += ": waiting on suppliers"
        lines += [
            "BEGIN:VEVENT",
            f"UID:dsr-request-{item['id']}@dsr",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1)."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, current = [], b""
    for ch in line:
        enc = ch.encode()
        if len(current) + len(enc) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += enc
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _lifts(app: Any, today: date) -> list[dict[str, Any]]:
    """The restrictions whose lift was announced and not carried out yet (``dsr request
    lift``), read on the light path when it can serve."""
    from ..lifts import pending

    tz = app.config.controller.tz
    lite = app.lite()
    if lite is not None:
        with lite:
            return pending(lite.lift_states(tz), today)
    from ..answer.lift import announced_lifts

    with app.session(readonly=True) as session:
        return pending(announced_lifts(session, tz), today)


def _lift_when(lift: dict[str, Any], today: date) -> str:
    on = date.fromisoformat(lift["on"])
    if lift["due"]:
        return f"announced for {lift['on']}: its day has come, `dsr request lift {lift['request']}`"
    return f"announced for {lift['on']} ({(on - today).days} days left)"


@click.command()
@click.option(
    "--ics",
    "ics_path",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Also write the deadlines as an iCalendar file (in a folder that exists).",
)
@limit_option
@json_option
def due(ics_path: str | None, limit: int | None) -> None:
    """Open requests by days left, overdue first, then paused ones; then those answered in
    the last 30 days, with the day the answer went out (the deadline met, or late)."""
    from ..listing import Listing

    app = get_app()
    today = app.today()
    controller = app.config.controller
    since = datetime.combine(
        today - timedelta(days=ANSWERED_SHOWN_DAYS), datetime.min.time(), controller.tz
    )
    # a termination has no deadline: not on the board (Listing.clock_only)
    listing = Listing("open", today, limit=page_limit(app, limit), clock_only=True)
    found, total = page_of(app, listing, answered_since=since)
    items = [
        request_json(row, controller, today, status, answered_at=answered_at)
        for row, status, answered_at in found
        if has_clock(row)
    ]
    items.sort(key=_sort_key)
    # the open requests on the page (those answered lately come on top of them)
    shown = total if listing.limit is None else min(total, listing.limit)
    written = None
    if ics_path:
        if shown < total:  # the calendar holds every open request
            everything, _ = page_of(app, Listing("open", today, clock_only=True))
            every = [
                request_json(row, controller, today, status, answered_at=answered_at)
                for row, status, answered_at in everything
            ]
            every.sort(key=_sort_key)
        else:
            every = items
        from .init_cmd import check_folder, write_private

        written = Path(ics_path)
        check_folder(written)
        try:
            write_private(written, ics(every, controller.name, datetime.now(UTC)))
        except OSError as exc:
            raise UserError(f"cannot write {written}: {exc.strerror or exc}") from None

    lifts = _lifts(app, today)

    def text() -> str:
        if not items:
            out = "nothing due: no open requests, none answered lately"
        else:
            rows = []
            for item in items:
                state = state_words(item["state"]) + (" !" if item["needs_attention"] else "")
                due_day = item["clock"]["due"] or "-"
                rows.append([item["id"], item["kind"], state, due_day, _when(item)])
            out = table(["id", "kind", "state", "due", "left"], rows) + more_text(shown, total)
        if lifts:
            out += "\nrestrictions to lift (the subject was told the day):"
            for lift in lifts:
                out += f"\n  request {lift['request']}: {_lift_when(lift, today)}"
        if written:
            out += f"\ncalendar: {written}"
        return out

    app.emit(
        {
            "today": today.isoformat(),
            "requests": items,
            "total": total,
            "ics": str(written) if written else None,
            "lifts": lifts,
        },
        text,
    )
