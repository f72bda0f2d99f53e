"""Fixtures: a controller, suppliers, notices; the loopback servers come from tests.loopback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from dsr_plugins.suppliers.message import Controller, Notice, Supplier
from tests.loopback import (
    SECRET,
    SMTP_PASSWORD,
    SMTP_USER,
    HookServer,
    Reply,
    SmtpServerInfo,
    Tls,
    free_port,
    hook_server,
    smtp_server,
    smtp_starttls_server,
    smtp_tls_server,
    tls,
)

__all__ = [
    "SECRET",
    "SMTP_PASSWORD",
    "SMTP_USER",
    "HookServer",
    "Reply",
    "SmtpServerInfo",
    "Tls",
    "free_port",
    "hook_server",
    "smtp_server",
    "smtp_starttls_server",
    "smtp_tls_server",
    "tls",
]


@pytest.fixture
def controller() -> Controller:
    return Controller("Voxtra bvba", "administratie@voxtra.be", "Kerkstraat 1\n9000 Gent")


@pytest.fixture
def make_notice(controller: Controller) -> Callable[..., Notice]:
    def make(kind: str = "erasure", notice_id: str = "N-12-3", **kw: Any) -> Notice:
        args: dict[str, Any] = {
            "notice_id": notice_id,
            "request_id": 12,
            "kind": kind,
            "identities": [("email", "jan.peeters@example.org"), ("phone", "+32477123456")],
            "confirm_by": date(2025, 8, 1),
            "controller": controller,
            "created_at": datetime(2025, 7, 2, 9, 30, tzinfo=UTC),
        }
        if kind == "rectification":
            args["changes"] = {"email": "jan@peeters.example"}
        args.update(kw)
        return Notice.create(**args)

    return make


def email_supplier(language: str = "nl") -> Supplier:
    return Supplier("Telco NV", "carrier", language, "privacy@telco.example")


def hook_supplier(url: str, protocol: str = "webhook", secret: str | None = SECRET) -> Supplier:
    return Supplier(
        "CloudPBX BV",
        "processor",
        "en",
        "dpo@cloudpbx.example",
        webhook_url=url,
        webhook_secret=secret,
        protocol=protocol,
    )
