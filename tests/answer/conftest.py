"""Fixtures: the real loopback SMTP server (aiosmtpd) shared with tests/letters."""

from __future__ import annotations

from tests.loopback import SmtpServerInfo, smtp_server

__all__ = ["SmtpServerInfo", "smtp_server"]
