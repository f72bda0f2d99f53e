"""Built-in plugin: ``dsr demo``, a sample controller taken through access and erasure.

It adds the command through ``dsr_register_commands`` like any plugin would. The sample data
(see :mod:`.sample`) is read and changed by the real built-in system types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsr_core import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def dsr_register_commands(cli: click.Group) -> None:
    from .command import demo

    cli.add_command(demo)
