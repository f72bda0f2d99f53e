"""Issue 12, "the answer delivered", through the command line against a real SMTP server
(aiosmtpd on loopback), on SQLite and on PostgreSQL:

- an access request is run and exported, waits for the answer, is answered by e-mail with the
  bundle attached, completes, and ``dsr due`` shows its deadline met; the trail proves it;
- a restriction, answered, is lifted: the Art. 18(3) letter to the subject, the systems lift,
  and the supplier that got the restriction notice gets the ``restriction-lift`` notice.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dsr_core.answer.record import AnswerRow
from dsr_core.config import load_config

TESTS = Path(__file__).resolve().parents[1]
EMAIL = "jan.peeters@example.be"


def _mails(smtp: Any) -> list[EmailMessage]:
    return [message_from_bytes(m.content, policy=policy.default) for m in smtp.messages]


@pytest.fixture
def home(dsr: Any, smtp_server: Any, tmp_path: Path) -> Any:
    """A controller with a JSON-file CRM (access) and a flag store (restriction)."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(TESTS / "engine" / "plugins" / "testsys.py", plugins)
    shutil.copy(TESTS / "letters" / "plugins" / "flagstore.py", plugins)
    crm = [{"id": 7, "email": EMAIL, "category": "contact", "fields": {"street": "Kerkstraat 1"}}]
    (dsr.home / "crm.json").write_text(json.dumps(crm))
    (dsr.home / "flags.json").write_text(json.dumps([{"id": 1, "email": EMAIL}]))
    dsr.write_config(
        "\n".join(
            [
                "[controller]",
                'name = "Voxtra bv"',
                'email = "privacy@voxtra.be"',
                'language = "nl"',
                "[plugins]",
                f'dir = "{plugins}"',
                "[systems.crm]",
                'type = "test-store"',
                'path = "crm.json"',
                "[systems.flags]",
                'type = "flag-store"',
                'path = "flags.json"',
                "[notices]",
                'transport = "smtp"',
                f'host = "{smtp_server.host}"',
                f"port = {smtp_server.port}",
                'security = "none"',
            ]
        )
        + "\n"
    )
    dsr("init")
    return dsr


def _new(dsr: Any, kind: str, *extra: str) -> str:
    made = dsr.json("request", "new", kind, "--name", "Jan Peeters", "--email", EMAIL, *extra)
    rid = str(made["id"])
    dsr("request", "verify", rid, "--method", "eID at the desk")
    return rid


def _run(dsr: Any, rid: str) -> None:
    """Run it; the system that cannot do the kind is a manual task, done by staff."""
    report = dsr.json("request", "run", rid)
    for task in report["tasks"]:
        if task["state"] == "manual":
            dsr("tasks", "done", str(task["id"]), "--note", "nothing of Jan there")


def test_access_answered_by_email_completes_and_meets_the_deadline(home, smtp_server):
    dsr = home
    rid = _new(dsr, "access", "--language", "en")
    _run(dsr, rid)
    exported = dsr.json("export", rid)
    assert Path(exported["path"]).is_file()
    shown = dsr("request", "show", rid).stdout
    assert "waiting for the answer" in shown and f"dsr request answer {rid}" in shown
    assert "waiting for the answer" in dsr("request", "list").stdout
    assert "waiting for the answer" in dsr("due").stdout
    refused = dsr.fails("request", "close", rid)
    assert "waits for the answer" in refused.stderr

    answered = dsr.json("request", "answer", rid)  # --by email (default), in English

    assert answered["state"] == "completed" and answered["transport"] == "smtp"
    [mail] = _mails(smtp_server)
    assert mail["To"].addresses[0].addr_spec == EMAIL
    assert "Dear Jan Peeters," in mail.get_body(("plain",)).get_content()  # the request's
    [attachment] = [p for p in mail.iter_attachments() if p.get_filename().endswith(".zip")]
    data = attachment.get_content()
    assert hashlib.sha256(data).hexdigest() == answered["bundle_sha256"]
    assert Path(answered["bundle"]).read_bytes() == data and data[:2] == b"PK"
    assert dsr.json("request", "show", rid)["state"] == "completed"

    board = dsr.json("due")["requests"]
    [mine] = [r for r in board if r["id"] == int(rid)]
    assert mine["answer"]["met"] is True and mine["clock"]["overdue"] is False
    line = next(ln for ln in dsr("due").stdout.splitlines() if ln.split()[0] == rid)
    assert f"answered {mine['answer']['on']}, met" in line
    calendar = dsr.home / "due.ics"
    dsr("due", "--ics", str(calendar))
    assert f"dsr-request-{rid}@" not in calendar.read_text(), "no deadline left to meet"
    trail = [e["action"] for e in dsr.json("audit", "show", rid)]
    assert trail.index("request.answered") < len(trail) - 1
    assert trail[-1] == "request.state"  # completed, in the answer's unit of work
    assert dsr.json("audit", "verify")["ok"] is True


