"""Routes a notice to the transport its supplier's protocol calls for."""

from __future__ import annotations

from dataclasses import dataclass

from .message import DeliveryProtocol, DeliveryResult, Notice, Supplier, Transport


@dataclass(slots=True)
class NoticeSender:
    """``email`` suppliers go to ``email`` (SMTP or outbox), the others to ``webhook``.

    ``send_by_email`` lets the core fall back to e-mail for a webhook supplier whose endpoint
    is gone or refuses the notice (a permanent failure).
    """

    email: Transport
    webhook: Transport | None = None

    def send(self, notice: Notice, supplier: Supplier) -> DeliveryResult:
        """Delivers ``notice`` the way ``supplier`` asked for."""
        if supplier.protocol is DeliveryProtocol.EMAIL:
            return self.email.send(notice, supplier)
        if self.webhook is None:
            return DeliveryResult(
                delivered=False,
                permanent=True,
                error=f"no webhook transport configured for supplier {supplier.name!r}",
            )
        return self.webhook.send(notice, supplier)

    def send_by_email(self, notice: Notice, supplier: Supplier) -> DeliveryResult:
        """Delivers ``notice`` by e-mail whatever the supplier's protocol."""
        return self.email.send(notice, supplier)
