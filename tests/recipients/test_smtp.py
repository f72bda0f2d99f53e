"""E-mail notices through a real SMTP server (aiosmtpd on loopback), in each language."""

from __future__ import annotations

from tests.recipients.conftest import SmtpServerInfo, Tls
from tests.recipients.helpers import (
    EMAIL,
    SMTP_PASSWORD,
    SMTP_USER,
    new_request,
    parse_mail,
    setup,
    supplier,
)

MARKERS = {
    "nl": ("Geachte", "Verzoek tot wissing", "art. 17 en 19 AVG"),
    "en": ("Dear", "Request to erase", "Art. 17 and 19 GDPR"),
    "fr": ("Madame, Monsieur", "Demande d'effacement", "art. 17 et 19 RGPD"),
}


def _smtp(server: SmtpServerInfo, tls: Tls, **extra: object) -> dict[str, object]:
    return {
        "transport": "smtp",
        "host": server.host,
        "port": server.port,
        "cafile": str(tls.cert),
        "timeout": 5,
        **extra,
    }


def test_starttls_with_credentials_from_the_environment_in_each_language(
    dsr, smtp_starttls_server, tls, monkeypatch
):
    monkeypatch.delenv("VOXTRA_SMTP", raising=False)
    setup(
        dsr,
        notices=_smtp(
            smtp_starttls_server, tls, security="starttls", username=SMTP_USER,
            password_env="VOXTRA_SMTP", confirm_within_days=10,
        ),
    )  # fmt: skip
    ids = {}
    for language in ("nl", "en", "fr"):
        ids[language] = supplier(dsr, f"Carrier {language}", "--role", "carrier", "--email",
                                 f"privacy@{language}.example", "--language", language)  # fmt: skip
        dsr("suppliers", "disclose", f"Carrier {language}", "--email", EMAIL,
            "--category", "contact")  # fmt: skip
    rid = new_request(dsr)
    dsr.env["DSR_TODAY"] = "2026-03-02"

    # the password is not in the environment yet: nothing goes, the request says why
    report = dsr.json("request", "run", rid)
    assert smtp_starttls_server.messages == []
    assert report["state"] == "awaiting_confirmations"
    assert all("VOXTRA_SMTP" in b for b in report["blockers"]) and len(report["blockers"]) == 3
    monkeypatch.setenv("VOXTRA_SMTP", SMTP_PASSWORD)
    sent = dsr.json("notices", "send")["sent"]
    assert len(sent) == 3 and all(s["delivered"] and s["channel"] == "smtp" for s in sent)

    messages = smtp_starttls_server.messages
    assert len(messages) == 3
    assert all(m.tls and m.authenticated for m in messages)
    by_rcpt = {m.rcpt_tos[0]: m for m in messages}
    for language, sid in ids.items():
        received = by_rcpt[f"privacy@{language}.example"]
        assert received.mail_from == "privacy@voxtra.be"
        msg = parse_mail(received.content)
        nid = f"N-{rid}-{sid}"
        assert msg["Message-ID"] == f"<dsr-notice.{nid}@voxtra.be>"
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["X-DSR-Notice-Id"] == nid
        assert nid in msg["Subject"]
        text = msg["Subject"] + "\n" + msg.get_content()
        for words in MARKERS[language]:
            assert words in text, (language, words)
        assert EMAIL in text and nid in msg.get_content()
        shown = dsr.json("notices", "show", nid)
        assert shown["state"] == "sent" and shown["channel"] == "smtp"
        assert shown["confirm_by"] == "2026-03-12"
    assert "12 mars 2026" in parse_mail(by_rcpt["privacy@fr.example"].content).get_content()
