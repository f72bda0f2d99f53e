"""The installation the end-to-end tests share, and staff typing ``dsr`` commands against it.

Everything is module-scoped: one CRM database and one dsr database on the real PostgreSQL
server (skipped with the reason where none runs, a failure under ``CI=true``), one folder with
the call log, the dossiers and ``dsr.toml``; the tests then follow one subject through the
request kinds in order, as staff would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Dsr
from tests.dbservers import postgres_database

from . import installation
from .installation import Installation


@dataclass
class Site:
    """The installation and a ``dsr`` runner wired to it."""

    inst: Installation
    dsr: Dsr


@pytest.fixture(scope="module")
def crm_database() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture(scope="module")
def dsr_database() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, crm_database: str, dsr_database: str
) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("voxtra")
    inst = installation.build(folder, crm_database)
    home = folder / "home"
    home.mkdir()
    env = {
        "DSR_HOME": str(home),
        "DSR_CONFIG": str(inst.config),
        "DSR_DATABASE_URL": dsr_database,
        "CRM_DATABASE_URL": crm_database,
        "DSR_ACTOR": "an.claes",
        "DSR_RETRY_WAIT": "0.01",
        "DSR_DISABLE_PLUGINS": "",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("DSR_TODAY", raising=False)  # the real today: 2026-12-02 on this project
        mp.chdir(folder)
        dsr = Dsr(home, env)
        dsr("init")
        yield Site(inst, dsr)
