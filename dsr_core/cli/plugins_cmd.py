"""``dsr plugins list`` and ``dsr plugin new NAME``."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..errors import UserError
from .app import get_app, json_option, table


@click.group()
def plugins() -> None:
    """Installed plugins and the system types they add."""


@plugins.command("list")
@json_option
def list_() -> None:
    """Every plugin found, its version, system types, and any error."""
    app = get_app()
    host = app.plugins
    host.system_types  # noqa: B018 - collect them, so registration errors show
    data = [
        {
            "name": p.name,
            "version": p.version,
            "origin": p.origin,
            "system_types": p.system_types,
            "hooks": p.hooks,
            "disabled": p.disabled,
            "error": p.error,
        }
        for p in host.plugins.values()
    ]
    app.emit(
        data,
        lambda: table(
            ["plugin", "version", "system types", "status"],
            [
                [
                    d["name"],
                    d["version"],
                    ", ".join(d["system_types"]),
                    "disabled"
                    if d["disabled"]
                    else (f"ERROR {d['error']}" if d["error"] else "ok"),
                ]
                for d in data
            ],
        ),
    )


@click.group()
def plugin() -> None:
    """Scaffold a new plugin package."""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=".",
    help="Where to create the package folder (default: here).",
)
@json_option
def new(name: str, directory: str) -> None:
    """Create dsr-NAME/: a package with a system type and the conformance tests wired in."""
    from .scaffold import scaffold

    name = name.replace("-", "_")  # the package is dsr-NAME, the module dsr_NAME
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise UserError(
            "a plugin name is lower-case letters, digits, '-' and '_', starting with a letter"
        )
    target = Path(directory) / f"dsr-{name.replace('_', '-')}"
    if target.exists():
        raise UserError(f"{target} exists already")
    files = scaffold(name, target)
    app = get_app()
    app.emit(
        {"path": str(target), "files": [str(f) for f in files]},
        lambda: (
            f"created {target}\n"
            + "\n".join(f"  {f}" for f in files)
            + f"\nnext: cd {target} && pip install -e . && pytest"
        ),
    )
