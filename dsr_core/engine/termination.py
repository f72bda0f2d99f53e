"""What the end of a customer's contract asks of each system (``on_termination``).

A termination is not a GDPR request: it is the controller keeping its own promise (a privacy
statement saying the technical dossier goes when the contract ends). Only the systems whose
``[systems.NAME]`` table sets ``on_termination`` get a task; every other system is left alone,
and the run says so. The act is the one ``on_termination`` names, run by the same engine as
the request kind it borrows (``"erase"``: the erasure's steps, outcomes and proof).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config, SystemConfig
from ..errors import UserError
from ..model import RequestKind

#: ``on_termination`` value → the request kind whose act the system carries out.
ACTIONS = {"erase": RequestKind.ERASURE}

#: Why a system got no task, for staff (the run's output and the audit trail).
LEFT_ALONE_WHY = "no on_termination in their [systems] table"


def act_kind(kind: RequestKind, conf: SystemConfig) -> RequestKind:
    """The kind whose act ``conf``'s system carries out for a request of ``kind``."""
    if kind is RequestKind.TERMINATION and conf.on_termination:
        return ACTIONS[conf.on_termination]
    return kind


def left_alone(config: Config, kind: RequestKind) -> list[str]:
    """Enabled systems a request of ``kind`` leaves alone (a termination: those without
    ``on_termination``); none for a GDPR request."""
    if kind is not RequestKind.TERMINATION:
        return []
    return [n for n, c in config.systems.items() if c.enabled and not c.on_termination]


def systems_for(
    config: Config, kind: RequestKind, names: Sequence[str], *, named: bool
) -> list[str]:
    """Of ``names``, the systems a request of ``kind`` runs in. A system staff named
    (``named``) that a termination leaves alone is refused in one line, as is a termination
    no system is set up for."""
    if kind is not RequestKind.TERMINATION:
        return list(names)
    touched = [n for n in names if config.systems[n].on_termination]
    if named:
        alone = [n for n in names if n not in touched]
        if alone:
            raise UserError(
                f"systems.{alone[0]} has no on_termination: a contract's end leaves it alone"
            )
    if not touched:
        raise UserError(
            'no system sets on_termination: add on_termination = "erase" to the [systems.NAME] '
            "tables of the systems the contract's end erases"
        )
    return touched