def test_an_answer_after_the_due_day_shows_late_and_is_not_overdue(home, smtp_server):
    dsr = home
    rid = _new(dsr, "access")
    _run(dsr, rid)
    due = dsr.json("request", "show", rid)["clock"]["due"]
    late_day = date.fromisoformat(due) + timedelta(days=3)
    dsr.env["DSR_TODAY"] = late_day.isoformat()
    assert dsr.json("request", "list", "--overdue")[0]["id"] == int(rid)
    # the answer's moment is the real clock: move the recorded answer to the late day
    dsr("request", "answer", rid, "--by", "in-person")
    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.begin() as conn:
        first = conn.execute(sa.select(AnswerRow.answered_at)).scalar_one()
        shift = late_day - first.date()
        conn.execute(sa.update(AnswerRow).values(answered_at=first + shift))
    engine.dispose()
    assert dsr.json("request", "list", "--overdue") == []
    [mine] = [r for r in dsr.json("due")["requests"] if r["id"] == int(rid)]
    assert mine["answer"] == {"on": late_day.isoformat(), "met": False, "days_late": 3}
    assert "LATE 3d" in dsr("due").stdout


def test_a_restriction_answered_then_lifted_tells_the_subject_and_its_recipient(home, smtp_server):
    dsr = home
    carrier = dsr.json("suppliers", "add", "BelTel", "--role", "carrier", "--email",
                       "dpo@beltel.example")["id"]  # fmt: skip
    dsr("suppliers", "disclose", "BelTel", "--email", EMAIL, "--category", "contact")
    rid = _new(dsr, "restriction", "--language", "fr")
    _run(dsr, rid)
    restricted = f"N-{rid}-{carrier}"
    dsr("notices", "ack", restricted, "--note", "their reply")
    answered = dsr.json("request", "answer", rid)
    assert answered["state"] == "completed"
    answer_mail = _mails(smtp_server)[-1]
    answer_text = answer_mail.get_body(("plain",)).get_content()
    assert "Madame, Monsieur," in answer_text  # the request's language, by default
    before = len(smtp_server.messages)

    lifted = dsr.json("request", "lift", rid, "--reason", "Exactitude vérifiée.")

    assert lifted["lifted"]["flags"] == {"unrestricted": 1}
    assert json.loads((dsr.home / "flags.json").read_text())[0].get("restricted") is False
    letter, notice = _mails(smtp_server)[before:]
    assert letter["To"].addresses[0].addr_spec == EMAIL
    assert "Madame, Monsieur," in letter.get_body(("plain",)).get_content()
    assert "Exactitude vérifiée." in letter.get_body(("plain",)).get_content()
    assert notice["To"].addresses[0].addr_spec == "dpo@beltel.example"
    assert f"{restricted}-lift" in notice["Subject"] and "opgeheven" in notice["Subject"]
    shown = dsr.json("notices", "show", f"{restricted}-lift")
    assert shown["kind"] == "restriction-lift" and shown["state"] == "sent"
    trail = [e["action"] for e in dsr.json("audit", "show", rid)]
    assert trail.index("restriction.lift_notified") < trail.index("restriction.lifted")
