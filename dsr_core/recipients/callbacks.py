"""Status callbacks: a webhook supplier reporting later that the work is done.

With ``[notices] status_callback_url`` set, webhook and OpenDSR notices carry
``<url>/<notice id>``, where the supplier may POST its status once it has acted. dsr has no web
server of its own: whatever receives that POST (a small endpoint, a reverse proxy's hook)
hands the raw body and the headers to :func:`receive` (or ``dsr notices callback``).

The callback must be signed like our notices, per Standard Webhooks, with the supplier's
secret: ``webhook-id``, ``webhook-timestamp`` (within five minutes) and ``webhook-signature``.
Its JSON is read like a webhook reply: ``{"status": "done"}`` (webhook) or
``{"request_status": "completed"}`` (OpenDSR) confirms the notice; any other status is noted on
the trail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import audit
from ..errors import UserError
from . import notices

if TYPE_CHECKING:
    from ..engine.context import EngineContext


def receive(
    ctx: EngineContext, notice_ref: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """Check and apply one callback; returns what it said. A bad signature, an unknown
    notice or a supplier without a secret is a UserError and changes nothing."""
    from dsr_plugins.suppliers.message import DeliveryProtocol
    from dsr_plugins.suppliers.payload import read_reply
    from dsr_plugins.suppliers.signing import SignatureError, check_signature

    with ctx.store.session() as session:
        row = notices.get(session, notice_ref, lock=True)
        supplier = notices.supplier_of(session, row)
        if supplier.protocol == "email" or not supplier.secret_env:
            raise UserError(f"{supplier.name} has no webhook secret to check a callback with")
        secret = os.environ.get(supplier.secret_env)
        if not secret:
            raise UserError(
                f"the webhook secret of {supplier.name} is not set: put it in the environment "
                f"variable {supplier.secret_env}"
            )
        try:
            check_signature(secret, headers, body)
        except (SignatureError, ValueError) as exc:
            raise UserError(f"callback for {row.notice_id} refused: {exc}") from None
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError:
            raise UserError(f"callback for {row.notice_id} refused: not JSON") from None
        confirmed, facts = read_reply(payload, DeliveryProtocol(supplier.protocol))
        if facts.get("reference") is not None:
            row.reference = str(facts["reference"])[:200]
        state = notices.NoticeState(row.state)
        if confirmed and state.is_open:
            status = facts.get("reply_status", "done")
            notices.ack(session, row, actor=ctx.actor, note=f"callback: {status}", how="callback")
        else:
            audit.append(
                session,
                "notice.callback",
                actor=ctx.actor,
                request_id=row.request_id,
                data={
                    "notice_id": row.notice_id,
                    "supplier": supplier.name,
                    "status": facts.get("reply_status"),
                },
            )
        return {
            "notice_id": row.notice_id,
            "request_id": row.request_id,
            "supplier": supplier.name,
            "confirmed": confirmed,
            "state": row.state,
            **facts,
        }
