"""Fixtures for the CRM plugin: the sample CRM on SQLite, PostgreSQL and MariaDB.

The server databases come from ``tests.dbservers`` (skipped locally when a server is missing,
a failure under ``CI=true``); each is created once per session with the sample schema, and its
rows are reset before every test, which keeps the folder fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dsr_core.testing import make_context
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from tests.crm import history, sample
from tests.dbservers import mariadb_database, postgres_database


@pytest.fixture(scope="session")
def sample_postgres() -> Iterator[str]:
    for url in postgres_database():
        sample.build(url)
        yield url


@pytest.fixture(scope="session")
def sample_mariadb() -> Iterator[str]:
    for url in mariadb_database():
        sample.build(url)
        yield url


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def crm_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The config URL of the freshly filled sample CRM (a relative path on SQLite)."""
    if request.param == "sqlite":
        sample.build(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
        return "sqlite:///crm.sqlite3"
    url: str = request.getfixturevalue(f"sample_{request.param}")
    sample.build(url, schema=False)
    return url


@pytest.fixture
def real_url(crm_url: str, tmp_path: Path) -> str:
    """``crm_url`` usable outside the system (SQLite made absolute)."""
    if crm_url.startswith("sqlite:///") and not crm_url.startswith("sqlite:////"):
        return f"sqlite:///{tmp_path / crm_url.removeprefix('sqlite:///')}"
    return crm_url


@pytest.fixture
def make(crm_url: str, tmp_path: Path) -> Iterator[Any]:
    """``make(**tables)``: a system on the sample CRM, the mapping changed as ``config()``."""
    made: list[SqlCrmSystem] = []

    def build(**tables: dict[str, Any] | None) -> SqlCrmSystem:
        context = make_context("crm", tmp_path, today=sample.TODAY)
        system = SqlCrmSystem("crm", sample.config(crm_url, **tables), context)
        made.append(system)
        return system

    yield build
    for system in made:
        system.close()


@pytest.fixture
def crm(make: Any) -> SqlCrmSystem:
    """The sample system with the sample mapping."""
    return make()


@pytest.fixture(scope="session")
def empty_postgres() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture(scope="session")
def empty_mariadb() -> Iterator[str]:
    yield from mariadb_database()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]
)
def history_urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(config URL, real URL) of an empty database for the number-history CRM."""
    if request.param == "sqlite":
        return "sqlite:///history.sqlite3", f"sqlite:///{tmp_path / 'history.sqlite3'}"
    url: str = request.getfixturevalue(f"empty_{request.param}")
    return url, url


@pytest.fixture
def make_history(history_urls: tuple[str, str], tmp_path: Path) -> Iterator[Any]:
    """``make_history(history_pk=..., **tables)``: the number-history CRM built afresh and a
    system on it, the mapping changed as ``history.config()``."""
    made: list[SqlCrmSystem] = []

    def build(
        *, history_pk: bool, root: str = "customers", **tables: dict[str, Any] | None
    ) -> SqlCrmSystem:
        history.build(history_urls[1], history_pk=history_pk)
        context = make_context("crm", tmp_path, today=history.TODAY)
        mapping = history.config(history_urls[0], root=root, **tables)
        system = SqlCrmSystem("crm", mapping, context)
        made.append(system)
        return system

    yield build
    for system in made:
        system.close()
