"""Notices end to end with the outbox folder (the default transport): one per request and
recipient, what they say, and how a request waits for them."""

from __future__ import annotations

import json

from tests.recipients.helpers import (
    EMAIL,
    PHONE,
    audit_of,
    new_request,
    notice,
    outbox_mail,
    setup,
    supplier,
)


def _register(dsr) -> tuple[int, int, int]:
    telco = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "privacy@telco.example",
                     "--language", "fr")  # fmt: skip
    courier = supplier(dsr, "Snel Transport", "--role", "transport", "--email",
                       "dpo@snel.example", "--language", "nl")  # fmt: skip
    other = supplier(dsr, "Nobody BV", "--role", "processor", "--email", "x@nobody.example")
    dsr("suppliers", "disclose", "Telco NV", "--email", EMAIL, "--customer-id", "crm:C-17",
        "--name", "Jan Peeters", "--category", "contact", "--category", "line",
        "--on", "2024-02-01")  # fmt: skip
    dsr("suppliers", "disclose", "snel transport", "--phone", "0477 12 34 56",
        "--category", "delivery")  # fmt: skip
    dsr("suppliers", "disclose", "Nobody BV", "--email", "someone.else@example.be",
        "--category", "contact")  # fmt: skip
    return telco, courier, other


def test_an_erasure_notifies_each_recipient_once_and_waits_for_them(dsr):
    setup(dsr)
    telco, courier, _ = _register(dsr)
    rid = new_request(dsr, "erasure", "--email", EMAIL, "--phone", PHONE)

    report = dsr.json("request", "run", rid)

    assert report["state"] == "awaiting_confirmations"
    assert len(report["blockers"]) == 2
    listed = dsr.json("notices", "list", "--pending")
    assert {n["notice_id"] for n in listed} == {f"N-{rid}-{telco}", f"N-{rid}-{courier}"}
    assert all(n["state"] == "sent" and n["channel"] == "file" for n in listed)

    # the notice names only what the supplier already holds, in its language
    fr = outbox_mail(dsr, f"N-{rid}-{telco}")
    body = fr.get_content()
    assert fr["Auto-Submitted"] == "auto-generated"
    assert fr["Message-ID"] == f"<dsr-notice.N-{rid}-{telco}@voxtra.be>"
    assert fr["To"].addresses[0].addr_spec == "privacy@telco.example"
    assert fr["From"].addresses[0].addr_spec == "privacy@voxtra.be"
    assert "Madame, Monsieur" in body and "effacement" in fr["Subject"]
    assert EMAIL in body and "Jan Peeters" in body
    # the batch's customer id is no identity the request knows: a notice names only what
    # matched the subject, never the rest of the batch (issue 10)
    assert "C-17" not in body
    assert PHONE not in body, "Telco never received the phone number"
    nl = outbox_mail(dsr, f"N-{rid}-{courier}")
    assert PHONE in nl.get_content() and EMAIL not in nl.get_content()
    assert "Geachte" in nl.get_content()

    shown = notice(dsr, f"N-{rid}-{courier}")
    assert shown["identities"] == [{"kind": "phone", "value": PHONE}]
    assert shown["kind"] == "erasure" and shown["confirm_by"]

    # still waiting: it cannot be closed
    refused = dsr.fails("request", "close", rid)
    assert "not confirmed yet" in refused.stderr
    assert "waiting on suppliers" in dsr("due").stdout

    out = dsr("notices", "ack", f"n-{rid}-{telco}", "--note", "their mail of 3 July").stdout
    assert "confirmed" in out and "still waits for 1" in out
    assert "--reason" in dsr.fails("notices", "waive", f"N-{rid}-{courier}").stderr
    assert "why" in dsr.fails("notices", "waive", f"N-{rid}-{courier}", "--reason", " ").stderr
    waived = dsr.json("notices", "waive", f"N-{rid}-{courier}", "--reason", "firm went bankrupt")
    assert waived["state"] == "waived" and waived["request_state"] == "awaiting_answer"

    assert dsr.json("notices", "list", "--pending") == []
    assert "waits for the answer" in dsr.fails("request", "close", rid).stderr
    dsr("request", "answer", rid, "--by", "letter")
    assert dsr.json("request", "show", rid)["state"] == "completed"

    trail = audit_of(dsr, rid)
    actions = [e["action"] for e in trail]
    for action in ("notice.created", "notice.sent", "notice.confirmed", "notice.waived"):
        assert action in actions
    confirmed = next(e for e in trail if e["action"] == "notice.confirmed")
    assert confirmed["actor"] == "tester" and confirmed["data"]["by"] == "staff"
    text = json.dumps(trail)
    assert EMAIL not in text and PHONE not in text and "C-17" not in text


