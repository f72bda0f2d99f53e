"""``dsr audit show ID`` and ``dsr audit verify``."""

from __future__ import annotations

import json

import click

from .. import audit as trail
from .. import requests as reqs
from .app import get_app, json_option, table


@click.group()
def audit() -> None:
    """Show and verify the hash-chained audit trail."""


@audit.command("show")
@click.argument("request_id")
@json_option
def show(request_id: str) -> None:
    """Every event of one request, oldest first."""
    app = get_app()
    with app.session() as session:
        rid, events = trail.events_of_request(session, request_id, reqs.get)
    app.emit(
        events,
        lambda: table(
            ["seq", "at (UTC)", "actor", "action", "data"],
            [
                [
                    e["seq"],
                    e["at"][:19].replace("T", " "),
                    e["actor"],
                    e["action"],
                    json.dumps(e["data"], ensure_ascii=False, sort_keys=True),
                ]
                for e in events
            ],
        ),
    )


@audit.command("verify")
@json_option
def verify() -> None:
    """Check the whole chain; name the first event edited, deleted or reordered."""
    app = get_app()
    with app.session() as session:
        result = trail.verify(session)
    data = {
        "ok": result.ok,
        "events": result.events,
        "problem": result.problem,
        "first_bad_event": result.first_bad_seq,
    }
    if result.ok:
        app.emit(data, f"audit trail intact: {result.events} events")
        return
    if app.json:
        click.echo(json.dumps(data, indent=2))
    click.echo(f"dsr: audit trail broken: {result.problem}", err=True)
    raise SystemExit(1)
