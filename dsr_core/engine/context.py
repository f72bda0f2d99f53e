"""What a run needs from the installation: store, config, plugins, actor, today."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from ..config import Config, ConfigFileError, SystemConfig
from ..errors import UserError
from ..plugins import PluginHost
from ..store import Store
from ..store.keys import installation_key
from ..systems import System, SystemContext


@dataclass
class EngineContext:
    store: Store
    config: Config
    plugins: PluginHost
    actor: str
    today: Callable[[], date] = date.today
    lease_seconds: float = 60.0
    retry_wait_initial: float = 0.5
    _key: bytes | None = field(default=None, repr=False)
    _key_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def key(self) -> bytes:
        """The installation key, read once for all the run's threads."""
        with self._key_lock:
            if self._key is None:
                self._key = installation_key(self.store)
            return self._key

    def system_config(self, name: str) -> SystemConfig:
        conf = self.config.systems.get(name)
        if conf is None:
            known = ", ".join(sorted(self.config.systems)) or "none configured"
            raise UserError(f"no system named {name!r} in the config ({known})")
        return conf

    def system_context(self, name: str) -> SystemContext:
        controller = self.config.controller
        return SystemContext(
            system_name=name,
            base_dir=self.config.base_dir,
            state_dir=self.config.home / "state" / name,
            timezone=controller.tz,
            country=controller.country,
            secret_key=self.key,
            today=self.today,
        )

    def build(self, name: str) -> System:
        """The configured system ``name``; a config problem is a one-line UserError."""
        conf = self.system_config(name)
        return self.plugins.build_system(conf, self.system_context(name))

    def check_systems(self, names: Sequence[str] = ()) -> None:
        """Build each named system (every enabled one by default) as its step would: a config
        problem (unknown type, unknown or missing key, a bad value) is refused in one line
        before anything runs, rather than found by one task half-way through a run."""
        wanted = list(names) or [n for n, c in self.config.systems.items() if c.enabled]
        problems = []
        for name in wanted:
            try:
                self.build(name)
            except UserError as exc:
                problems.append(str(exc))
        if problems:
            where = self.config.path or "the config"
            raise ConfigFileError(
                f"{where}: {'; '.join(problems)} (nothing was run: fix the config, or set "
                "enabled = false on a system to run without it)"
            )

    def system_type(self, name: str) -> type[System]:
        conf = self.system_config(name)
        return self.plugins.system_class(conf.type, name)
