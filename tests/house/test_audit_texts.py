"""Staff's free text stays out of the hash chain, so it can be purged with the request."""

from __future__ import annotations

import sqlalchemy as sa


def _engine(dsr):
    from dsr_core.config import load_config

    return sa.create_engine(load_config(home=dsr.home).database_url)


def test_free_text_is_not_in_the_chain_but_shown_and_verified(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@x.be")["id"])
    dsr("request", "verify", rid, "--method", "eID of Bart Wouters")
    dsr("request", "pause", rid, "--reason", "clarification", "--note", "asked Bart's address")
    engine = _engine(dsr)
    with engine.connect() as conn:
        chain = " ".join(conn.execute(sa.text("SELECT data FROM audit_events")).scalars())
    assert "Bart" not in chain
    assert '"reason":"clarification"' in chain  # dsr's own words stay in the chain
    events = dsr.json("audit", "show", rid)
    verified = [e for e in events if e["data"].get("to") == "identity_verified"]
    assert verified[0]["data"]["method"] == "eID of Bart Wouters"
    assert dsr.json("audit", "verify")["ok"] is True
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_texts SET text = 'eID of someone else'"))
    engine.dispose()
    broken = dsr("audit", "verify", ok=False)
    assert broken.exit_code == 1 and "was edited" in broken.stderr
