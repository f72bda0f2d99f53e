"""Art. 21(3) GDPR: once the subject objects to direct marketing, the data is no longer
processed for it; there is no balancing, so dsr does not record a refusal of such an
objection."""

from __future__ import annotations


def test_an_objection_to_direct_marketing_cannot_be_rejected(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "objection", "--name", "Jan", "--email", "j@ex.be")["id"])
    failed = dsr.fails("request", "reject", rid, "--reason", "We like sending you offers")
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Art. 21(3)" in lines[0]
    shown = dsr.json("request", "show", rid)
    assert shown["state"] == "received"
    assert not (dsr.home / "letters").exists()  # no refusal letter either
    events = dsr.json("audit", "show", rid)
    events = events["events"] if isinstance(events, dict) else events
    assert all("rejected" not in str(e) for e in events)


def test_other_kinds_can_still_be_rejected(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@ex.be")["id"])
    dsr("request", "reject", rid, "--reason", "Derde identiek verzoek")
    assert dsr.json("request", "show", rid)["state"] == "rejected"
