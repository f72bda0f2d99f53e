"""The CRM plugin registers ``sql-crm`` and stays cheap to import."""

from __future__ import annotations

import subprocess
import sys

from dsr_core.model import RequestKind
from dsr_core.systems import System
from dsr_plugins import crm


def test_hook_registers_sql_crm() -> None:
    registered: dict[str, type[System]] = {}
    crm.dsr_register_systems(register=registered.__setitem__)
    assert "sql-crm" in registered
    system_type = registered["sql-crm"]
    assert system_type.kinds == frozenset(k for k in RequestKind if k.is_gdpr)
    assert system_type.description
    assert {"url", "tables"} <= system_type.required_keys <= set(system_type.config_keys)


def test_package_import_does_not_load_sqlalchemy() -> None:
    code = "import sys, dsr_plugins.crm; print('sqlalchemy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
