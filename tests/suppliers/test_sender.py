"""Routing a notice to the transport its supplier's protocol calls for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dsr_plugins.suppliers.message import DeliveryResult, Notice, Supplier
from dsr_plugins.suppliers.sender import NoticeSender

from .conftest import email_supplier, hook_supplier


@dataclass
class Recording:
    name: str
    calls: list[str] = field(default_factory=list)

    def send(self, notice: Notice, supplier: Supplier) -> DeliveryResult:
        self.calls.append(supplier.name)
        return DeliveryResult(delivered=True, detail={"transport": self.name})


def test_routes_by_protocol(make_notice: Callable[..., Notice]) -> None:
    mail, hook = Recording("mail"), Recording("hook")
    sender = NoticeSender(email=mail, webhook=hook)
    assert sender.send(make_notice(), email_supplier()).detail["transport"] == "mail"
    for protocol in ("webhook", "opendsr"):
        supplier = hook_supplier("https://h.example/x", protocol=protocol)
        assert sender.send(make_notice(), supplier).detail["transport"] == "hook"
    supplier = hook_supplier("https://h.example/x")
    assert sender.send_by_email(make_notice(), supplier).detail["transport"] == "mail"
    assert len(mail.calls) == 2 and len(hook.calls) == 2


def test_webhook_supplier_without_webhook_transport_is_a_permanent_failure(
    make_notice: Callable[..., Notice],
) -> None:
    result = NoticeSender(email=Recording("mail")).send(
        make_notice(), hook_supplier("https://h.example/x")
    )
    assert not result.delivered and result.permanent
