"""The ``dsr`` command line: one click group, commands loaded only when used.

Errors a user can cause print one line (``dsr: error: ...``) and exit non-zero; with ``--json``
the same message is also printed as ``{"error": ...}`` on stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

import click

from . import exits
from .app import App

#: command name -> "module:attribute"; imported only when the command runs or help lists it.
COMMANDS = {
    "init": "dsr_core.cli.init_cmd:init",
    "request": "dsr_core.cli.request_cmd:request",
    "due": "dsr_core.cli.due_cmd:due",
    "audit": "dsr_core.cli.audit_cmd:audit",
    "tasks": "dsr_core.cli.tasks_cmd:tasks",
    "export": "dsr_core.cli.export_cmd:export",
    "systems": "dsr_core.cli.systems_cmd:systems",
    "plugins": "dsr_core.cli.plugins_cmd:plugins",
    "plugin": "dsr_core.cli.plugins_cmd:plugin",
    "worker": "dsr_core.cli.worker_cmd:worker",
    "suppliers": "dsr_core.cli.suppliers_cmd:suppliers",
    "notices": "dsr_core.cli.notices_cmd:notices",
    "purge": "dsr_core.cli.purge_cmd:purge",
}

HELP = {
    "init": "Write dsr.toml and the database in the dsr home.",
    "request": "Record, follow and carry out data-subject requests.",
    "due": "The deadline board: open requests by days left.",
    "audit": "Show and verify the hash-chained audit trail.",
    "tasks": "Tasks per system; confirm manual ones.",
    "export": "Write a request's export bundle.",
    "systems": "Configured systems and their health.",
    "plugins": "Installed plugins and the system types they add.",
    "plugin": "Scaffold a new plugin package.",
    "worker": "Claim and run queued tasks (shared database).",
    "suppliers": "The recipients register: suppliers and what was disclosed to them.",
    "notices": "Art. 19 notices to suppliers: list, send, ack, waive, resend, remind.",
    "purge": "Remove dsr's own copies of personal data past their period (cron).",
}


def _apply_options(app: App, params: dict[str, Any]) -> None:
    """The group's options onto the App (also before the group's callback runs: click
    resolves the subcommand, which may be a plugin's, first)."""
    app.config_path = params.get("config_path") or app.config_path
    app.home_option = params.get("home") or app.home_option
    app._actor = params.get("actor") or app._actor
    app.plugins_dir = params.get("plugins_dir") or app.plugins_dir
    app.verbose = bool(params.get("verbose")) or app.verbose
    app.json = app.json or bool(params.get("json_"))


class LazyGroup(click.Group):
    def _plugin_commands(self, ctx: click.Context) -> None:
        app = ctx.ensure_object(App)
        if app.commands_added:
            return
        app.commands_added = True
        _apply_options(app, ctx.params)
        app.plugins.add_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._plugin_commands(ctx)
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            self._plugin_commands(ctx)
            return self.commands.get(cmd_name)
        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._plugin_commands(ctx)
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands and name not in COMMANDS:
                rows.append((name, self.commands[name].get_short_help_str(60)))
            else:
                rows.append((name, HELP.get(name, "")))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        run_cli(self, args, prog_name=prog_name or "dsr", **extra)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=exits.epilog() + "\n\nSee docs/exit-codes.md.",
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Config file (else DSR_CONFIG, ./dsr.toml, $DSR_HOME/dsr.toml).",
)
@click.option(
    "--home",
    metavar="DIR",
    help="The dsr home (else DSR_HOME, else the folder of "
    "the config, else the platform's data folder).",
)
@click.option(
    "--actor", metavar="NAME", help="Who acts, for the audit trail (else DSR_ACTOR or the OS user)."
)
@click.option("--plugins-dir", metavar="DIR", help="Also load single-file plugins from DIR.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to the terminal.")
@click.option("--json", "json_", is_flag=True, help="Print one JSON document instead of text.")
@click.version_option(package_name="dsr", prog_name="dsr")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    home: str | None,
    actor: str | None,
    plugins_dir: str | None,
    verbose: bool,
    json_: bool,
) -> None:
    """dsr: GDPR data-subject requests across every system, on time, with proof."""
    _apply_options(ctx.ensure_object(App), ctx.params)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    cli.main(args=argv, prog_name="dsr")


def run_cli(group: click.Group, args: list[str] | None, **extra: Any) -> None:
    """Run ``group`` with dsr's error handling: one line, non-zero exit, never a traceback."""
    from ..clock import UnknownRegion
    from ..errors import UserError

    os.umask(0o077)  # everything dsr writes holds personal data: owner-only
    argv = sys.argv[1:] if args is None else list(args)
    wants_json = "--json" in argv
    app = extra.setdefault("obj", App())
    extra.setdefault("prog_name", "dsr")
    try:
        click.Group.main(group, args=argv, standalone_mode=False, **extra)
        if isinstance(app, App):
            app.save_holidays()
    except UserError as exc:
        _fail(str(exc), exc.exit_code, wants_json)
    except UnknownRegion as exc:
        _fail(f"controller.country/subdivision in the config: {exc}", 2, wants_json)
    except click.exceptions.Abort:
        _fail("aborted", exits.ABORTED, wants_json)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code, wants_json)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", exits.INTERRUPTED, wants_json)
    except Exception as exc:  # a bug: one line for the user, the traceback in the log file
        if os.environ.get("DSR_DEBUG"):
            raise
        from ..logging import get_logger

        get_logger("dsr.cli").error("unexpected error", exc_info=True)
        _fail(
            f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())} (the traceback is "
            "in the log file; DSR_DEBUG=1 shows it here)",
            exits.SOFTWARE,
            wants_json,
        )
    sys.exit(app.exit_code if isinstance(app, App) else 0)


def _fail(message: str, code: int, wants_json: bool) -> None:
    line = " ".join(message.split())
    if wants_json:
        click.echo(json.dumps({"error": line}))
    click.echo(f"dsr: error: {line}", err=True)
    sys.exit(code)
