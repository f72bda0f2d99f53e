"""``dsr request lift``: after the lift, the recipients that received the restriction notice
are told (Art. 19) with a ``restriction-lift`` notice, followed like every notice."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from tests.letters.test_lift import EMAIL, actions, restricted, restriction, setup


def _mails(smtp: Any) -> list[EmailMessage]:
    return [message_from_bytes(m.content, policy=policy.default) for m in smtp.messages]


def test_the_recipients_of_the_restriction_are_told_it_was_lifted(dsr, smtp_server):
    setup(dsr, smtp_server)
    carrier = dsr.json("suppliers", "add", "BelTel", "--role", "carrier", "--email",
                       "dpo@beltel.example", "--language", "fr")["id"]  # fmt: skip
    dsr("suppliers", "disclose", "BelTel", "--email", EMAIL, "--category", "contact")
    rid = restriction(dsr)
    shown = dsr.json("request", "show", rid)
    assert shown["state"] == "awaiting_confirmations"
    [told] = shown["notices"]
    assert told["notice_id"] == f"N-{rid}-{carrier}" and told["state"] == "sent"
    dsr("notices", "ack", told["notice_id"], "--note", "their mail")
    assert dsr.json("request", "show", rid)["state"] == "awaiting_answer"
    sent_before = len(smtp_server.messages)

    out = dsr.json("request", "lift", rid, "--reason", "Accuracy confirmed.")

    assert restricted(dsr, "crm")[1] is False
    lift_id = f"N-{rid}-{carrier}-lift"
    assert [n["notice_id"] for n in out["notices"]] == [lift_id]
    assert out["notices"][0]["state"] == "sent"
    mails = _mails(smtp_server)[sent_before:]
    to_subject, to_carrier = mails  # the Art. 18(3) letter first, then the Art. 19 notice
    assert to_subject["To"].addresses[0].addr_spec == EMAIL
    assert to_carrier["To"].addresses[0].addr_spec == "dpo@beltel.example"
    assert "Levée de la limitation" in to_carrier["Subject"] and lift_id in to_carrier["Subject"]
    body = to_carrier.get_body(preferencelist=("plain",)).get_content()
    assert "levée" in body and EMAIL in body and "18, paragraphe 3" in body
    listed = {n["notice_id"]: n for n in dsr.json("notices", "list", "--request", rid)}
    assert listed[lift_id]["kind"] == "restriction-lift" and listed[lift_id]["state"] == "sent"
    trail = actions(dsr, rid)
    assert trail.index("restriction.lifted") < len(trail) - 1
    assert "notice.created" in trail[trail.index("restriction.lift_notified") :]
    dsr("notices", "ack", lift_id, "--note", "lifted on their side")
    assert dsr.json("notices", "show", lift_id)["state"] == "confirmed"


@pytest.mark.parametrize(
    ("language", "subject", "says"),
    [
        ("nl", "Beperking van de verwerking opgeheven", "de beperking geldt niet meer"),
        ("en", "Restriction of processing lifted", "the restriction no longer applies"),
        ("fr", "Levée de la limitation du traitement", "la limitation ne s'applique plus"),
    ],
)
def test_the_lift_notice_reads_as_a_lift_in_each_language(language, subject, says):
    from dsr_plugins.suppliers.message import Controller, Notice
    from dsr_plugins.suppliers.payload import notice_document
    from dsr_plugins.suppliers.render import render_notice

    controller = Controller("Voxtra bv", "privacy@voxtra.be")
    notice = Notice.create(
        notice_id="N-4-2-lift",
        request_id=4,
        kind="restriction-lift",
        identities=[("email", EMAIL)],
        confirm_by=date(2026, 12, 16),
        controller=controller,
    )
    title, body = render_notice(notice, "BelTel", controller, language)
    assert title.startswith(subject) and "[N-4-2-lift]" in title
    assert says in " ".join(body.split()) and EMAIL in body
    # it asks for nothing to be restricted: no sentence of the restriction notice
    assert "tot wij u laten weten" not in body and "until we tell you" not in body
    document = notice_document(notice, controller)
    assert document["type"] == "dsr.notice.restriction-lift"
    assert document["data"]["kind"] == "restriction-lift"
    assert document["data"]["articles"] == ["GDPR Art. 18", "GDPR Art. 19"]
