"""Building a controller out of ``test-store`` systems for the engine tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PLUGINS = str(Path(__file__).parent / "plugins")


def write_store(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text(json.dumps(rows))


def config(systems: dict[str, dict[str, Any]], controller: str = "") -> str:
    lines = ["[controller]", 'name = "Voxtra"', controller, "[plugins]", f'dir = "{PLUGINS}"']
    for name, table in systems.items():
        lines.append(f"[systems.{name}]")
        for key, value in table.items():
            lines.append(f"{key} = {_toml(value)}")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def log_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def spawn(dsr: Any, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(dsr.env)
    return subprocess.Popen(
        [sys.executable, "-m", "dsr_core", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def new_verified(dsr: Any, kind: str = "access", *extra: str) -> str:
    rid = str(
        dsr.json("request", "new", kind, "--name", "Jan", "--email", "jan@example.be", *extra)["id"]
    )
    dsr("request", "verify", rid, "--method", "eID at the desk")
    return rid
