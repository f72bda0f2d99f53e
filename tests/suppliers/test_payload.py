"""The JSON bodies sent to webhook suppliers and how their replies are read."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from dsr_plugins.suppliers.message import Controller, DeliveryProtocol, Notice
from dsr_plugins.suppliers.payload import (
    build_body,
    notice_document,
    opendsr_document,
    opendsr_request_id,
    read_reply,
)

URL = "https://dsr.cloudpbx.example/v1/opendsr_requests"


def test_dsr_notice_document(make_notice: Callable[..., Notice], controller: Controller) -> None:
    notice = make_notice(
        "rectification", status_callback_url="https://dsr.voxtra.be/callbacks/N-12-3"
    )
    doc = notice_document(notice, controller)
    assert doc["type"] == "dsr.notice.rectification"
    assert doc["timestamp"] == "2025-07-02T09:30:00Z"
    assert doc["data"] == {
        "notice_id": "N-12-3",
        "kind": "rectification",
        "articles": ["GDPR Art. 16", "GDPR Art. 19"],
        "identities": [
            {"kind": "email", "value": "jan.peeters@example.org"},
            {"kind": "phone", "value": "+32477123456"},
        ],
        "changes": {"email": "jan@peeters.example"},
        "confirm_by": "2025-08-01",
        "status_callback_url": "https://dsr.voxtra.be/callbacks/N-12-3",
        "controller": {"name": "Voxtra bvba", "email": "administratie@voxtra.be"},
    }
    assert "request_id" not in json.dumps(doc)


def test_opendsr_document_shape(make_notice: Callable[..., Notice]) -> None:
    notice = make_notice(
        identities=[("email", "jan@example.org"), ("phone", "+32477123456"), ("name", "Jan")],
        status_callback_url="https://dsr.voxtra.be/opendsr/callbacks",
    )
    doc = opendsr_document(notice, URL)
    assert doc["subject_request_type"] == "erasure"
    assert doc["api_version"] == "0.1"
    assert doc["submitted_time"] == "2025-07-02T09:30:00Z"
    assert doc["status_callback_urls"] == ["https://dsr.voxtra.be/opendsr/callbacks"]
    assert doc["subject_identities"] == [
        {"identity_type": "email", "identity_value": "jan@example.org", "identity_format": "raw"},
        {
            "identity_type": "phone_number",
            "identity_value": "+32477123456",
            "identity_format": "raw",
        },
    ]
    extension = doc["extensions"]["dsr.cloudpbx.example"]
    assert extension["dsr_notice_id"] == "N-12-3"
    assert extension["other_identities"] == [{"kind": "name", "value": "Jan"}]


@pytest.mark.parametrize("kind", ["rectification", "restriction"])
def test_opendsr_never_turns_other_kinds_into_erasure(
    make_notice: Callable[..., Notice], kind: str
) -> None:
    doc = opendsr_document(make_notice(kind), URL)
    assert doc["subject_request_type"] == kind
    if kind == "rectification":
        assert doc["extensions"]["dsr.cloudpbx.example"]["changes"] == {
            "email": "jan@peeters.example"
        }


def test_opendsr_request_id_is_stable_lowercase_v4(
    make_notice: Callable[..., Notice], controller: Controller
) -> None:
    rid = opendsr_request_id(make_notice())
    assert rid == opendsr_request_id(make_notice())
    assert rid == rid.lower()
    assert uuid.UUID(rid).version == 4
    assert rid != opendsr_request_id(make_notice(notice_id="N-12-4"))
    other = Controller("Andere bv", "info@andere.be")
    assert rid != opendsr_request_id(
        Notice.create(
            notice_id="N-12-3",
            request_id=12,
            kind="erasure",
            identities=[("email", "x@y.be")],
            confirm_by=make_notice().confirm_by,
            controller=other,
        )
    )


def test_body_is_identical_on_every_build(make_notice: Callable[..., Notice]) -> None:
    for protocol in (DeliveryProtocol.WEBHOOK, DeliveryProtocol.OPENDSR):
        assert build_body(make_notice(), protocol, URL) == build_body(make_notice(), protocol, URL)
    with pytest.raises(ValueError):
        build_body(make_notice(), DeliveryProtocol.EMAIL, URL)


@pytest.mark.parametrize(
    ("payload", "protocol", "confirmed", "facts"),
    [
        ({"status": "done", "reference": "T-991"}, "webhook", True, {"reference": "T-991"}),
        ({"status": "Confirmed", "id": 42}, "webhook", True, {"reference": 42}),
        ({"status": "received"}, "webhook", False, {"reply_status": "received"}),
        ({"request_status": "completed"}, "webhook", False, {}),
        (
            {"request_status": "completed", "encoded_request": "eyJzdWJqZWN0..."},
            "opendsr",
            True,
            {"reply_status": "completed"},
        ),
        (
            {"request_status": "pending", "expected_completion_time": "2025-08-01T00:00:00Z"},
            "opendsr",
            False,
            {"reply_status": "pending", "expected_completion_time": "2025-08-01T00:00:00Z"},
        ),
        ("done", "webhook", False, {}),
        (None, "opendsr", False, {}),
    ],
)
def test_read_reply(payload: object, protocol: str, confirmed: bool, facts: dict) -> None:
    got_confirmed, got_facts = read_reply(payload, DeliveryProtocol(protocol))
    assert got_confirmed is confirmed
    assert facts.items() <= got_facts.items()
    assert "encoded_request" not in got_facts
