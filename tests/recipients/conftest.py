"""Fixtures: real loopback SMTP and HTTP servers (shared with tests/suppliers)."""

from __future__ import annotations

from tests.loopback import (
    HookServer,
    Reply,
    SmtpServerInfo,
    Tls,
    hook_server,
    independent_check,
    smtp_server,
    smtp_starttls_server,
    smtp_tls_server,
    tls,
)

__all__ = [
    "HookServer",
    "Reply",
    "SmtpServerInfo",
    "Tls",
    "hook_server",
    "independent_check",
    "smtp_server",
    "smtp_starttls_server",
    "smtp_tls_server",
    "tls",
]
