"""``dsr systems list|check``: the configured systems and their health."""

from __future__ import annotations

import click

from ..errors import UserError
from . import exits
from .app import engine_context, get_app, json_option, table


@click.group()
def systems() -> None:
    """Configured systems and their health."""


@systems.command("list")
@json_option
def list_() -> None:
    """The systems in the config, their type and which request kinds they handle."""
    app = get_app()
    host = app.plugins
    data = []
    for name, conf in app.config.systems.items():
        entry = {
            "name": name,
            "type": conf.type,
            "enabled": conf.enabled,
            "kinds": [],
            "error": None,
        }
        try:
            entry["kinds"] = sorted(k.value for k in host.system_class(conf.type, name).kinds)
        except UserError as exc:
            entry["error"] = str(exc)
        data.append(entry)
    app.emit(
        data,
        lambda: (
            table(
                ["system", "type", "enabled", "automatic for"],
                [
                    [
                        d["name"],
                        d["type"],
                        "yes" if d["enabled"] else "no",
                        d["error"] or ", ".join(d["kinds"]) or "nothing (manual)",
                    ]
                    for d in data
                ],
            )
            if data
            else "no systems configured: add [systems.NAME] tables to dsr.toml"
        ),
    )


@systems.command("check")
@click.argument("names", nargs=-1)
@json_option
def check(names: tuple[str, ...]) -> None:
    """Ask each system whether it is reachable and as configured; exit 4 if any is not."""
    app = get_app()
    ctx = engine_context(app)
    selected = list(names) or list(app.config.systems)
    data = []
    for name in selected:
        try:
            result = ctx.build(name).check()
            data.append({"name": name, "ok": result.ok, "problems": list(result.problems)})
        except Exception as exc:  # noqa: BLE001 - one broken system never hides the others
            data.append({"name": name, "ok": False, "problems": [" ".join(str(exc).split())]})
    app.emit(
        data,
        lambda: (
            table(
                ["system", "health", "problems"],
                [
                    [d["name"], "ok" if d["ok"] else "FAILING", "; ".join(d["problems"])]
                    for d in data
                ],
            )
            if data
            else "no systems configured"
        ),
    )
    if any(not d["ok"] for d in data):
        raise SystemExit(exits.FAILED)
