"""The built-in PBX plugin: call-detail records from Asterisk, FreePBX and FreeSWITCH.

System types:

* ``asterisk-csv`` — cdr_csv files (Master.csv and the per-account files);
* ``asterisk-sql`` — the ``cdr`` (and FreePBX ``cel``) table through any SQLAlchemy URL;
* ``freeswitch-csv`` — mod_cdr_csv files, default or configured template.

Importing this package is cheap: SQLAlchemy and phonenumbers load only when a system is
constructed or used. See README.md beside this file for the configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsr_core import hookimpl

if TYPE_CHECKING:
    from dsr_core.systems import RegisterSystem

_TYPES = {
    "AsteriskCsvSystem": ".asterisk_csv",
    "AsteriskSqlSystem": ".asterisk_sql",
    "FreeswitchCsvSystem": ".freeswitch_csv",
}


def __getattr__(name: str) -> Any:
    """The system classes, imported on first use (the CLI imports this package at start-up)."""
    if name in _TYPES:
        import importlib

        return getattr(importlib.import_module(_TYPES[name], __name__), name)
    raise AttributeError(name)


@hookimpl
def dsr_register_systems(register: RegisterSystem) -> None:
    from .asterisk_csv import AsteriskCsvSystem
    from .asterisk_sql import AsteriskSqlSystem
    from .freeswitch_csv import FreeswitchCsvSystem

    register("asterisk-csv", AsteriskCsvSystem)
    register("asterisk-sql", AsteriskSqlSystem)
    register("freeswitch-csv", FreeswitchCsvSystem)


__all__ = ["AsteriskCsvSystem", "AsteriskSqlSystem", "FreeswitchCsvSystem"]
