"""One sender per notice at a time, and no lock outliving a killed process.

A notice is sent outside any database transaction (an SMTP or HTTP exchange may take a
minute), so two processes could otherwise send the same pending notice at once. The lock is
one the operating system or the database server drops when its holder dies, so a run killed
while sending never keeps the notice from being sent again:

- PostgreSQL: a session-level advisory lock, on its own connection;
- MySQL/MariaDB: ``GET_LOCK`` on its own connection;
- SQLite (one host by nature): ``flock`` on a file beside the database file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from ..store import Store

#: The advisory-lock class of notice sends ("DSRN").
LOCK_CLASS = 0x4453524E & 0x7FFFFFFF


@contextlib.contextmanager
def sending(store: Store, home: Path, notice_pk: int) -> Iterator[bool]:
    """Yields True while this process holds the notice's send lock, False when another does."""
    dialect = store.dialect
    if dialect == "postgresql":
        with _server_lock(
            store,
            "SELECT pg_try_advisory_lock(:c, :n)",
            "SELECT pg_advisory_unlock(:c, :n)",
            {"c": LOCK_CLASS, "n": notice_pk},
        ) as held:
            yield held
    elif dialect in ("mysql", "mariadb"):
        with _server_lock(
            store,
            "SELECT GET_LOCK(:name, 0)",
            "SELECT RELEASE_LOCK(:name)",
            {"name": f"dsr-notice-{notice_pk}"},
        ) as held:
            yield held
    else:
        database = store.engine.url.database
        folder = (
            Path(database).parent / ".dsr-notice-locks"
            if database and database != ":memory:" and not database.startswith("file:")
            else home / "state" / "notice-locks"
        )
        with _file_lock(folder / f"{notice_pk}.lock") as held:
            yield held


@contextlib.contextmanager
def _server_lock(
    store: Store, take: str, release: str, params: dict[str, object]
) -> Iterator[bool]:
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        held = bool(conn.execute(sa.text(take), params).scalar())
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.text(release), params)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
