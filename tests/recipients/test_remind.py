"""``dsr notices remind``: retries, reminders with the same ids, and the late suppliers."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.recipients.conftest import HookServer, Reply
from tests.recipients.helpers import EMAIL, SECRET, new_request, outbox_mail, setup, supplier


def test_remind_retries_reminds_and_names_the_late(dsr, hook_server: HookServer, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    setup(dsr, notices={"webhook_backoff": 0.01, "webhook_attempts": 2})
    url = hook_server.script("/hook", Reply(503))
    hooked = supplier(dsr, "Cloud", "--role", "processor", "--email", "dpo@cloud.example",
                      "--webhook-url", url, "--secret-env", "HOOK_SECRET")  # fmt: skip
    mailed = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example")
    for name in ("Cloud", "Telco NV"):
        dsr("suppliers", "disclose", name, "--email", EMAIL, "--category", "contact")
    rid = new_request(dsr)
    # the webhook answered 503: not delivered when tried, so staff are told (exit 5)
    assert dsr("request", "run", rid, ok=False).exit_code == 5
    cloud, telco = f"N-{rid}-{hooked}", f"N-{rid}-{mailed}"
    assert dsr.json("notices", "show", cloud)["state"] == "pending"
    assert "HTTP 503" in dsr.json("notices", "show", cloud)["last_error"]
    message_id = outbox_mail(dsr, telco)["Message-ID"]

    today = datetime.now(ZoneInfo("Europe/Brussels")).date()
    hook_server.script("/hook", Reply(202, {"status": "received"}))
    dsr.env["DSR_TODAY"] = (today + timedelta(days=3)).isoformat()
    early = dsr.json("notices", "remind")
    assert [r["notice_id"] for r in early["retried"]] == [cloud]
    assert early["reminded"] == [] and early["late"] == []
    assert dsr("notices", "remind").stdout.strip() == "nothing to remind: no supplier is late"

    dsr.env["DSR_TODAY"] = (today + timedelta(days=8)).isoformat()
    week = dsr.json("notices", "remind")
    assert sorted(r["notice_id"] for r in week["reminded"]) == [cloud, telco]
    assert outbox_mail(dsr, telco)["Message-ID"] == message_id
    posts = hook_server.requests("/hook")
    assert len({p.headers["webhook-id"] for p in posts}) == 1 and posts[-1].signature_ok

    dsr.env["DSR_TODAY"] = (today + timedelta(days=15)).isoformat()
    dsr("notices", "ack", cloud)
    out = dsr("notices", "remind")
    assert out.exit_code == 0
    assert "late suppliers" in out.stdout and "Telco NV" in out.stdout
    assert "Cloud" not in out.stdout.split("late suppliers")[1]
    late = dsr.json("notices", "remind")["late"]
    assert [(e["supplier"], e["days_late"]) for e in late] == [("Telco NV", 1)]
    assert dsr.json("notices", "show", telco)["sends"] == 4
    assert "LATE" in dsr("notices", "list", "--pending").stdout
    reminders = [
        e for e in dsr.json("audit", "show", rid)
        if e["action"] == "notice.sent" and e["data"]["reason"] == "reminder"
    ]  # fmt: skip
    assert len(reminders) == 4
