"""An installation made before this release upgrades with its audit trail intact."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import sqlalchemy as sa

from dsr_core import audit
from dsr_core.store import migrations


def test_a_version_3_database_upgrades_and_its_old_events_still_verify(dsr):
    from dsr_core.config import load_config

    url = load_config(home=dsr.home).database_url
    engine = sa.create_engine(url)
    migrations.upgrade(engine, target=3)
    now = datetime.now(UTC)
    with engine.begin() as conn:  # a request and its events as release 0.3 wrote them
        conn.execute(
            sa.text(
                "INSERT INTO requests (kind, state, subject_name, received_on, channel, "
                "extended, needs_attention, created_by, created_at, updated_at) VALUES "
                "('access', 'identity_verified', 'Jan', :d, 'email', false, false, 'an', "
                ":t, :t)"
            ),
            {"d": date(2026, 11, 2), "t": now},
        )
        rid = conn.execute(sa.text("SELECT max(id) FROM requests")).scalar_one()
        prev = audit.GENESIS
        for seq, data in enumerate(
            [{"kind": "access"}, {"from": "received", "to": "identity_verified", "method": "eID"}],
            start=1,
        ):
            payload = json.dumps(data, sort_keys=True, separators=(",", ":"))
            digest = audit.event_hash(seq, now, "an", rid, "request.state", payload, prev)
            conn.execute(
                sa.text(
                    "INSERT INTO audit_events (seq, at, actor, request_id, action, data, "
                    "prev_hash, hash) VALUES (:s, :at, 'an', :r, 'request.state', :d, :p, :h)"
                ),
                {"s": seq, "at": now, "r": rid, "d": payload, "p": prev, "h": digest},
            )
            prev = digest
        conn.execute(
            sa.text("INSERT INTO dsr_meta (key, value) VALUES ('audit_head', :v)"),
            {"v": f"2:{prev}"},
        )
        conn.execute(
            sa.text("INSERT INTO dsr_meta (key, value) VALUES ('installation_key', :v)"),
            {"v": "ab" * 32},
        )
    engine.dispose()

    assert dsr.json("audit", "verify") == {
        "ok": True,
        "events": 2,
        "problem": None,
        "first_bad_event": None,
    }
    assert dsr.json("init")["schema_version"] == migrations.LATEST >= 4
    new = dsr.json("request", "new", "access", "--name", "Els", "--email", "e@x.be")["id"]
    dsr("request", "verify", str(new), "--method", "itsme app")
    assert dsr.json("audit", "verify")["ok"] is True
    old = dsr.json("audit", "show", str(rid))
    assert old[1]["data"]["method"] == "eID"  # written before: in the chain, as it was
