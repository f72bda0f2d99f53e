"""Revealing credentials is decided by the OS user, not by the ``--actor`` label."""

from __future__ import annotations

import pytest

from dsr_core import staff
from tests.engine.helpers import config, new_verified, write_store

ROWS = [
    {
        "id": 1,
        "email": "jan@example.be",
        "category": "dossier_note",
        "fields": {"name": "Jan", "router_password": "Zomer2024!"},
        "secret": ["router_password"],
    }
]


@pytest.fixture
def controller(dsr):
    write_store(dsr.home / "dossier.json", ROWS)
    dsr.write_config(
        config(
            {"dossier": {"type": "test-store", "path": "dossier.json"}},
            controller='technical_staff = ["demo-tech"]\nlanguage = "en"',
        )
    )
    dsr("init")
    dsr.env["DSR_EXPORT_PASSWORD"] = "correct horse battery"
    return dsr


def test_actor_label_does_not_make_technical_staff(controller, tmp_path, monkeypatch):
    dsr = controller
    monkeypatch.setattr(staff, "os_user", lambda: "bart")
    monkeypatch.setenv("USER", "demo-tech")  # the environment is no proof either
    monkeypatch.setenv("LOGNAME", "demo-tech")
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    out = tmp_path / "s.zip"
    refused = dsr.fails("--actor", "demo-tech", "export", rid, "--include-secrets", "-o", str(out))
    assert "'bart' may not" in refused.stderr and not out.exists()
    actions = [e["action"] for e in dsr.json("audit", "show", rid)]
    assert "secrets.revealed" not in actions


def test_listed_os_user_may_reveal_whatever_the_label(controller, tmp_path, monkeypatch):
    dsr = controller
    monkeypatch.setattr(staff, "os_user", lambda: "demo-tech")
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    out = tmp_path / "s.zip"
    dsr("--actor", "An at the helpdesk", "export", rid, "--include-secrets", "-o", str(out))
    assert out.exists()
    revealed = [e for e in dsr.json("audit", "show", rid) if e["action"] == "secrets.revealed"]
    assert len(revealed) == 1 and revealed[0]["actor"] == "An at the helpdesk"
    assert revealed[0]["data"]["os_user"] == "demo-tech", "the trail names who really did it"


def test_os_user_is_the_password_database_entry_not_the_environment(monkeypatch):
    import os
    import pwd

    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    assert staff.os_user() == pwd.getpwuid(os.geteuid()).pw_name
