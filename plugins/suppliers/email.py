"""E-mail notices: the message itself, and two transports (SMTP and an outbox folder).

The message is plain text in the supplier's language, ``From`` the controller, with a
``Message-ID`` derived from the notice id so that a resend is recognisably the same message,
``Auto-Submitted: auto-generated`` (RFC 3834: auto-responders must not answer it, a person still
can) and ``X-DSR-Notice-Id`` for filtering replies. E-mail never confirms a notice: the supplier
confirms by replying, quoting the notice id, and staff acknowledge it in the core.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Literal

import structlog

from .message import Controller, DeliveryResult, Notice, Supplier
from .render import render_notice

log = structlog.get_logger(__name__)

Security = Literal["starttls", "tls", "none"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _address(name: str, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def build_email(
    notice: Notice, supplier: Supplier, controller: Controller, *, date: datetime | None = None
) -> EmailMessage:
    """The notice as an e-mail to ``supplier`` in its language.

    ``date`` is the ``Date`` header (default: now). Everything else depends only on the
    notice, the supplier and the controller, so a resend is the same message.
    """
    subject, body = render_notice(notice, supplier.name, controller, supplier.language)
    msg = EmailMessage()
    msg["From"] = _address(controller.name, controller.email)
    msg["To"] = _address(supplier.name, supplier.email)
    msg["Subject"] = subject
    msg["Date"] = format_datetime((date or _utcnow()).astimezone(UTC))
    msg["Message-ID"] = notice.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-DSR-Notice-Id"] = notice.notice_id
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    # after set_content, which clears Content-* headers it did not set itself
    msg["Content-Language"] = str(supplier.language)
    return msg


@dataclass(frozen=True, slots=True)
class _Sent:
    """The facts of an e-mail delivery, for DeliveryResult.detail."""

    message_id: str
    transport: str


def _result(sent: _Sent, **extra: object) -> DeliveryResult:
    return DeliveryResult(
        delivered=True,
        detail={"message_id": sent.message_id, "transport": sent.transport, **extra},
    )


def _failure(error: str, *, permanent: bool, **detail: object) -> DeliveryResult:
    return DeliveryResult(delivered=False, permanent=permanent, error=error, detail=detail)


def _smtp_failure(code: int, what: str) -> DeliveryResult:
    """A refusal by the SMTP server: 5xx is permanent, anything else transient."""
    return _failure(f"SMTP {code} {what}", permanent=500 <= code < 600, smtp_code=code)


@dataclass(slots=True)
class SmtpTransport:
    """Sends notices through an SMTP server (smtplib).

    ``security``: ``"starttls"`` (submission, port 587: upgrade, certificate checked),
    ``"tls"`` (implicit TLS, port 465) or ``"none"`` (a local relay). ``username``/``password``
    come from the core's environment; logging in without TLS is refused unless
    ``allow_plain_auth`` is set. ``ssl_context`` defaults to the system's trust store.

    Failures never raise: connection problems and 4xx replies come back transient
    (``delivered=False, permanent=False``), 5xx replies permanent.
    """

    controller: Controller
    host: str
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    local_hostname: str | None = None
    allow_plain_auth: bool = False
    clock: Callable[[], datetime] = field(default=_utcnow, repr=False)

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "tls", "none"):
            raise ValueError(f"SMTP security must be starttls, tls or none, not {self.security!r}")
        if self.username and self.security == "none" and not self.allow_plain_auth:
            raise ValueError("refusing to send SMTP credentials without TLS")
        if bool(self.username) != (self.password is not None):
            raise ValueError("SMTP username and password go together")

    def send(self, notice: Notice, supplier: Supplier) -> DeliveryResult:
        """Builds the notice's e-mail and hands it to the server."""
        msg = build_email(notice, supplier, self.controller, date=self.clock())
        result = self.deliver(msg, supplier.email)
        log.info(
            "supplier_notice_email",
            notice_id=notice.notice_id,
            supplier=supplier.name,
            delivered=result.delivered,
            permanent=result.permanent,
            error=result.error,
        )
        return result

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
            )
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username and self.password is not None:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def deliver(self, msg: EmailMessage, recipient: str) -> DeliveryResult:
        """Sends a built message to ``recipient`` (envelope sender: the controller)."""
        sent = _Sent(message_id=str(msg["Message-ID"]), transport="smtp")
        try:
            smtp = self._connect()
            try:
                smtp.send_message(msg, from_addr=self.controller.email, to_addrs=[recipient])
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()] or [550]
            return _smtp_failure(min(codes), "recipient refused")
        except smtplib.SMTPAuthenticationError as exc:
            code = exc.smtp_code
            return _failure(f"SMTP {code} authentication failed", permanent=True, smtp_code=code)
        except smtplib.SMTPSenderRefused as exc:
            return _smtp_failure(exc.smtp_code, "sender refused")
        except smtplib.SMTPDataError as exc:
            return _smtp_failure(exc.smtp_code, "message refused")
        except smtplib.SMTPNotSupportedError as exc:
            return _failure(f"SMTP server does not support {exc}", permanent=True)
        except smtplib.SMTPResponseException as exc:
            return _smtp_failure(exc.smtp_code, "error")
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or "verification failed"
            return _failure(f"SMTP TLS certificate not accepted: {reason}", permanent=True)
        except (smtplib.SMTPException, OSError) as exc:  # incl. refused, timeout, TLS errors
            kind = "timed out" if isinstance(exc, TimeoutError) else "failed"
            return _failure(
                f"SMTP connection to {self.host}:{self.port} {kind}: {type(exc).__name__}",
                permanent=False,
            )
        return _result(sent, smtp_host=self.host)


