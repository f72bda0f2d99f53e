"""Schema version 6: a version-5 database keeps its notices, gains the request's language, and
takes a second notice per request and supplier when it is of another kind."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from dsr_core.store import migrations


def _notice(conn: sa.Connection, notice_id: str, kind: str) -> None:
    now = datetime.now(UTC)
    conn.execute(
        sa.text(
            "INSERT INTO notices (notice_id, request_id, supplier_id, kind, state, identities, "
            "confirm_by, message_id, webhook_id, sends, attempts, created_by, created_at, "
            "updated_at) VALUES (:n, 1, 1, :k, 'sent', '[[\"email\", \"jan@example.be\"]]', "
            ":d, '<m>', 'msg', 1, 1, 'an', :t, :t)"
        ),
        {"n": notice_id, "k": kind, "d": date(2026, 12, 16), "t": now},
    )


def test_a_version_5_database_keeps_its_notices_and_takes_a_lift_notice(dsr):
    from dsr_core.config import load_config

    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    migrations.upgrade(engine, target=5)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO requests (kind, state, subject_name, received_on, channel, "
                "extended, needs_attention, created_by, created_at, updated_at) VALUES "
                "('restriction', 'in_progress', 'Jan', :d, 'email', false, false, 'an', :t, :t)"
            ),
            {"d": date(2026, 11, 2), "t": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO suppliers (name, role, language, email, protocol, aliases, "
                "created_by, created_at, updated_at) VALUES ('BelTel', 'carrier', 'nl', "
                "'dpo@beltel.example', 'email', '[]', 'an', :t, :t)"
            ),
            {"t": now},
        )
        _notice(conn, "N-1-1", "restriction")
    assert migrations.upgrade(engine) == [6, 7]
    with engine.begin() as conn:
        kept = conn.execute(sa.text("SELECT notice_id, state, sends FROM notices")).all()
        assert [tuple(r) for r in kept] == [("N-1-1", "sent", 1)]
        language = conn.execute(sa.text("SELECT language FROM requests")).scalar_one()
        assert language is None  # the controller's
        _notice(conn, "N-1-1-lift", "restriction-lift")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _notice(conn, "N-1-1-again", "restriction")
    engine.dispose()
    shown = dsr.json("request", "show", "1")
    assert [n["notice_id"] for n in shown["notices"]] == ["N-1-1", "N-1-1-lift"]
