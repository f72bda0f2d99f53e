"""The plugin registers its system types and stays cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pluggy

from dsr_core import hookspecs
from dsr_core.systems import CORE_KEYS
from dsr_plugins import pbx


def test_registers_the_three_system_types() -> None:
    manager = pluggy.PluginManager("dsr")
    manager.add_hookspecs(hookspecs)
    manager.register(pbx)
    registered: dict[str, type] = {}
    manager.hook.dsr_register_systems(register=registered.__setitem__)
    assert registered == {
        "asterisk-csv": pbx.AsteriskCsvSystem,
        "asterisk-sql": pbx.AsteriskSqlSystem,
        "freeswitch-csv": pbx.FreeswitchCsvSystem,
    }
    for system_type in registered.values():
        assert system_type.description
        assert not set(system_type.config_keys) & CORE_KEYS
        assert system_type.required_keys <= set(system_type.config_keys)
        assert all(system_type.config_keys.values())


def test_import_is_light() -> None:
    code = (
        "import sys, dsr_plugins.pbx; "
        "heavy = [m for m in ('sqlalchemy', 'phonenumbers') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