def test_notices_are_made_once_whatever_runs_again(dsr):
    setup(dsr)
    telco, _, _ = _register(dsr)
    rid = new_request(dsr)
    dsr("request", "run", rid)
    first = notice(dsr, f"N-{rid}-{telco}")
    dsr("request", "run", rid)
    dsr("notices", "send", rid)
    dsr("notices", "send")
    again = notice(dsr, f"N-{rid}-{telco}")
    assert again["sends"] == first["sends"] == 1
    assert len(dsr.json("notices", "list", "--request", rid)) == 1
    assert len([e for e in audit_of(dsr, rid) if e["action"] == "notice.created"]) == 1

    # mistakes are one line and change nothing
    nid = f"N-{rid}-{telco}"
    assert "no notice 'N-99-1'" in dsr.fails("notices", "ack", "N-99-1").stderr
    assert "no supplier" in dsr.fails("notices", "list", "--supplier", "Acme").stderr
    dsr("notices", "ack", nid)
    assert "confirmed already" in dsr.fails("notices", "ack", nid).stderr
    assert "confirmed already" in dsr.fails("notices", "waive", nid, "--reason", "x").stderr
    assert "nothing to resend" in dsr.fails("notices", "resend", nid).stderr
    failed = dsr.fails("notices", "ack", "N-99-1", "--json")
    assert json.loads(failed.stdout) == {"error": "no notice 'N-99-1' (dsr notices list)"}
    assert len(failed.stderr.strip().splitlines()) == 1


def test_a_rectification_carries_the_changes_and_waits_for_the_manual_task(dsr, tmp_path):
    setup(dsr)
    telco, _, _ = _register(dsr)
    changes = tmp_path / "changes.toml"
    changes.write_text('email = "jan@peeters.example"\n')
    rid = str(
        dsr.json("request", "new", "rectification", "--name", "Jan", "--email", EMAIL,
                 "--changes", str(changes))["id"]
    )  # fmt: skip
    dsr("request", "verify", rid, "--method", "eID")
    # test-store cannot rectify: a manual task, exit 5 (docs/exit-codes.md)
    assert dsr("request", "run", rid, ok=False).exit_code == 5
    assert dsr.json("notices", "list") == []
    assert "not all done" in dsr.fails("notices", "send", rid).stderr
    task = dsr.json("tasks", "list", rid)[0]["id"]
    dsr("tasks", "done", str(task), "--note", "changed by hand")
    shown = notice(dsr, f"N-{rid}-{telco}")
    assert shown["kind"] == "rectification"
    assert shown["changes"] == {"email": "jan@peeters.example"}
    assert "jan@peeters.example" in outbox_mail(dsr, f"N-{rid}-{telco}").get_content()
    assert dsr.json("request", "show", rid)["state"] == "awaiting_confirmations"


def test_without_the_controller_address_no_notice_goes_and_the_request_says_so(dsr):
    setup(dsr, email="")
    telco, _, _ = _register(dsr)
    rid = new_request(dsr)
    report = dsr.json("request", "run", rid)
    assert report["state"] == "awaiting_confirmations"
    assert any("Telco NV" in b and "no notice yet" in b for b in report["blockers"])
    assert "set [controller] email" in dsr.fails("notices", "send", rid).stderr
    assert "cannot complete" in dsr.fails("request", "close", rid).stderr
    assert dsr.json("notices", "list") == []
    assert telco
