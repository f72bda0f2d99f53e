"""E-mail notices through a real SMTP server (aiosmtpd on loopback) and the outbox folder."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from dsr_plugins.suppliers import email as email_module
from dsr_plugins.suppliers.email import FileTransport, SmtpTransport, build_email
from dsr_plugins.suppliers.message import Controller, Notice

from .conftest import SMTP_PASSWORD, SMTP_USER, SmtpServerInfo, Tls, email_supplier, free_port

FIXED = datetime(2025, 7, 2, 10, 0, tzinfo=UTC)

# Words only the right language uses, per kind.
LANGUAGE_MARKERS = {
    "nl": ("Geachte", "Verzoek tot wissing", "art. 17 en 19 AVG", "1 augustus 2025"),
    "en": ("Dear", "Request to erase", "Art. 17 and 19 GDPR", "1 August 2025"),
    "fr": ("Madame, Monsieur", "Demande d'effacement", "art. 17 et 19 RGPD", "1er août 2025"),
}


def parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def body_of(msg: EmailMessage) -> str:
    return str(msg.get_content())


def smtp(controller: Controller, server: SmtpServerInfo, **kw: object) -> SmtpTransport:
    args: dict = {"security": "none", "timeout": 5.0, "clock": lambda: FIXED}
    args.update(kw)
    return SmtpTransport(controller, server.host, server.port, **args)


# -- the message -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "language", "expected"),
    [
        ("rectification", "nl", ("Verzoek tot rectificatie", "art. 16 en 19 AVG", "e-mailadres")),
        ("restriction", "nl", ("beperking van de verwerking", "art. 18 en 19 AVG")),
        ("rectification", "en", ("Request to rectify", "jan@peeters.example", "Art. 16 and 19")),
        ("restriction", "en", ("restrict processing", "Article 18 GDPR", "Art. 18 and 19")),
        ("rectification", "fr", ("Demande de rectification", "adresse e-mail :", "art. 16")),
        ("restriction", "fr", ("limitation du traitement", "article 18 du RGPD")),
    ],
)
def test_each_kind_in_each_language(
    make_notice: Callable[..., Notice],
    controller: Controller,
    kind: str,
    language: str,
    expected: tuple[str, ...],
) -> None:
    msg = build_email(make_notice(kind), email_supplier(language), controller, date=FIXED)
    text = str(msg["Subject"]) + "\n" + body_of(msg)
    for words in expected:
        assert words in text
    assert "N-12-3" in str(msg["Subject"])


def test_rectification_lists_the_changes(
    make_notice: Callable[..., Notice], controller: Controller
) -> None:
    body = body_of(build_email(make_notice("rectification"), email_supplier("en"), controller))
    assert "  - e-mail address: jan@peeters.example" in body
    assert "  - e-mail address: jan.peeters@example.org" in body


def test_body_lines_are_wrapped_for_mail_readers(
    make_notice: Callable[..., Notice], controller: Controller
) -> None:
    for language in LANGUAGE_MARKERS:
        body = body_of(build_email(make_notice(), email_supplier(language), controller))
        assert max(len(line) for line in body.splitlines()) <= 76


# -- SMTP ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en", "fr"])
def test_smtp_delivers_the_notice_in_the_suppliers_language(
    make_notice: Callable[..., Notice],
    controller: Controller,
    smtp_server: SmtpServerInfo,
    language: str,
) -> None:
    result = smtp(controller, smtp_server).send(make_notice(), email_supplier(language))

    assert result.delivered and not result.confirmed and result.error is None
    assert result.detail["message_id"] == "<dsr-notice.N-12-3@voxtra.be>"
    (received,) = smtp_server.recorder.messages
    assert received.mail_from == "administratie@voxtra.be"
    assert received.rcpt_tos == ["privacy@telco.example"]
    msg = parse(received.content)
    assert msg["From"] == "Voxtra bvba <administratie@voxtra.be>"
    assert msg["To"] == "Telco NV <privacy@telco.example>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == "<dsr-notice.N-12-3@voxtra.be>"
    assert msg["X-DSR-Notice-Id"] == "N-12-3"
    assert msg["Date"].datetime == FIXED
    body = body_of(msg)
    for marker in LANGUAGE_MARKERS[language]:
        assert marker in str(msg["Subject"]) + body
    for other, markers in LANGUAGE_MARKERS.items():
        if other != language:
            assert markers[0] not in body
    assert "N-12-3" in body
    assert "jan.peeters@example.org" in body
    assert "+32477123456" in body


def test_smtp_resend_carries_the_same_message_id(
    make_notice: Callable[..., Notice], controller: Controller, smtp_server: SmtpServerInfo
) -> None:
    transport = smtp(controller, smtp_server, clock=lambda: datetime.now(UTC))
    assert transport.send(make_notice(), email_supplier()).delivered
    assert transport.send(make_notice(), email_supplier()).delivered
    first, second = (parse(m.content) for m in smtp_server.recorder.messages)
    assert first["Message-ID"] == second["Message-ID"] == "<dsr-notice.N-12-3@voxtra.be>"
    assert body_of(first) == body_of(second)


@pytest.mark.parametrize(
    ("reply", "permanent", "code"),
    [("550 5.1.1 No such mailbox", True, 550), ("451 4.3.0 Try again later", False, 451)],
)
def test_smtp_refusals(
    make_notice: Callable[..., Notice],
    controller: Controller,
    smtp_server: SmtpServerInfo,
    reply: str,
    permanent: bool,
    code: int,
) -> None:
    smtp_server.recorder.rcpt_reply = reply
    result = smtp(controller, smtp_server).send(make_notice(), email_supplier())
    assert not result.delivered
    assert result.permanent is permanent
    assert result.retry_later is not permanent
    assert result.detail["smtp_code"] == code
    assert "jan.peeters" not in (result.error or "")


def test_smtp_connection_refused_is_transient(
    make_notice: Callable[..., Notice], controller: Controller
) -> None:
    transport = SmtpTransport(controller, "127.0.0.1", free_port(), security="none", timeout=2)
    result = transport.send(make_notice(), email_supplier())
    assert not result.delivered and not result.permanent
    assert "ConnectionRefusedError" in (result.error or "")


def test_smtp_starttls_with_login(
    make_notice: Callable[..., Notice],
    controller: Controller,
    smtp_starttls_server: SmtpServerInfo,
    tls: Tls,
) -> None:
    transport = smtp(
        controller,
        smtp_starttls_server,
        security="starttls",
        username=SMTP_USER,
        password=SMTP_PASSWORD,
        ssl_context=tls.client_context(),
    )
    assert SMTP_PASSWORD not in repr(transport)
    result = transport.send(make_notice(), email_supplier())
    assert result.delivered, result.error
    (received,) = smtp_starttls_server.recorder.messages
    assert received.tls and received.authenticated


def test_smtp_starttls_wrong_password_is_permanent(
    make_notice: Callable[..., Notice],
    controller: Controller,
    smtp_starttls_server: SmtpServerInfo,
    tls: Tls,
) -> None:
    transport = smtp(
        controller,
        smtp_starttls_server,
        security="starttls",
        username=SMTP_USER,
        password="wrong",
        ssl_context=tls.client_context(),
    )
    result = transport.send(make_notice(), email_supplier())
    assert not result.delivered and result.permanent
    assert result.detail["smtp_code"] == 535
    assert "wrong" not in (result.error or "")


def test_smtp_untrusted_certificate_is_permanent(
    make_notice: Callable[..., Notice],
    controller: Controller,
    smtp_starttls_server: SmtpServerInfo,
) -> None:
    # The system trust store does not know the test's self-signed certificate.
    transport = smtp(controller, smtp_starttls_server, security="starttls")
    result = transport.send(make_notice(), email_supplier())
    assert not result.delivered and result.permanent
    assert "certificate" in (result.error or "")
    assert smtp_starttls_server.recorder.messages == []


def test_smtp_implicit_tls(
    make_notice: Callable[..., Notice],
    controller: Controller,
    smtp_tls_server: SmtpServerInfo,
    tls: Tls,
) -> None:
    transport = smtp(controller, smtp_tls_server, security="tls", ssl_context=tls.client_context())
    assert transport.send(make_notice(), email_supplier("fr")).delivered
    (received,) = smtp_tls_server.recorder.messages
    assert received.tls


def test_smtp_refuses_credentials_in_clear(controller: Controller) -> None:
    with pytest.raises(ValueError, match="without TLS"):
        SmtpTransport(controller, "mail.example", 25, "none", username="u", password="p")
    with pytest.raises(ValueError, match="go together"):
        SmtpTransport(controller, "mail.example", username="u")


# -- outbox folder ---------------------------------------------------------------------------


def test_file_transport_writes_a_private_eml(
    make_notice: Callable[..., Notice], controller: Controller, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    old_umask = os.umask(0)  # even with a permissive umask the file stays owner-only
    try:
        result = FileTransport(controller, outbox, clock=lambda: FIXED).send(
            make_notice(), email_supplier("en")
        )
    finally:
        os.umask(old_umask)
    path = outbox / "N-12-3.eml"
    assert result.delivered and result.detail["path"] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    assert os.listdir(outbox) == ["N-12-3.eml"]
    msg = parse(path.read_bytes())
    assert msg["Message-ID"] == "<dsr-notice.N-12-3@voxtra.be>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert "Request to erase" in str(msg["Subject"])


def test_file_transport_resend_replaces_with_the_same_message(
    make_notice: Callable[..., Notice], controller: Controller, tmp_path: Path
) -> None:
    transport = FileTransport(controller, tmp_path, clock=lambda: FIXED)
    transport.send(make_notice(), email_supplier())
    first = (tmp_path / "N-12-3.eml").read_bytes()
    transport.send(make_notice(), email_supplier())
    assert (tmp_path / "N-12-3.eml").read_bytes() == first
    assert os.listdir(tmp_path) == ["N-12-3.eml"]

    later = FileTransport(controller, tmp_path)  # real clock: only Date may differ
    later.send(make_notice(), email_supplier())
    assert parse((tmp_path / "N-12-3.eml").read_bytes())["Message-ID"] == parse(first)["Message-ID"]


def test_file_transport_is_atomic(
    make_notice: Callable[..., Notice],
    controller: Controller,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport = FileTransport(controller, tmp_path, clock=lambda: FIXED)
    transport.send(make_notice(), email_supplier())
    before = (tmp_path / "N-12-3.eml").read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(email_module.os, "replace", crash)
    result = transport.send(make_notice(), email_supplier("fr"))
    assert not result.delivered and not result.permanent
    assert "No space left" in (result.error or "")
    assert (tmp_path / "N-12-3.eml").read_bytes() == before  # the old file is intact
    assert os.listdir(tmp_path) == ["N-12-3.eml"]  # and no temporary file is left
