"""Built-in CRM plugin: the ``sql-crm`` system type (a CRM in any SQL database) and
``odoo`` (Odoo's external API).

The system modules are imported inside the hook, not at package import, so that loading the
plugin at CLI start-up stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsr_core import hookimpl

if TYPE_CHECKING:
    from dsr_core.systems import RegisterSystem


@hookimpl
def dsr_register_systems(register: RegisterSystem) -> None:
    """Register the CRM system types."""
    from .odoo import OdooSystem
    from .sql_crm import SqlCrmSystem

    register("sql-crm", SqlCrmSystem)
    register("odoo", OdooSystem)
