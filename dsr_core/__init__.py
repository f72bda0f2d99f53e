"""dsr: orchestrates GDPR data-subject requests across a controller's systems."""

import pluggy

__version__ = "0.1.0"

#: Decorate a plugin's hook implementations with this: ``@dsr_core.hookimpl``.
hookimpl = pluggy.HookimplMarker("dsr")

__all__ = ["__version__", "hookimpl"]
