"""The core's own plugin: the ``manual`` system type, registered like anyone's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from . import hookimpl
from .fields import Field, labels
from .model import Identity, RequestKind, Subject
from .systems import ManualStep, RegisterSystem, System


class ManualSystem(System):
    """A system staff handle by hand (a paper archive, a SaaS without an API).

    Every request kind becomes a manual task carrying the ``instructions`` from its config.
    """

    description = "a system handled by staff, following the configured instructions"
    kinds = frozenset()
    config_keys = {}
    #: It yields no records (staff answer by hand); give each system a ``title`` in its config
    #: ("Papieren archief"): the type's own name for it is a last resort.
    titles: ClassVar[Mapping[str, str]] = labels(
        "Handmatig beheerde gegevens", "Records handled by hand", "Données gérées manuellement"
    )
    categories: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    fields: ClassVar[Mapping[str, Field]] = {}

    def locate(self, subject: Subject) -> Sequence[Identity]:
        raise ManualStep("search this system by hand")


@hookimpl
def dsr_register_systems(register: RegisterSystem) -> None:
    register("manual", ManualSystem)


__all__ = ["ManualSystem", "RequestKind"]
