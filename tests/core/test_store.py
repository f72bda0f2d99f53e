"""The store: upgrades in place, refuses what it cannot open, keeps identifiers out of logs."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from dsr_core.store import Store, migrations
from dsr_core.store.models import Base


def _url(dsr) -> str:
    from dsr_core.config import load_config

    return load_config(home=dsr.home).database_url


def test_a_release_01_database_upgrades_in_place(dsr):
    """A database made by release 0.1 (schema 1) keeps its requests and trail and can run."""
    url = os.environ.get("DSR_DATABASE_URL") or f"sqlite:///{dsr.home / 'dsr.sqlite3'}"
    store = Store(url)
    migrations.upgrade(store.engine, target=1)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO requests (kind, state, subject_name, received_on, channel, extended,"
                " created_by, created_at, updated_at, due_on) VALUES ('access', 'received', 'Old',"
                " :d, 'letter', :f, 'x', :t, :t, :d)"
            ),
            {"d": date(2026, 11, 2), "t": now, "f": False},
        )
        conn.execute(
            sa.text(
                "INSERT INTO identities (request_id, kind, value, source) VALUES "
                "(1, 'email', 'old@example.be', 'request')"
            )
        )
    assert store.version() == 1
    store.dispose()
    dsr("init")  # opens the store: upgrades
    shown = dsr.json("request", "show", "1")
    assert shown["subject"]["name"] == "Old" and shown["needs_attention"] is False
    assert shown["subject"]["identities"][0]["value"] == "old@example.be"
    assert dsr.json("init")["schema_version"] == migrations.LATEST


def test_migrated_schema_matches_the_models(dsr):
    dsr("init")
    engine = sa.create_engine(_url(dsr))
    inspector = sa.inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
    engine.dispose()


def test_a_newer_database_is_refused(dsr):
    dsr("init")
    engine = sa.create_engine(_url(dsr))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE dsr_meta SET value = '99' WHERE key = 'schema_version'"))
    engine.dispose()
    result = dsr.fails("request", "list")
    assert "newer than this dsr understands" in result.stderr


def test_unreachable_database_is_one_line(dsr):
    dsr.env["DSR_DATABASE_URL"] = "postgresql+psycopg://dsr@127.0.0.1:9/nowhere"
    result = dsr.fails("request", "list")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot open the database" in lines[0]
    assert "Traceback" not in result.stderr


def test_log_file_is_json_lines_without_identifiers(dsr):
    dsr("init")
    dsr(
        "request",
        "new",
        "access",
        "--name",
        "Jan Peeters",
        "--email",
        "jan.peeters@ex.be",
        "--phone",
        "0477 12 34 56",
    )
    log = dsr.home / "logs" / "dsr.log"
    text = log.read_text()
    events = [json.loads(line) for line in text.splitlines()]
    recorded = [e for e in events if e["event"] == "request recorded"]
    assert recorded and all(v.startswith("h:") for v in recorded[0]["identities"])
    assert "jan.peeters" not in text and "32477123456" not in text and "Peeters" not in text
    assert oct(log.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[controller]\nname = 'x'\nlanguage = \n", "line 3"),
        ("[controller]\nlanguage = 'de'\n", "controller.language"),
        ("[controller]\ntimezone = 'Mars/Olympus'\n", "controller.timezone"),
        ("[bogus]\n", "unknown section [bogus]"),
        ("[systems.pbx]\npath = 'x'\n", "'type' is required"),
        ("[systems.pbx]\ntype = 'manual'\ntimeout = -1\n", "timeout"),
    ],
)
def test_broken_config_is_one_line_naming_the_place(dsr, config, message):
    dsr.write_config(config)
    result = dsr.fails("request", "list")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_a_country_without_a_holiday_table_is_one_line(dsr):
    dsr.write_config("[controller]\ncountry = 'QQ'\n")
    result = dsr.fails("request", "new", "access", "--name", "J", "--email", "j@ex.be")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown country code 'QQ'" in lines[0]
    assert dsr.json("request", "list", "--all") == []
