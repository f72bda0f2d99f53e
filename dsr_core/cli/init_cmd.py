"""``dsr init``: the config file and the database in the dsr home. Safe to run twice."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import UserError
from .app import get_app, json_option


def write_private(path: Path, text: str) -> None:
    """Create ``path`` owner-only, atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # nothing half-written is left behind
        raise


def check_folder(path: Path) -> None:
    """Refuse, in one line, a file to be written into a folder that does not exist (a typo
    must not make folders) or a "folder" that is a file."""
    folder = path.parent
    if not folder.exists():
        raise UserError(f"{folder} does not exist: create the folder first")
    if not folder.is_dir():
        raise UserError(f"cannot write {path}: {folder} is not a folder")


@click.command()
@click.option(
    "--home",
    "home_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="The dsr home to create (same as the global --home or DSR_HOME).",
)
@click.option("--name", default="My company", help="The controller's name (for letters).")
@click.option("--email", default="privacy@example.com", help="The controller's e-mail.")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl")
@json_option
def init(home_dir: str | None, name: str, email: str, language: str) -> None:
    """Write dsr.toml and create the database in the dsr home (--home, DSR_HOME)."""
    from jinja2 import Environment, PackageLoader

    from .. import audit
    from ..config import CONFIG_NAME, default_home

    app = get_app()
    if home_dir is not None:
        app.home_option = home_dir
    home = Path(app.home_option).expanduser() if app.home_option else default_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    named = app.config_path or os.environ.get("DSR_CONFIG")  # where every other command reads
    config_path = Path(named).expanduser() if named else home / CONFIG_NAME
    created_config = False
    if not config_path.exists():
        env = Environment(loader=PackageLoader("dsr_core", "templates"), autoescape=False)
        text = env.get_template("dsr.toml.j2").render(
            name=name.replace('"', "'"), email=email.replace('"', "'"), language=language
        )
        write_private(config_path, text.rstrip("\n") + "\n")  # appendable: ends its last line
        created_config = True
    app.config_path = str(config_path)
    app.home_option = str(home)
    store = app.store
    version = store.version()
    with app.session() as session:
        if created_config:
            audit.append(session, "dsr.init", actor=app.actor, data={"schema": version})
    app.emit(
        {
            "home": str(home),
            "config": str(config_path),
            "config_created": created_config,
            "database": _describe(app.config.database_url),
            "schema_version": version,
        },
        lambda: "\n".join(
            [
                f"home:      {home}",
                f"config:    {config_path} ({'created' if created_config else 'kept as it was'})",
                f"database:  {_describe(app.config.database_url)} (schema {version})",
                "next:      dsr request new access --name NAME --email ADDRESS",
            ]
        ),
    )


def _describe(url: str) -> str:
    from ..store.db import describe

    return describe(url)
