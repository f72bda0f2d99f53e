"""``dsr request lift``: the Art. 18(3) letter reaches the subject first, then every system
that restricted the subject's data lifts it."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

PLUGINS = str(Path(__file__).parent / "plugins")
EMAIL = "jan@example.be"


def setup(dsr: Any, smtp: Any, fail_lift: str = "") -> None:
    rows = [{"id": 1, "email": EMAIL}, {"id": 2, "email": "other@example.be"}]
    (dsr.home / "crm.json").write_text(json.dumps(rows))
    (dsr.home / "web.json").write_text(json.dumps([{"id": 9, "email": EMAIL}]))
    lines = [
        "[controller]",
        'name = "Voxtra bv"',
        'email = "privacy@voxtra.be"',
        'language = "en"',
        "[plugins]",
        f'dir = "{PLUGINS}"',
        "[systems.crm]",
        'type = "flag-store"',
        'path = "crm.json"',
        "[systems.web]",
        'type = "flag-store"',
        'path = "web.json"',
        f'fail_lift = "{fail_lift}"' if fail_lift else "",
        "[notices]",
        'transport = "smtp"',
        f'host = "{smtp.host}"',
        f"port = {smtp.port}",
        'security = "none"',
    ]
    dsr.write_config("\n".join(lines) + "\n")
    dsr("init")


def restricted(dsr: Any, name: str) -> dict[int, bool]:
    rows = json.loads((dsr.home / f"{name}.json").read_text())
    return {r["id"]: r.get("restricted", False) for r in rows}


def restriction(dsr: Any) -> str:
    rid = str(dsr.json("request", "new", "restriction", "--name", "Jan", "--email", EMAIL)["id"])
    dsr("request", "verify", rid, "--method", "eID")
    dsr("request", "run", rid)
    assert restricted(dsr, "crm") == {1: True, 2: False} and restricted(dsr, "web") == {9: True}
    return rid


def actions(dsr: Any, rid: str) -> list[str]:
    events = dsr.json("audit", "show", rid)
    events = events["events"] if isinstance(events, dict) else events
    return [e["action"] for e in events]


def test_lift_sends_the_art_18_3_letter_then_lifts_in_every_system(dsr, smtp_server):
    setup(dsr, smtp_server)
    rid = restriction(dsr)
    out = dsr.json("request", "lift", rid, "--reason", "The court ruled the data accurate.")
    assert out["lifted"] == {"crm": {"unrestricted": 1}, "web": {"unrestricted": 1}}
    assert restricted(dsr, "crm") == {1: False, 2: False} and restricted(dsr, "web") == {9: False}
    [mail] = smtp_server.messages
    msg = message_from_bytes(mail.content, policy=policy.default)
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Article 18(3)" in body and "The court ruled the data accurate." in body
    trail = actions(dsr, rid)
    assert trail.index("restriction.lift_notified") < trail.index("restriction.lifted")
    again = dsr.fails("request", "lift", rid, "--reason", "again")
    assert "already lifted" in again.stderr and len(smtp_server.messages) == 1


def test_a_failing_system_is_named_and_a_rerun_does_not_write_again(dsr, smtp_server):
    setup(dsr, smtp_server, fail_lift="web is read-only today")
    rid = restriction(dsr)
    failed = dsr.fails("request", "lift", rid, "--reason", "Accuracy confirmed.")
    assert "web: web is read-only today" in failed.stderr
    assert restricted(dsr, "crm")[1] is False and restricted(dsr, "web")[9] is True
    assert "restriction.lift_failed" in actions(dsr, rid)
    setup_fixed = (
        (dsr.home / "dsr.toml").read_text().replace('fail_lift = "web is read-only today"', "")
    )
    (dsr.home / "dsr.toml").write_text(setup_fixed)
    again = dsr.fails("request", "lift", rid, "--reason", "Accuracy confirmed.")
    assert "no --reason: the subject was told once" in again.stderr
    dsr("request", "lift", rid)
    assert restricted(dsr, "web")[9] is False
    assert len(smtp_server.messages) == 1  # the subject was told once


def test_only_a_restriction_can_be_lifted(dsr, smtp_server):
    setup(dsr, smtp_server)
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", EMAIL)["id"])
    assert "not a restriction" in dsr.fails("request", "lift", rid, "--reason", "x").stderr


def test_restriction_answer_names_the_systems_that_restricted_and_promises_the_notice(
    dsr, smtp_server
):
    setup(dsr, smtp_server)
    rid = restriction(dsr)
    out = dsr.json("request", "answer", rid, "--by", "letter", "--language", "nl")
    text = Path(out["letter"]["text"]).read_text(encoding="utf-8")
    assert "De beperking geldt in: crm en web." in text
    assert "artikel 18, lid 3, AVG" in text and smtp_server.messages == []


def test_rectification_answer_shows_old_and_new_from_the_store(dsr, smtp_server):
    setup(dsr, smtp_server)
    rows = [{"id": 1, "email": EMAIL, "street": "Kerkstraat 1"}]
    (dsr.home / "crm.json").write_text(json.dumps(rows))
    (dsr.home / "web.json").write_text(json.dumps([]))
    changes = dsr.home / "changes.toml"
    changes.write_text('street = "Veldstraat 3"\n')
    rid = str(
        dsr.json(
            "request", "new", "rectification", "--name", "Jan", "--email", EMAIL,
            "--changes", str(changes),
        )["id"]
    )  # fmt: skip
    dsr("request", "verify", rid, "--method", "eID")
    dsr("request", "run", rid)
    out = dsr.json("request", "answer", rid, "--language", "fr")
    [mail] = smtp_server.messages
    body = message_from_bytes(mail.content, policy=policy.default)
    text = body.get_body(preferencelist=("plain",)).get_content()
    assert "rue\u00a0: Kerkstraat 1 → Veldstraat 3" in text
    assert "rue\u00a0: Kerkstraat 1 → Veldstraat 3" in Path(out["letter"]["text"]).read_text()


def test_due_shows_an_announced_lift_until_it_is_carried_out(dsr, smtp_server, monkeypatch):
    """Staff's board names each restriction whose lift the subject was told of, with its
    day, the light and the full path alike; a withdrawn or carried-out lift leaves it."""
    setup(dsr, smtp_server)
    monkeypatch.setenv("DSR_TODAY", "2026-12-02")
    rid = restriction(dsr)
    dsr("request", "lift", rid, "--reason", "Accuracy confirmed.", "--on", "2026-12-20")
    for light in ("", "1"):
        monkeypatch.setenv("DSR_NO_LIGHT", light)
        board = dsr.json("due")["lifts"]
        assert board == [
            {"request": int(rid), "on": "2026-12-20", "told": "2026-12-02", "by": "email",
             "due": False}
        ]  # fmt: skip
        assert f"request {rid}: announced for 2026-12-20 (18 days left)" in dsr("due").stdout
    monkeypatch.setenv("DSR_TODAY", "2026-12-20")
    for light in ("", "1"):
        monkeypatch.setenv("DSR_NO_LIGHT", light)
        text = dsr("due").stdout
        assert f"its day has come, `dsr request lift {rid}`" in text
    dsr("request", "lift", rid)
    for light in ("", "1"):
        monkeypatch.setenv("DSR_NO_LIGHT", light)
        assert dsr.json("due")["lifts"] == [] and "to lift" not in dsr("due").stdout
