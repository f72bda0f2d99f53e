"""The installation as seen from inside a plugin hook.

Hooks receive a :class:`~dsr_core.model.RequestInfo` only. When the hook runs under the
``dsr`` command line (every command, ``dsr worker`` included), the command's own config, store
and plugins are used; elsewhere (a script embedding dsr) they are opened from the environment
as ``dsr`` would, once per database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cli.app import App
    from ..engine.context import EngineContext
    from ..store import Store

_stores: dict[str, Store] = {}


def _app() -> App | None:
    import click

    from ..cli.app import App

    ctx = click.get_current_context(silent=True)
    return ctx.find_object(App) if ctx is not None else None


def current_store() -> Store:
    """The store of the running command (or of the environment's config)."""
    app = _app()
    if app is not None:
        return app.store
    from ..config import load_config
    from ..store import open_store

    url = load_config().database_url
    if url not in _stores:
        # no upgrade: the caller has the database open (and may hold its write lock)
        _stores[url] = open_store(url, upgrade=False)
    return _stores[url]


def current_engine() -> EngineContext:
    """An engine context for the running command (or for the environment's config)."""
    app = _app()
    if app is not None:
        from ..cli.app import engine_context

        return engine_context(app)  # type: ignore[no-any-return]
    from ..audit import default_actor
    from ..config import load_config
    from ..engine.context import EngineContext
    from ..plugins import PluginHost

    config = load_config()
    return EngineContext(
        store=current_store(),
        config=config,
        plugins=PluginHost.load(config=config),
        actor=default_actor(),
    )
