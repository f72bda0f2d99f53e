"""Fixtures: the real loopback SMTP server shared with tests/suppliers and tests/recipients."""

from __future__ import annotations

from tests.loopback import SmtpServerInfo, smtp_server

__all__ = ["SmtpServerInfo", "smtp_server"]
