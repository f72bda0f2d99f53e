"""dsr: orchestrates GDPR data-subject requests across a controller's systems."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

    #: Decorate a plugin's hook implementations with this: ``@dsr_core.hookimpl``.
    hookimpl: pluggy.HookimplMarker

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]


@cache
def _hookimpl() -> Any:
    import pluggy  # only for who registers hooks: the light commands load no plugin

    return pluggy.HookimplMarker("dsr")


def __getattr__(name: str) -> Any:
    if name == "hookimpl":
        return _hookimpl()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
