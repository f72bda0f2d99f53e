"""``dsr demo [--dir DIR]``: build the sample controller, then run it as staff would."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import click

from dsr_core.cli.app import App, get_app, json_option
from dsr_core.errors import UserError

from .sample import MARKER, build

ACCESS_SUBJECT = ("Jan Peeters", "jan.peeters@example.be")
ERASURE_SUBJECT = ("An Claes", "an.claes@example.be")
TERMINATION_SUBJECT = ("Els Janssens", "crm:1004")


class Demo:
    """Runs dsr commands in-process against the demo's home and shows them as typed."""

    def __init__(self, home: Path, quiet: bool, actor: str) -> None:
        self.home = home
        self.quiet = quiet
        self.actor = actor
        self.log: list[dict[str, Any]] = []

    def say(self, text: str) -> None:
        if not self.quiet:
            click.echo(text)

    def dsr(self, *args: str) -> Any:
        """``dsr ARGS`` in-process, shown as typed (unless quiet); returns its data."""
        from dsr_core.cli import cli

        app = App()
        argv = ["--home", str(self.home), "--actor", self.actor, *args]
        if self.quiet:
            with contextlib.redirect_stdout(io.StringIO()):
                click.Group.main(cli, args=argv, standalone_mode=False, obj=app)
        else:
            click.echo(click.style(f"\n$ dsr {shlex.join(args)}", bold=True))
            click.Group.main(cli, args=argv, standalone_mode=False, obj=app)
        self.log.append({"command": ["dsr", *args], "result": app.last_data})
        return app.last_data


def _prepare(folder: Path) -> None:
    if folder.exists():
        if (folder / MARKER).exists():
            shutil.rmtree(folder)  # a previous demo: start afresh
        elif any(folder.iterdir()):
            raise UserError(f"{folder} is not empty and was not made by dsr demo: choose --dir")


@click.command()
@click.option(
    "--dir",
    "directory",
    default="dsr-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where to build the sample controller.",
)
@json_option
def demo(directory: str) -> None:
    """Build a sample controller (CRM, PBX, dossier, suppliers) and run an access and an
    erasure request end to end, then a contract's end, printing each step and the bundle
    paths."""
    app = get_app()
    folder = Path(directory).resolve()
    _prepare(folder)
    # the demo never touches a real database: its store is the SQLite file in its folder
    os.environ.pop("DSR_DATABASE_URL", None)
    made = build(folder, date.today())
    run = Demo(folder, quiet=app.json, actor="demo-staff")
    run.say(
        f"Built a sample controller in {folder}: {made['customers']} customers in the CRM, "
        f"{made['calls']} calls in pbx/Master.csv, technical dossiers, config dsr.toml."
    )
    run.dsr("init")
    (folder / "exports").mkdir(mode=0o700, exist_ok=True)  # export -o needs its folder
    run.dsr("systems", "check")
    _suppliers(run)

    name, email = ACCESS_SUBJECT
    run.say(f"\n== Access request (Art. 15) from {name}")
    access = str(
        run.dsr("request", "new", "access", "--name", name, "--email", email, "--channel", "email")[
            "id"
        ]
    )
    run.dsr(
        "request",
        "verify",
        access,
        "--method",
        "e-mail from the address in the CRM, answered the security question",
    )
    run.dsr("request", "run", access)
    access_bundle = run.dsr(
        "export", access, "-o", str(folder / "exports" / f"request-{access}-access.zip")
    )["path"]

    name, email = ERASURE_SUBJECT
    run.say(f"\n== Erasure request (Art. 17) from {name}")
    erasure = str(
        run.dsr(
            "request", "new", "erasure", "--name", name, "--email", email, "--channel", "letter"
        )["id"]
    )
    run.dsr("request", "verify", erasure, "--method", "signed letter with a copy of the eID")
    run.dsr("request", "run", erasure, "--dry-run")
    run.dsr("request", "run", erasure)
    erasure_bundle = run.dsr(
        "export", erasure, "-o", str(folder / "exports" / f"request-{erasure}-erasure.zip")
    )["path"]
    _notices(run, erasure)

    name, customer = TERMINATION_SUBJECT
    run.say(f"\n== {name} ends her contract: her technical dossier goes at once")
    termination = run.dsr(
        "request",
        "new",
        "termination",
        "--name",
        name,
        "--customer-id",
        customer,
        "--channel",
        "letter",
        "--verified",
        f"written notice of {date.today().isoformat()}",
    )["id"]
    run.dsr("due")
    summary = {
        "folder": str(folder),
        "config": str(folder / "dsr.toml"),
        "access_request": int(access),
        "access_bundle": access_bundle,
        "erasure_request": int(erasure),
        "erasure_bundle": erasure_bundle,
        "termination_request": int(termination),
        "outbox": str(folder / "outbox"),
        "steps": run.log,
    }
    if app.json:
        click.echo(json.dumps(summary, indent=2, default=str))
        return
    click.echo("\n== Done")
    click.echo(f"access bundle:   {access_bundle}")
    click.echo(f"erasure bundle:  {erasure_bundle}")
    click.echo(f"supplier notices: {folder / 'outbox'}")
    click.echo(f"try:             dsr --home {shlex.quote(str(folder))} request show {erasure}")


def _suppliers(run: Demo) -> None:
    """Register the two suppliers and what was disclosed to them (when the register exists)."""
    from dsr_core.cli import COMMANDS

    if "suppliers" not in COMMANDS:
        return
    run.say("\n== The recipients register")
    run.dsr(
        "suppliers",
        "add",
        "BelTel Wholesale",
        "--role",
        "carrier",
        "--language",
        "nl",
        "--email",
        "privacy@beltel.example",
        "--country",
        "BE",
    )
    run.dsr(
        "suppliers",
        "add",
        "Snel Transport",
        "--role",
        "transport",
        "--language",
        "fr",
        "--email",
        "dpo@snel-transport.example",
        "--country",
        "BE",
    )
    # the mobile operator the CRM names for some customers (number porting): a recipient
    # their access reports list (Art. 15(1)(c))
    run.dsr(
        "suppliers",
        "add",
        "Numa Mobile",
        "--role",
        "carrier",
        "--language",
        "nl",
        "--email",
        "privacy@numa.example",
        "--country",
        "BE",
    )
    name, email = ERASURE_SUBJECT
    run.dsr(
        "suppliers",
        "disclose",
        "BelTel Wholesale",
        "--email",
        email,
        "--phone",
        "0486 11 22 33",
        "--category",
        "contact",
        "--category",
        "contract",
        "--note",
        "number porting order 2024-117",
    )
    run.dsr(
        "suppliers",
        "disclose",
        "Snel Transport",
        "--email",
        email,
        "--category",
        "contact",
        "--note",
        "delivery of a router",
    )


def _notices(run: Demo, request_id: str) -> None:
    from dsr_core.cli import COMMANDS

    if "notices" not in COMMANDS:
        return
    run.dsr("notices", "list", "--request", request_id)