@dataclass(slots=True)
class FileTransport:
    """Writes each notice to ``<outbox>/<notice_id>.eml`` for staff to send by hand.

    The file is created owner-only (0600) in a 0700 outbox, written to a temporary name and
    renamed into place, so a reader never sees half a message. A resend replaces the file with
    the same message (same ``Message-ID``). "Delivered" means "in the outbox".
    """

    controller: Controller
    outbox: Path
    clock: Callable[[], datetime] = field(default=_utcnow, repr=False)

    def path_for(self, notice: Notice) -> Path:
        """Where the notice's ``.eml`` goes (the notice id is restricted to safe characters)."""
        return Path(self.outbox) / f"{notice.notice_id}.eml"

    def send(self, notice: Notice, supplier: Supplier) -> DeliveryResult:
        """Writes the notice's e-mail into the outbox."""
        msg = build_email(notice, supplier, self.controller, date=self.clock())
        target = self.path_for(notice)
        remove_stale_temporaries(target)
        try:
            write_private_atomic(target, msg.as_bytes())
        except OSError as exc:
            return _failure(
                f"could not write {target.name} to the outbox: {exc.strerror or exc}",
                permanent=False,
            )
        log.info("supplier_notice_file", notice_id=notice.notice_id, supplier=supplier.name)
        return _result(_Sent(str(msg["Message-ID"]), "file"), path=str(target))


#: A temporary ``.eml`` untouched this long was left by a killed writer, whatever its notice.
STALE_AFTER_SECONDS = 600.0


def remove_stale_temporaries(target: Path, *, now: float | None = None) -> list[Path]:
    """Delete the temporary files a killed :func:`write_private_atomic` left in the outbox.

    Those of ``target`` itself go at once (one notice is sent by one process at a time, under
    its notice lock); those of other notices once untouched for :data:`STALE_AFTER_SECONDS`,
    as another process may be writing them. Returns what was removed."""
    directory = target.parent
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = [p for p in directory.iterdir() if p.name.startswith(".")]
    except OSError:
        return removed
    own = f".{target.name}."
    for path in candidates:
        if not (path.name.endswith(".tmp") and ".eml." in path.name):
            continue
        try:
            old = now - path.lstat().st_mtime > STALE_AFTER_SECONDS
            if path.name.startswith(own) or old:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def write_private_atomic(target: Path, data: bytes) -> None:
    """Writes ``data`` to ``target`` atomically, owner read/write only (0600).

    The temporary file is created 0600 from the start (never wider, whatever the umask), synced,
    then renamed over ``target``; the directory is created 0700 when missing.
    """
    directory = target.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)  # mkstemp already creates it 0600; be explicit
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
