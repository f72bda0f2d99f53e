"""The suppliers plugin: importing it stays cheap (the CLI loads every plugin at start-up)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_plugin_loads_nothing_heavy():
    code = (
        "import sys, dsr_plugins.suppliers as p\n"
        "heavy = [m for m in ('httpx', 'structlog', 'jinja2', 'sqlalchemy') if m in sys.modules]\n"
        "print(','.join(heavy) or 'light')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "light"
