"""Fresh, throw-away databases on the real servers, for tests that are about them.

PostgreSQL (127.0.0.1:5432, trust auth) and MariaDB (127.0.0.1:3306, root, empty password) run
on the developers' machines and in CI. Each fixture creates a database of its own and drops it
afterwards. When a server cannot be reached the test is skipped with the reason, except in CI
(``CI=true``), where a missing server is a failure: CI must exercise these paths.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.needs import unavailable

PG_HOST = os.environ.get("DSR_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("DSR_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("DSR_TEST_PG_USER", "postgres")
MY_HOST = os.environ.get("DSR_TEST_MARIADB_HOST", "127.0.0.1")
MY_PORT = int(os.environ.get("DSR_TEST_MARIADB_PORT", "3306"))
MY_USER = os.environ.get("DSR_TEST_MARIADB_USER", "root")


def _unavailable(what: str, exc: BaseException) -> None:
    unavailable(f"{what} not reachable ({type(exc).__name__}: {str(exc).splitlines()[0]})")


def _name() -> str:
    return f"dsr_test_{uuid.uuid4().hex[:12]}"


def postgres_database() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a new, empty PostgreSQL database; drop it afterwards."""
    try:
        import psycopg

        admin = psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            user=PG_USER,
            dbname="test",
            autocommit=True,
            connect_timeout=5,
        )
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not here"
        _unavailable("PostgreSQL", exc)
        raise
    name = _name()
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mariadb_database() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a new, empty MariaDB database; drop it afterwards."""
    try:
        import pymysql

        admin = pymysql.connect(
            host=MY_HOST,
            port=MY_PORT,
            user=MY_USER,
            password="",
            autocommit=True,
            connect_timeout=5,
        )
    except Exception as exc:  # noqa: BLE001
        _unavailable("MariaDB", exc)
        raise
    name = _name()
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield f"mysql+pymysql://{MY_USER}@{MY_HOST}:{MY_PORT}/{name}?charset=utf8mb4"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    yield from mariadb_database()
