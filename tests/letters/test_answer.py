"""``dsr request answer``: the letter and the bundle reach the subject through a real SMTP
server (aiosmtpd), or a handover is recorded; when and how is on the request and the trail."""

from __future__ import annotations

import io
import json
import os
import stat
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pyzipper

from tests.engine.helpers import PLUGINS, write_store

EMAIL = "jan@example.be"
ROWS = [
    {"id": 1, "email": EMAIL, "category": "contact", "fields": {"name": "Jan Peeters"}},
    {
        "id": 2,
        "email": EMAIL,
        "category": "invoice",
        "fields": {"amount": "12.50"},
        "keep_until": "2033-12-31",
    },
]


def setup(dsr: Any, notices: dict[str, Any], language: str = "nl") -> None:
    write_store(dsr.home / "crm.json", ROWS)
    lines = [
        "[controller]",
        'name = "Voxtra bv"',
        'email = "privacy@voxtra.be"',
        'address = "Kerkstraat 1, 9000 Gent"',
        f'language = "{language}"',
        "[plugins]",
        f'dir = "{PLUGINS}"',
        "[systems.crm]",
        'type = "test-store"',
        'path = "crm.json"',
        'title = { nl = "Klantenbeheer", fr = "Gestion de la clientèle" }',
        "[notices]",
        *(f"{k} = {json.dumps(v)}" for k, v in notices.items()),
    ]
    dsr.write_config("\n".join(lines) + "\n")
    dsr("init")


def run_request(dsr: Any, kind: str) -> str:
    rid = str(dsr.json("request", "new", kind, "--name", "Jan Peeters", "--email", EMAIL)["id"])
    dsr("request", "verify", rid, "--method", "eID at the desk")
    dsr("request", "run", rid)
    return rid


def smtp(server: Any) -> dict[str, Any]:
    return {"transport": "smtp", "host": server.host, "port": server.port, "security": "none"}


def parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def answered_events(dsr: Any, rid: str) -> list[dict[str, Any]]:
    events = dsr.json("audit", "show", rid)
    events = events["events"] if isinstance(events, dict) else events
    return [e for e in events if e["action"] == "request.answered"]


def test_access_answer_is_mailed_with_the_encrypted_bundle_that_opens_with_the_password(
    dsr, smtp_server
):
    setup(dsr, smtp(smtp_server))
    rid = run_request(dsr, "access")
    out = dsr.json("request", "answer", rid, "--by", "email", "--encrypt")
    assert out["by"] == "email" and out["transport"] == "smtp" and out["encrypted"] is True
    password = out["password"]
    assert password and len(password) >= 20

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [EMAIL] and mail.mail_from == "privacy@voxtra.be"
    msg = parse(mail.content)
    assert msg["To"].addresses[0].addr_spec == EMAIL
    assert "dossiernummer" in msg["Subject"]
    body = msg.get_body(preferencelist=("plain",)).get_content()
    bundle_name = os.path.basename(out["bundle"])
    assert bundle_name in body and "7-Zip" in body and "2 december 2026" in body
    assert password not in mail.content.decode("utf-8", "replace")  # another channel
    zips = [p for p in msg.iter_attachments() if p.get_content_type() == "application/zip"]
    assert [p.get_filename() for p in zips] == [bundle_name]
    data = zips[0].get_content()
    with open(out["bundle"], "rb") as fh:
        assert fh.read() == data  # the very bundle written and recorded
    with pyzipper.AESZipFile(io.BytesIO(data)) as zf:
        zf.setpassword(password.encode())
        assert "report.html" in zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["request"]["id"] == int(rid)

    for path in (out["letter"]["html"], out["letter"]["text"]):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    [event] = answered_events(dsr, rid)
    assert event["data"]["by"] == "email" and event["data"]["bundle_sha256"] == out["bundle_sha256"]
    assert EMAIL not in json.dumps(event)


def test_a_second_answer_needs_again_and_is_added_not_replaced(dsr, smtp_server):
    setup(dsr, smtp(smtp_server))
    rid = run_request(dsr, "objection")
    dsr("request", "answer", rid, "--by", "letter")
    again = dsr.fails("request", "answer", rid, "--by", "email")
    assert "already answered on 2 December 2026 (letter)" in again.stderr
    assert "--again" in again.stderr and smtp_server.messages == []
    dsr("request", "answer", rid, "--by", "email", "--again")
    assert len(smtp_server.messages) == 1
    assert [e["data"]["by"] for e in answered_events(dsr, rid)] == ["letter", "email"]


def test_erasure_answer_on_paper_reads_the_outcomes_kept_invoice_with_its_date(dsr):
    setup(dsr, {}, language="en")
    rid = run_request(dsr, "erasure")
    out = dsr.json("request", "answer", rid, "--by", "letter", "--language", "fr")
    assert out["transport"] is None and out["bundle"] is None
    text = open(out["letter"]["text"], encoding="utf-8").read()
    html = open(out["letter"]["html"], encoding="utf-8").read()
    line = next(ln for ln in text.splitlines() if "31 décembre 2033" in ln)
    assert "1 facture\u00a0: conservation jusqu'au" in line and "tests: legal hold" in line
    assert (
        "Gestion de la clientèle\u00a0: nous avons effacé 1 fiche de contact\u00a0; nous "
        "conservons encore 1 facture (voir ci-dessous)." in text
    )  # the system's display name in French, counted nouns in the singular
    assert "crm" not in text.replace("crm.json", "")
    assert "Gent, le " in text  # the controller's town before the date
    assert "2033-12-31" not in text and "2033-12-31" not in html
    assert not (dsr.home / "outbox").exists()  # nothing was sent
    assert answered_events(dsr, rid)[0]["data"]["by"] == "letter"


def test_a_refused_recipient_records_nothing(dsr, smtp_server):
    setup(dsr, smtp(smtp_server))
    rid = run_request(dsr, "objection")
    smtp_server.recorder.rcpt_reply = "550 5.1.1 no such user"
    failed = dsr.fails("request", "answer", rid)
    assert "not sent" in failed.stderr and "550" in failed.stderr
    assert answered_events(dsr, rid) == []
    smtp_server.recorder.rcpt_reply = None
    dsr("request", "answer", rid)  # no --again needed: the first never went out
    assert len(smtp_server.messages) == 1


def test_file_transport_puts_the_answer_in_the_outbox(dsr):
    setup(dsr, {})
    rid = run_request(dsr, "access")
    out = dsr.json("request", "answer", rid)
    assert out["transport"] == "file"
    msg = parse(open(out["outbox"], "rb").read())
    assert [p.get_filename() for p in msg.iter_attachments()][-1] == os.path.basename(out["bundle"])
    assert stat.S_IMODE(os.stat(out["outbox"]).st_mode) == 0o600


def test_refusals_are_one_line(dsr):
    setup(dsr, {})
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", EMAIL)["id"])
    assert "not been carried out" in dsr.fails("request", "answer", rid).stderr
    no_mail = str(
        dsr.json("request", "new", "erasure", "--name", "Piet", "--phone", "+32 470 12 34 56")["id"]
    )
    dsr("request", "verify", no_mail, "--method", "eID")
    dsr("request", "run", no_mail)
    assert "no e-mail address" in dsr.fails("request", "answer", no_mail).stderr
    assert (
        "--encrypt is for"
        in dsr.fails("request", "answer", no_mail, "--by", "letter", "--encrypt").stderr
    )
    dsr("request", "reject", rid, "--reason", "Derde verzoek")
    assert "refusal letter" in dsr.fails("request", "answer", rid).stderr
