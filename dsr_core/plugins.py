"""The plugin manager, behind one typed facade: core code never calls ``pm.hook`` itself.

Discovery, in order: the ``dsr`` entry-point group (the built-in plugins are registered there
like anyone's), then single-file plugins in a local plugins directory (``[plugins] dir`` in the
config or ``--plugins-dir``). ``DSR_DISABLE_PLUGINS=a,b`` (or ``[plugins] disable``) blocks
plugins by name. A plugin that fails to import, to validate or to register is recorded with its
error and the others carry on; ``dsr plugins list`` shows it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .errors import UserError
from .model import RequestInfo, TaskInfo
from .systems import ConfigError, System, SystemContext

if TYPE_CHECKING:
    import click

    from .config import Config, SystemConfig

GROUP = "dsr"


@dataclass
class PluginInfo:
    name: str
    origin: str  # "entry point <value>" or the file path
    version: str = ""
    system_types: list[str] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)
    error: str | None = None
    disabled: bool = False


@dataclass(frozen=True)
class SystemType:
    name: str
    cls: type[System]
    plugin: str


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class PluginHost:
    """The loaded plugins and what they registered."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self._system_types: dict[str, SystemType] | None = None

    # -- loading ----------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        *,
        config: Config | None = None,
        plugins_dir: Path | None = None,
        disabled: Iterable[str] = (),
        include_entry_points: bool = True,
    ) -> PluginHost:
        host = cls()
        blocked = set(disabled)
        blocked |= {p.strip() for p in os.environ.get("DSR_DISABLE_PLUGINS", "").split(",")}
        if config is not None:
            blocked |= set(config.disabled_plugins)
        blocked.discard("")
        if include_entry_points:
            for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
                if ep.name in host.plugins:
                    continue
                info = PluginInfo(ep.name, f"entry point {ep.value}")
                info.version = ep.dist.version if ep.dist is not None else ""
                host.plugins[ep.name] = info
                if ep.name in blocked:
                    info.disabled = True
                    continue
                host._add(info, ep.load)
        directories = [config.plugins_dir] if config is not None and config.plugins_dir else []
        if plugins_dir is not None and plugins_dir not in directories:
            directories.append(plugins_dir)
        for directory in directories:
            host.load_directory(directory, blocked)
        return host

    @property
    def system_types(self) -> dict[str, SystemType]:
        """Registered system types, collected on first use (plugins import their system
        modules then, which ``dsr --help`` never needs)."""
        if self._system_types is None:
            self._system_types = {}
            self._collect_system_types()
        return self._system_types

    def load_directory(self, directory: Path, blocked: set[str] | None = None) -> None:
        if not directory.is_dir():
            info = PluginInfo(directory.name, str(directory))
            info.error = f"plugins directory {directory} does not exist"
            self.plugins[f"dir:{directory}"] = info
            return
        for path in sorted(directory.glob("*.py")):
            name = path.stem
            if name.startswith("_"):
                continue
            info = PluginInfo(name, str(path), version="local")
            if name in self.plugins:
                info.error = f"a plugin named {name!r} is loaded already"
                self.plugins[f"{name}@{path}"] = info
                continue
            self.plugins[name] = info
            if blocked and name in blocked:
                info.disabled = True
                continue
            self._add(info, lambda p=path, n=name: _load_file(p, n))

    def register_object(self, name: str, plugin: object) -> PluginInfo:
        """Register an already imported plugin (tests, embedding)."""
        info = PluginInfo(name, "object", version="")
        self.plugins[name] = info
        self._add(info, lambda: plugin)
        self._system_types = None
        return info

    def _add(self, info: PluginInfo, loader: Callable[[], Any]) -> None:
        try:
            plugin = loader()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            info.error = f"cannot import: {_one_line(exc)}"
            return
        try:
            self.pm.register(plugin, name=info.name)
        except Exception as exc:  # noqa: BLE001 - pluggy's validation error, or a clash
            info.error = f"invalid: {_one_line(exc)}"
            return
        callers = self.pm.get_hookcallers(plugin) or []
        unknown = sorted(h.name for h in callers if not h.has_spec())
        if unknown:
            self.pm.unregister(plugin)
            info.error = f"invalid: unknown hook {unknown[0]} (see docs/plugins.md)"
            return
        info.hooks = sorted(hook.name for hook in callers)

    def _collect_system_types(self) -> None:
        assert self._system_types is not None
        for info in self.plugins.values():
            info.system_types.clear()
        for impl in self.pm.hook.dsr_register_systems.get_hookimpls():
            info = self.plugins.get(impl.plugin_name)
            if info is None or info.error:
                continue
            registered: list[tuple[str, type[System]]] = []

            def register(name: str, cls: type[System], _acc: list[Any] = registered) -> None:
                _acc.append((name, cls))

            try:
                impl.function(register=register)
            except Exception as exc:  # noqa: BLE001
                info.error = f"dsr_register_systems failed: {_one_line(exc)}"
                continue
            for name, cls in registered:
                if not (isinstance(cls, type) and issubclass(cls, System)):
                    info.error = f"system type {name!r} is not a dsr_core.systems.System"
                    continue
                if name in self._system_types:
                    other = self._system_types[name].plugin
                    info.error = f"system type {name!r} is registered by {other!r} already"
                    continue
                self._system_types[name] = SystemType(name, cls, info.name)
                info.system_types.append(name)

    # -- systems ----------------------------------------------------------------------------
    def system_class(self, type_name: str, system_name: str) -> type[System]:
        found = self.system_types.get(type_name)
        if found is None:
            known = ", ".join(sorted(self.system_types)) or "none"
            raise UserError(
                f"systems.{system_name}: unknown type {type_name!r} (registered: {known})"
            )
        return found.cls

    def build_system(self, conf: SystemConfig, context: SystemContext) -> System:
        cls = self.system_class(conf.type, conf.name)
        try:
            return cls(conf.name, conf.resolved_options(), context)
        except ConfigError as exc:
            raise UserError(str(exc)) from None

    # -- commands ---------------------------------------------------------------------------
    def add_commands(self, cli: click.Group) -> None:
        for impl in self.pm.hook.dsr_register_commands.get_hookimpls():
            try:
                impl.function(cli=cli)
            except Exception as exc:  # noqa: BLE001
                info = self.plugins.get(impl.plugin_name)
                if info is not None:
                    info.error = f"dsr_register_commands failed: {_one_line(exc)}"

    # -- events -----------------------------------------------------------------------------
    def _each(self, hook: str, **kwargs: Any) -> list[Any]:
        results = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            try:
                results.append(impl.function(**kwargs))
            except Exception as exc:  # noqa: BLE001 - an observer never breaks the request
                from .logging import get_logger

                get_logger("dsr.plugins").warning(
                    "hook failed", hook=hook, plugin=impl.plugin_name, error=_one_line(exc)
                )
        return results

    def request_created(self, request: RequestInfo) -> None:
        self._each("dsr_request_created", request=request)

    def task_finished(self, request: RequestInfo, task: TaskInfo) -> None:
        self._each("dsr_task_finished", request=request, task=task)

    def request_completed(self, request: RequestInfo) -> None:
        self._each("dsr_request_completed", request=request)

    def request_blockers(self, request: RequestInfo) -> list[str]:
        """Every plugin's reasons; a plugin whose hook fails blocks too (better a request
        held open than one closed while a supplier was never told)."""
        reasons: list[str] = []
        for impl in self.pm.hook.dsr_request_blockers.get_hookimpls():
            try:
                result = impl.function(request=request)
            except Exception as exc:  # noqa: BLE001
                reasons.append(
                    f"plugin {impl.plugin_name} could not say what the request "
                    f"waits for: {_one_line(exc)}"
                )
                continue
            if result:
                reasons.extend(str(r) for r in result)
        return reasons


def _load_file(path: Path, name: str) -> ModuleType:
    module_name = f"dsr_local_plugins.{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module
