"""What every command shares: the config, the store, the plugins, the actor and the output.

Everything is opened lazily, so ``dsr --help`` touches none of it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..config import Config
    from ..plugins import PluginHost
    from ..store import Store
    from ..store.lite import LiteStore

F = TypeVar("F", bound=Callable[..., Any])

#: The plugins dsr installs itself (pyproject.toml's ``dsr`` entry points).
BUILTIN_PLUGINS = frozenset(
    {
        ("manual", "dsr_core.builtins"),
        ("crm", "dsr_plugins.crm"),
        ("pbx", "dsr_plugins.pbx"),
        ("techdossier", "dsr_plugins.techdossier"),
        ("suppliers", "dsr_plugins.suppliers"),
        ("demo", "dsr_plugins.demo"),
    }
)


class App:
    def __init__(
        self,
        *,
        config_path: str | None = None,
        home: str | None = None,
        actor: str | None = None,
        plugins_dir: str | None = None,
        verbose: bool = False,
    ) -> None:
        self.config_path = config_path
        self.home_option = home
        self._actor = actor
        self.plugins_dir = plugins_dir
        self.verbose = verbose
        self.json = False
        self.commands_added = False
        self.last_data: Any = None
        #: While a command runs others' steps in-process (``request new --run``): their data.
        self.gathered: list[Any] | None = None
        #: Set by a command whose work ended with something for staff (see .exits).
        self.exit_code = 0
        #: The saved holiday tables' keys, once the full path loaded them (see :attr:`store`).
        self._holidays_loaded: set[str] | None = None

    # -- lazily opened ----------------------------------------------------------------------
    @cached_property
    def config(self) -> Config:
        from ..config import load_config

        return load_config(self.config_path, self.home_option)

    @cached_property
    def store(self) -> Store:
        from ..logging import configure
        from ..store import open_store
        from ..store.keys import log_key

        store = open_store(self.config.database_url)
        configure(
            log_file=self.config.log_file,
            verbose=self.verbose,
            hash_key=log_key(store),
        )
        self._load_holidays()
        return store

    @cached_property
    def plugins(self) -> PluginHost:
        from ..plugins import PluginHost

        extra = Path(self.plugins_dir) if self.plugins_dir else None
        try:
            config = self.config
        except UserError:
            config = None
        return PluginHost.load(config=config, plugins_dir=extra)

    @property
    def actor(self) -> str:
        if self._actor:
            return self._actor
        from ..chain import default_actor

        return default_actor()

    def today(self) -> date:
        override = os.environ.get("DSR_TODAY")
        if override:
            from ..intake import parse_date

            return parse_date(override, "DSR_TODAY")
        from ..intake import controller_today

        return controller_today(self.config.controller)

    def lite(self) -> LiteStore | None:
        """The light read path (:mod:`dsr_core.store.lite`) when it can serve this database,
        else None: the command takes the full path. ``DSR_NO_LIGHT=1`` always takes the full
        path (to compare the two)."""
        if os.environ.get("DSR_NO_LIGHT"):
            return None
        from ..store.lite import open_lite

        return open_lite(self.config.database_url)

    def builtin_plugins_only(self) -> bool:
        """Only dsr's own plugins are installed, whose hooks the light path knows: their
        ``dsr_request_blockers`` and ``dsr_request_created`` act on erasure, rectification and
        restriction alone (Art. 19). Another plugin's hooks need the full path."""
        if self.plugins_dir or self.config.plugins_dir:
            return False
        from importlib.metadata import entry_points

        return all((ep.name, ep.value) in BUILTIN_PLUGINS for ep in entry_points(group="dsr"))

    def _load_holidays(self) -> None:
        """The full path's deadlines use the holiday tables saved in the home too (the
        ``holidays`` library's import and one year's table cost ~0.15 s);
        :meth:`save_holidays` keeps the ones it computed anew."""
        from .. import holiday_cache

        self._holidays_loaded = holiday_cache.load(self.config.home)

    def save_holidays(self) -> None:
        """After a command on the full path: keep the holiday tables it computed."""
        if self._holidays_loaded is None:
            return
        from .. import holiday_cache

        holiday_cache.save(self.config.home, self._holidays_loaded)

    @contextmanager
    def holidays(self) -> Iterator[None]:
        """Deadlines computed inside use the holiday tables saved in the home, and save the
        ones computed anew (:mod:`dsr_core.holiday_cache`)."""
        from .. import holiday_cache

        loaded = holiday_cache.load(self.config.home)
        yield
        holiday_cache.save(self.config.home, loaded)

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.store.session(readonly=readonly) as session:
            yield session

    # -- output -----------------------------------------------------------------------------
    def emit(self, data: Any, text: str | Callable[[], str]) -> None:
        """One JSON document with --json, else readable text. ``last_data`` keeps the data
        for callers that run a command in-process (``dsr demo``)."""
        self.last_data = data
        if self.gathered is not None:  # one command's steps, printed as one document
            self.gathered.append(data)
            if self.json:
                return
        if self.json:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        else:
            click.echo(text() if callable(text) else text)


def get_app() -> App:
    ctx = click.get_current_context()
    app = ctx.find_object(App)
    if app is None:
        app = App()
        ctx.obj = app
    return app


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        app = ctx.find_object(App)
        if app is None:
            app = ctx.ensure_object(App)
        app.json = True


def json_option(func: F) -> F:
    """Adds ``--json`` (machine output on stdout, one JSON document)."""
    return click.option(
        "--json",
        "json_",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_json,
        help="Print one JSON document instead of text.",
    )(func)


def free_text(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Option callback: staff's free text (a note, a reason, a reference) cleaned and bounded
    (``dsr_core.text``) before anything stores it; one line naming the option when too long."""
    if value is None:
        return None
    from ..text import clean_text

    what = _TEXT_WORDS.get(param.name or "", f"--{param.name}")
    if isinstance(value, tuple):
        return tuple(clean_text(v, what, multiline=False) for v in value)
    return clean_text(value, what)


_TEXT_WORDS = {
    "note": "the note",
    "method": "the verification method",
    "reason": "the reason",
    "reference": "the reference",
    "aliases": "an alias",
    "verified": "the verification method",
}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table, columns padded to their widest cell."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
    return "\n".join(lines)


def fail(message: str) -> None:
    raise UserError(message)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def is_tty() -> bool:
    return sys.stdout.isatty()


def engine_context(app: App) -> Any:
    """The engine's view of this installation."""
    from ..engine import EngineContext

    lease = float(os.environ.get("DSR_LEASE_SECONDS", "60"))
    return EngineContext(
        store=app.store,
        config=app.config,
        plugins=app.plugins,
        actor=app.actor,
        today=app.today,
        lease_seconds=lease,
        retry_wait_initial=float(os.environ.get("DSR_RETRY_WAIT", "0.5")),
    )
