"""The answer as an e-mail to the subject, sent through the ``[notices]`` transport.

The message is the letter's text with its HTML as the alternative part, the letter's PDF
(when made, named in the letter's language: ``brief-wissing.pdf``) and the bundle
attached. ``transport = "smtp"`` hands it to the SMTP server with
the suppliers plugin's :class:`SmtpTransport` (its TLS, login and error handling);
``"file"`` (the default) writes it owner-only to the outbox as ``request-ID-LETTER.eml`` for
staff to send by hand, as supplier notices are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ..config import Config
from ..errors import UserError
from . import render
from .compose import Letter


@dataclass(frozen=True, slots=True)
class Sent:
    transport: str  # "smtp" or "file"
    message_id: str
    path: Path | None = None  # the .eml in the outbox (file transport)


def _address(name: str, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    if not local or not domain:
        raise UserError(f"{email!r} is not an e-mail address")
    return Address(display_name=name, username=local, domain=domain)


def build(
    letter: Letter,
    *,
    sender: str,
    recipient: str,
    attachments: list[Path],
    pdf: bytes | None = None,
) -> EmailMessage:
    """The e-mail: ``From`` the controller, ``To`` the subject, the letter as text and HTML."""
    msg = EmailMessage()
    msg["From"] = _address(letter.sender, sender)
    msg["To"] = _address(letter.addressee, recipient)
    msg["Subject"] = letter.reference
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(render.text(letter), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(render.html(letter), subtype="html", charset="utf-8")
    msg["Content-Language"] = letter.language
    if pdf is not None:
        msg.add_attachment(
            pdf,
            maintype="application",
            subtype="pdf",
            filename=letter.attachment or f"{letter.name}.pdf",  # in the letter's language
        )
    for path in attachments:
        msg.add_attachment(
            path.read_bytes(), maintype="application", subtype="zip", filename=path.name
        )
    return msg


def send(
    config: Config, msg: EmailMessage, recipient: str, *, request_id: int, name: str = "answer"
) -> Sent:
    """Hand ``msg`` to the configured transport; a refusal is a one-line :class:`UserError`
    and nothing is recorded by the caller."""
    from ..recipients.settings import load
    from ..recipients.transports import Transports, controller_of

    transports = Transports(load(config), controller_of(config))
    message_id = str(msg["Message-ID"])
    if transports.email_channel == "file":
        from dsr_plugins.suppliers.email import write_private_atomic

        path = transports.settings.outbox / f"request-{request_id}-{name}.eml"
        try:
            write_private_atomic(path, msg.as_bytes())
        except OSError as exc:
            raise UserError(f"cannot write the answer to the outbox: {exc.strerror}") from None
        return Sent("file", message_id, path)
    transport = transports.email()
    result = transport.deliver(msg, recipient)  # type: ignore[attr-defined]
    if not result.delivered:
        raise UserError(f"the letter was not sent: {result.error}")
    return Sent("smtp", message_id)
