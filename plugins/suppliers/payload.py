"""The JSON documents sent to webhook suppliers, and how their replies are read.

``webhook`` protocol: a Standard Webhooks style event ``{"type", "timestamp", "data"}`` (type
``dsr.notice.<kind>``: ``erasure``, ``rectification``, ``restriction``, ``restriction-lift``) whose
``data`` is the notice (id, kind, articles, identities, changes, confirm_by, callback URL).
The request id stays home: the supplier needs the notice id only.

``opendsr`` protocol: an OpenDSR (formerly OpenGDPR) request. OpenDSR knows only the request
types ``erasure``, ``access`` and ``portability``; an erasure is sent as ``erasure``. A
rectification or restriction has no OpenDSR type, and sending it as ``erasure`` would destroy
data the subject did not ask to destroy, so it is sent with ``subject_request_type``
``"rectification"`` / ``"restriction"`` (the GDPR words; the notice that a restriction was
lifted, ``"restriction-lift"``) and the details (changes, confirm_by,
notice id) in ``extensions`` under the processor's host name. A processor that does not support
it answers 400, which is a permanent failure: the core then sends that notice by e-mail.

Identity types: ``email`` -> ``email``, ``phone`` -> ``phone_number`` (E.164, not in the
OpenDSR key list but widely used), ``customer_id`` -> ``controller_customer_id``. Kinds OpenDSR
has no key for (name, VAT number...) travel in the extension object, not in
``subject_identities``, so that a strict processor does not reject the request.

``subject_request_id`` is stable across resends: the first 128 bits of a UUIDv5 (SHA-1) of the
notice's Message-ID (which holds the notice id and the controller's domain, so two controllers'
"N-12-3" differ), with the version bits set to 4 because OpenDSR requires lowercase v4 ids.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .message import Controller, DeliveryProtocol, Notice

OPENDSR_API_VERSION = "0.1"
NOTICE_EVENT_PREFIX = "dsr.notice."

#: Namespace of the UUIDv5 behind ``subject_request_id``.
DSR_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:dsr:supplier-notice")

_OPENDSR_IDENTITY_TYPES = {
    "email": "email",
    "phone": "phone_number",
    "customer_id": "controller_customer_id",
}

#: Reply statuses (webhook protocol) that mean "the work is done".
DONE_STATUSES = frozenset({"done", "confirmed", "completed"})


def rfc3339(moment: datetime) -> str:
    """``2025-07-01T10:00:00Z``: UTC, whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def opendsr_request_id(notice: Notice) -> str:
    """The notice's OpenDSR ``subject_request_id`` (stable, lowercase, v4-shaped)."""
    derived = uuid.uuid5(DSR_NAMESPACE, notice.message_id)
    return str(uuid.UUID(bytes=derived.bytes, version=4))


def notice_document(notice: Notice, controller: Controller | None = None) -> dict[str, Any]:
    """The ``webhook`` protocol body."""
    data: dict[str, Any] = {
        "notice_id": notice.notice_id,
        "kind": str(notice.kind),
        "articles": [f"GDPR Art. {notice.article}", "GDPR Art. 19"],
        "identities": [{"kind": k, "value": v} for k, v in notice.identities],
        "changes": dict(notice.changes),
        "confirm_by": notice.confirm_by.isoformat(),
    }
    if notice.status_callback_url:
        data["status_callback_url"] = notice.status_callback_url
    if controller is not None:
        data["controller"] = {"name": controller.name, "email": controller.email}
    return {
        "type": NOTICE_EVENT_PREFIX + str(notice.kind),
        "timestamp": rfc3339(notice.created_at),
        "data": data,
    }


def opendsr_document(notice: Notice, webhook_url: str) -> dict[str, Any]:
    """The ``opendsr`` protocol body (see the module docstring for the mappings)."""
    identities = []
    others = []
    for kind, value in notice.identities:
        identity_type = _OPENDSR_IDENTITY_TYPES.get(kind)
        if identity_type is None:
            others.append({"kind": kind, "value": value})
        else:
            identities.append(
                {"identity_type": identity_type, "identity_value": value, "identity_format": "raw"}
            )
    extension: dict[str, Any] = {
        "dsr_notice_id": notice.notice_id,
        "gdpr_articles": [notice.article, "19"],
        "confirm_by": notice.confirm_by.isoformat(),
    }
    if notice.changes:
        extension["changes"] = dict(notice.changes)
    if others:
        extension["other_identities"] = others
    host = (urlsplit(webhook_url).hostname or "processor").lower()
    return {
        "subject_request_id": opendsr_request_id(notice),
        "subject_request_type": str(notice.kind),
        "submitted_time": rfc3339(notice.created_at),
        "subject_identities": identities,
        "api_version": OPENDSR_API_VERSION,
        "regulation": "gdpr",
        "status_callback_urls": [notice.status_callback_url] if notice.status_callback_url else [],
        "extensions": {host: extension},
    }


def build_body(
    notice: Notice,
    protocol: DeliveryProtocol,
    webhook_url: str,
    controller: Controller | None = None,
) -> bytes:
    """The exact bytes to sign and send: compact UTF-8 JSON, the same on every attempt."""
    if protocol is DeliveryProtocol.OPENDSR:
        document = opendsr_document(notice, webhook_url)
    elif protocol is DeliveryProtocol.WEBHOOK:
        document = notice_document(notice, controller)
    else:
        raise ValueError(f"{protocol} is not a webhook protocol")
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _short(value: object) -> str | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return value[:200]
    return None


def read_reply(payload: object, protocol: DeliveryProtocol) -> tuple[bool, dict[str, Any]]:
    """Reads a supplier's JSON reply (or status callback): ``(confirmed, facts)``.

    ``webhook``: ``{"status": "done"}`` (or ``"confirmed"``, ``"completed"``) confirms;
    ``reference`` (or ``id``) is the supplier's reference. ``opendsr``: ``request_status ==
    "completed"`` confirms.
    ``facts`` holds only short known fields (``reply_status``, ``reference``,
    ``expected_completion_time``), never the rest of the body: an OpenDSR reply echoes the
    whole request, identities included.
    """
    if not isinstance(payload, Mapping):
        return False, {}
    facts: dict[str, Any] = {}
    if protocol is DeliveryProtocol.OPENDSR:
        status = payload.get("request_status")
        reference = payload.get("subject_request_id")
        if (eta := _short(payload.get("expected_completion_time"))) is not None:
            facts["expected_completion_time"] = eta
        confirmed = isinstance(status, str) and status.lower() == "completed"
    else:
        status = payload.get("status")
        reference = payload.get("reference", payload.get("id"))
        confirmed = isinstance(status, str) and status.lower() in DONE_STATUSES
    if (short_status := _short(status)) is not None:
        facts["reply_status"] = short_status
    if (short_ref := _short(reference)) is not None:
        facts["reference"] = short_ref
    return confirmed, facts
