"""``dsr request new`` on the light path (stdlib sqlite3, no SQLAlchemy) writes what the full
path writes: the same request and identity rows, stored the same way, and the same
hash-chained ``request.created`` event, so ``dsr audit verify`` holds over both."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

NEW = [
    (
        "access",
        "--name",
        "An Peeters",
        "--email",
        "An.Peeters@Example.BE",
        "--phone",
        "0477 12 34 56",
        "--customer-id",
        "crm:C-1",
        "--note",
        "came by letter",
    ),
    (
        "objection",
        "--name",
        "Bo",
        "--customer-id",
        "C 2",
        "--received",
        "2026-11-02",
        "--channel",
        "letter",
    ),
    ("portability", "--name", "Cas", "--phone", "09/377.12.34"),
    ("access", "--name", "An", "--email", "an.peeters@example.be", "--force"),
    ("objection", "--name", "Dé", "--email", "de@example.be", "--language", "fr"),
    # a contract's end: no deadline (due_on NULL), "due_on": null in its event
    ("termination", "--name", "Kim", "--customer-id", "crm:1004"),
]
STAMPS = {"created_at", "updated_at", "at", "hash", "prev_hash"}


@pytest.fixture
def sqlite_only(database_url):
    if database_url is not None:
        pytest.skip("the light path serves the embedded SQLite database")


def _rows(db: Path, sql: str) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _stored(db: Path) -> dict[str, list[dict]]:
    """Every column as stored, and each value's SQLite storage type; timestamps and hashes
    (which differ by the second the row was written) by their shape only."""
    out = {}
    for table in ("requests", "identities", "audit_events", "audit_texts"):
        rows = _rows(db, f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
        conn = sqlite3.connect(db)
        names = [d[1] for d in conn.execute(f"PRAGMA table_info({table})")]
        kinds = conn.execute(
            f"SELECT {', '.join(f'typeof({n})' for n in names)} FROM {table} ORDER BY 1"  # noqa: S608
        ).fetchall()
        conn.close()
        shaped = []
        for row, kind in zip(rows, kinds, strict=True):
            shaped.append(
                {
                    k: (len(str(v)), kind[i]) if k in STAMPS and v is not None else (v, kind[i])
                    for i, (k, v) in enumerate(row.items())
                }
            )
        out[table] = shaped
    return out


def test_light_new_writes_the_rows_and_event_the_full_path_writes(
    dsr, sqlite_only, monkeypatch, tmp_path
):
    monkeypatch.setenv("DSR_TODAY", "2026-11-20")
    homes = {}
    for path, flag in (("light", ""), ("full", "1")):
        home = tmp_path / path
        home.mkdir()
        dsr.env = {**dsr.env, "DSR_HOME": str(home)}
        monkeypatch.setenv("DSR_NO_LIGHT", "1")
        dsr("init")
        monkeypatch.setenv("DSR_NO_LIGHT", flag)
        printed = [dsr("request", "new", *args).stdout for args in NEW]
        printed.append(dsr("request", "new", *NEW[1], "--json", ok=False).stderr)
        homes[path] = (home, printed)
    (light, light_out), (full, full_out) = homes["light"], homes["full"]
    assert light_out == full_out
    assert "exists already (request 2)" in light_out[-1]
    assert _stored(light / "dsr.sqlite3") == _stored(full / "dsr.sqlite3")
    # the log line, identifiers hashed with each home's own key
    light_log = [json.loads(x) for x in (light / "logs" / "dsr.log").read_text().splitlines()]
    full_log = [json.loads(x) for x in (full / "logs" / "dsr.log").read_text().splitlines()]
    records = [
        [{k: v for k, v in e.items() if k not in ("timestamp", "identities", "name")} for e in log]
        for log in (light_log, full_log)
    ]
    assert records[0] == records[1] and len(records[0]) == len(NEW)
    assert all(i.startswith("h:") for e in light_log for i in e["identities"])
    assert not any("peeters" in line.lower() for line in (light / "logs" / "dsr.log").open())


def test_audit_trail_holds_over_requests_recorded_both_ways(dsr, sqlite_only, monkeypatch):
    dsr("init")
    for i, args in enumerate(NEW):
        monkeypatch.setenv("DSR_NO_LIGHT", "1" if i % 2 else "")
        dsr("request", "new", *args)
    dsr("request", "verify", "1", "--method", "eID read on the counter")
    monkeypatch.setenv("DSR_NO_LIGHT", "")
    dsr("request", "new", "access", "--name", "Dirk", "--email", "dirk@example.be")
    verified = dsr.json("audit", "verify")
    assert verified["ok"] is True and verified["events"] == 1 + len(NEW) + 2
    shown = dsr.json("request", "show", str(len(NEW) + 1))
    assert [i["value"] for i in shown["subject"]["identities"]] == ["dirk@example.be"]


def test_a_commit_is_on_disk_when_it_returns(tmp_path: Path) -> None:
    """Both paths write the embedded SQLite store with ``synchronous=FULL`` (WAL): a power
    cut just after an erasure cannot take the proof of it (NORMAL may lose the last commits).
    """
    from dsr_core.store.db import open_store
    from dsr_core.store.lite import open_lite

    url = f"sqlite:///{tmp_path / 'dsr.db'}"
    store = open_store(url)
    with store.writing() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.dispose()
    lite = open_lite(url)
    assert lite is not None
    with lite.writing() as light:
        assert light.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
