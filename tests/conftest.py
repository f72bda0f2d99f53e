"""Fixtures shared by the whole suite.

``dsr`` runs the command line in-process (click's CliRunner) against a fresh dsr home. The
store is SQLite in that home, or a fresh database on
the real PostgreSQL server: every such test runs both ways.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.dbservers import mariadb_url, postgres_database, postgres_url

__all__ = ["mariadb_url", "postgres_url"]

PLUGINS_DIR = Path(__file__).parent / "engine" / "plugins"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


class Dsr:
    """Runs ``dsr ARGS`` in-process with a home of its own."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env

    def __call__(self, *args: str, ok: bool = True, input: str | None = None) -> Result:
        from dsr_core.cli import cli

        runner = CliRunner()
        result = runner.invoke(cli, list(args), env=self.env, input=input, catch_exceptions=False)
        out = Result(result.exit_code, result.stdout, result.stderr)
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"dsr {' '.join(args)} exited {result.exit_code}: {result.stderr or result.stdout}"
            )
        return out

    def json(self, *args: str) -> Any:
        """The command's JSON document. Exits 4 and 5 (a system failed; staff must review,
        docs/exit-codes.md) still print it: tests asserting those codes use ``self(...)``."""
        result = self(*args, "--json", ok=False)
        if result.exit_code not in (0, 4, 5):
            raise AssertionError(
                f"dsr {' '.join(args)} exited {result.exit_code}: {result.stderr or result.stdout}"
            )
        return result.json

    def fails(self, *args: str) -> Result:
        result = self(*args, ok=False)
        assert result.exit_code != 0, f"dsr {' '.join(args)} should have failed"
        return result

    def write_config(self, text: str) -> Path:
        path = self.home / "dsr.toml"
        path.write_text(text, encoding="utf-8")
        return path


def _backends() -> list[str]:
    only = os.environ.get("DSR_TEST_DATABASE")
    return [only] if only else ["sqlite", "postgresql"]


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Every test using the ``dsr`` fixture runs on SQLite (None: the file in the home) and
    on a fresh database on the real PostgreSQL (skipped where no server runs, failed under
    CI=true). ``DSR_TEST_DATABASE=sqlite`` or ``postgresql`` picks one."""
    if request.param == "postgresql":
        yield from postgres_database()
    else:
        yield None


@pytest.fixture
def dsr(tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch) -> Dsr:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "DSR_HOME": str(home),
        "DSR_ACTOR": "tester",
        "DSR_RETRY_WAIT": "0.01",
        "DSR_CONFIG": "",
        "DSR_DISABLE_PLUGINS": "",
    }
    if database_url:
        env["DSR_DATABASE_URL"] = database_url
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DSR_CONFIG", raising=False)
    monkeypatch.delenv("DSR_TODAY", raising=False)
    monkeypatch.chdir(tmp_path)
    return Dsr(home, env)
