"""Built-in techdossier plugin: the customers' technical dossiers (notes, assets, credentials).

Two system types: ``techdossier-folder`` (a folder per customer on disk) and ``hudu`` (Hudu's
REST API). Both handle access, portability and erasure; rectification and restriction are
manual steps. README.md in this folder documents the config keys and the folder layout.

The system modules are imported inside the hook (or on first attribute access), not at package
import, so that loading the plugin at CLI start-up stays cheap; httpx and tenacity load only
when a Hudu system first talks to Hudu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsr_core import hookimpl

if TYPE_CHECKING:
    from dsr_core.systems import RegisterSystem

    from .folder import FolderDossierSystem
    from .hudu import HuduSystem


@hookimpl
def dsr_register_systems(register: RegisterSystem) -> None:
    """Register the technical dossier system types."""
    from .folder import FolderDossierSystem
    from .hudu import HuduSystem

    register("techdossier-folder", FolderDossierSystem)
    register("hudu", HuduSystem)


def __getattr__(name: str) -> Any:
    if name == "FolderDossierSystem":
        from .folder import FolderDossierSystem

        return FolderDossierSystem
    if name == "HuduSystem":
        from .hudu import HuduSystem

        return HuduSystem
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FolderDossierSystem", "HuduSystem", "dsr_register_systems"]
