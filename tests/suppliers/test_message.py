"""The notice value types: validation and the stable ids a resend relies on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from dsr_core.model import Identity, IdentityKind, RequestKind
from dsr_plugins.suppliers.message import (
    Controller,
    DeliveryProtocol,
    DeliveryResult,
    Language,
    Notice,
    NoticeKind,
    Supplier,
    SupplierRole,
    make_message_id,
    make_webhook_id,
)

from .conftest import SECRET, hook_supplier


def test_ids_are_derived_from_the_notice_id_and_stable(
    make_notice: Callable[..., Notice], controller: Controller
) -> None:
    first, again = make_notice(), make_notice()
    assert first.message_id == again.message_id == "<dsr-notice.N-12-3@voxtra.be>"
    assert first.webhook_id == again.webhook_id == "msg_N-12-3"
    assert make_message_id("N-12-3", controller) == first.message_id
    assert make_webhook_id("N-12-3") == first.webhook_id
    assert make_notice(notice_id="N-12-4").message_id != first.message_id


def test_message_id_uses_an_idna_domain() -> None:
    ctl = Controller("Café", "info@café.be")
    assert make_message_id("N-1-1", ctl) == "<dsr-notice.N-1-1@xn--caf-dma.be>"


def test_create_accepts_core_identities(controller: Controller) -> None:
    notice = Notice.create(
        notice_id="N-1-2",
        request_id=1,
        kind="restriction",
        identities=[Identity(IdentityKind.PHONE, "+3292345678"), ("customer_id", "C-77")],
        confirm_by=date(2025, 1, 31),
        controller=controller,
    )
    assert notice.identities == (("phone", "+3292345678"), ("customer_id", "C-77"))
    assert notice.kind == RequestKind.RESTRICTION and notice.kind is NoticeKind.RESTRICTION
    assert notice.article == "18"
    assert notice.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"notice_id": "../etc/passwd"}, "notice_id"),
        ({"notice_id": "N 1"}, "notice_id"),
        ({"kind": "access"}, "not notified"),
        ({"identities": []}, "no identity"),
        ({"kind": "rectification", "changes": {}}, "no changes"),
        ({"changes": {"email": "x@y.be"}}, "only a rectification"),
        ({"created_at": datetime(2025, 1, 1)}, "timezone-aware"),
    ],
)
def test_rejects_unusable_notices(
    make_notice: Callable[..., Notice], overrides: dict, message: str
) -> None:
    kind = overrides.pop("kind", "erasure")
    with pytest.raises(ValueError, match=message):
        make_notice(kind, **overrides)


def test_supplier_converts_strings_and_hides_its_secret() -> None:
    supplier = hook_supplier("https://hooks.example/dsr", protocol="opendsr")
    assert supplier.role is SupplierRole.PROCESSOR
    assert supplier.language is Language.EN
    assert supplier.protocol is DeliveryProtocol.OPENDSR
    assert SECRET not in repr(supplier)


def test_webhook_suppliers_need_a_url() -> None:
    with pytest.raises(ValueError, match="no webhook_url"):
        Supplier("X", "processor", "nl", "a@b.be", protocol="webhook")
    with pytest.raises(ValueError, match="e-mail"):
        Supplier("X", "processor", "nl", "not-an-address")
    with pytest.raises(ValueError):
        Supplier("X", "landlord", "nl", "a@b.be")
    with pytest.raises(ValueError, match="one non-empty line"):
        Controller("Evil\r\nBcc: x@y.be", "a@b.be")


def test_delivery_result_helpers() -> None:
    assert DeliveryResult(delivered=False).retry_later
    assert not DeliveryResult(delivered=False, permanent=True).retry_later
    assert not DeliveryResult(delivered=True).retry_later
    assert DeliveryResult(delivered=True, detail={"status_code": 200}).to_json() == {
        "delivered": True,
        "confirmed": False,
        "disable_endpoint": False,
        "permanent": False,
        "error": None,
        "detail": {"status_code": 200},
    }
