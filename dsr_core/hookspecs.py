"""Every hook a dsr plugin can implement.

A plugin is a module (or object) with functions decorated by ``dsr_core.hookimpl`` and named as
below. It is found through the ``dsr`` entry-point group, or as a single ``.py`` file in a local
plugins directory. docs/plugins.md documents each hook with its signature and an example; a test
fails when a hook here is missing there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from .model import RequestInfo, TaskInfo
    from .systems import RegisterSystem

hookspec = pluggy.HookspecMarker("dsr")


@hookspec
def dsr_register_systems(register: RegisterSystem) -> None:
    """Register system types: call ``register(type_name, SystemSubclass)`` once per type.

    ``type_name`` is what a ``[systems.NAME] type = "..."`` table names. Registering a name
    another plugin already registered is an error reported for the later plugin.
    """


@hookspec
def dsr_register_commands(cli: click.Group) -> None:
    """Add commands or command groups to the ``dsr`` command line: ``cli.add_command(...)``."""


@hookspec
def dsr_request_created(request: RequestInfo) -> None:
    """Observe: a request was recorded (after its transaction committed)."""


@hookspec
def dsr_task_finished(request: RequestInfo, task: TaskInfo) -> None:
    """Observe: one system's task ended (done, failed, skipped or waiting for staff).

    Called in the process that ran the task, after its state was committed. An exception
    raised here is logged and does not change the task.
    """


@hookspec
def dsr_request_completed(request: RequestInfo) -> None:
    """Observe: a request reached ``completed`` (after its transaction committed)."""


@hookspec
def dsr_request_blockers(request: RequestInfo) -> list[str]:
    """Reasons the request cannot complete yet, one line each (e.g. a notice a supplier has
    not confirmed). Return an empty list when the plugin has none. While any plugin returns a
    reason, a request whose tasks are all done waits in ``awaiting_confirmations``.
    """
    return []
