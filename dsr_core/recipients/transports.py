"""The delivery transports of ``dsr_plugins.suppliers``, built from ``[notices]``.

E-mail goes through SMTP (``transport = "smtp"``) or into the outbox folder as ``.eml`` files
(``"file"``, the default); webhooks through httpx with the configured timeout and retries.
Building them is lazy: a run that sends nothing never needs the SMTP password.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import UserError
from .settings import NoticeSettings

if TYPE_CHECKING:
    from dsr_plugins.suppliers.message import Controller, Transport


def controller_of(config: Config) -> Controller:
    """The sender of notices: ``[controller]`` name, e-mail and address."""
    from dsr_plugins.suppliers.message import Controller

    ctl = config.controller
    if not ctl.email:
        raise UserError(
            "set [controller] email in dsr.toml: supplier notices are sent from that address"
        )
    try:
        return Controller(ctl.name, ctl.email, ctl.address or None)
    except ValueError as exc:
        raise UserError(f"[controller]: {exc}") from None


@dataclass
class Transports:
    """The e-mail and webhook transports, each made on first use."""

    settings: NoticeSettings
    controller: Controller
    _email: Any = field(default=None, repr=False)
    _webhook: Any = field(default=None, repr=False)

    @property
    def email_channel(self) -> str:
        return "smtp" if self.settings.transport == "smtp" else "file"

    def email(self) -> Transport:
        if self._email is None:
            self._email = self._build_email()
        return self._email  # type: ignore[no-any-return]

    def webhook(self) -> Transport:
        if self._webhook is None:
            from dsr_plugins.suppliers.webhook import WebhookTransport

            s = self.settings
            self._webhook = WebhookTransport(
                controller=self.controller,
                timeout=s.webhook_timeout,
                max_attempts=s.webhook_attempts,
                backoff_initial=s.webhook_backoff,
                backoff_max=max(60.0, s.webhook_backoff),
                backoff_jitter=min(1.0, s.webhook_backoff),
                max_retry_after=s.webhook_max_retry_after,
            )
        return self._webhook  # type: ignore[no-any-return]

    def _build_email(self) -> Transport:
        from dsr_plugins.suppliers.email import FileTransport, SmtpTransport

        s = self.settings
        if s.transport == "file":
            return FileTransport(self.controller, s.outbox)
        password = None
        if s.username:
            password = os.environ.get(s.password_env)
            if not password:
                raise UserError(
                    f"the SMTP password is not set: put it in the environment variable "
                    f"{s.password_env} (notices.password_env)"
                )
        context = None
        if s.cafile is not None:
            import ssl

            try:
                context = ssl.create_default_context(cafile=str(s.cafile))
            except (OSError, ssl.SSLError) as exc:
                raise UserError(f"notices.cafile {s.cafile}: cannot be read ({exc})") from None
        try:
            return SmtpTransport(
                self.controller,
                s.host or "",
                s.port,
                security=s.security,  # type: ignore[arg-type]
                username=s.username,
                password=password,
                timeout=s.timeout,
                ssl_context=context,
            )
        except ValueError as exc:
            raise UserError(f"notices: {exc}") from None
