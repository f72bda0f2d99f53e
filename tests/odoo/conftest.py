"""Fixtures: a fake Odoo on a free port, seeded with a few customers, and systems on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dsr_core.testing import make_context
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.fake_odoo import FakeOdoo

TODAY = date(2026, 11, 26)
API_KEY = "odoo-test-key-5f0c1d"


def seed(odoo: FakeOdoo) -> dict[str, int]:
    """Jan (invoiced customer with an address and two orders), An (no invoices), decoys."""
    be = odoo.add("res.country", name="Belgium")
    jan = odoo.add(
        "res.partner",
        id=7,
        name="Jan Peeters",
        email='"Jan Peeters" <Jan.Peeters@Example.be>',
        phone="0477 12 34 56",
        street="Kerkstraat 1",
        zip="9000",
        city="Gent",
        country_id=be,
        vat="BE0123456789",
    )
    address = odoo.add(
        "res.partner", id=9, name="Jan Peeters", type="invoice", parent_id=jan, street="Veld 2"
    )
    an = odoo.add(
        "res.partner", id=8, name="An Janssens", email="an@example.be", phone="+32 9 377 12 34"
    )
    odoo.add("res.partner", id=20, name="Venlo BV", phone="+31 77 123 4567")  # same digits
    odoo.add("res.partner", id=21, name="Piet", email="piet@example.be", phone="0477 99 88 77")
    invoice = odoo.add(
        "account.move",
        id=50,
        name="INV/2024/00001",
        move_type="out_invoice",
        state="posted",
        invoice_date="2024-03-05",
        date="2024-03-05",
        partner_id=jan,
        amount_total=121.0,
        payment_state="paid",
    )
    odoo.add(
        "account.move",
        id=51,
        name="BILL/2024/0001",
        move_type="in_invoice",
        state="posted",
        invoice_date="2024-01-01",
        partner_id=jan,
    )
    confirmed = odoo.add(
        "sale.order",
        id=60,
        name="S00060",
        state="sale",
        date_order="2024-03-01 10:00:00",
        partner_id=jan,
        partner_invoice_id=jan,
        partner_shipping_id=jan,
        amount_total=121.0,
        invoice_ids=[invoice],
    )
    quotation = odoo.add(
        "sale.order",
        id=61,
        name="S00061",
        state="draft",
        date_order="2025-06-01 09:00:00",
        partner_id=jan,
        partner_invoice_id=jan,
        partner_shipping_id=jan,
        amount_total=50.0,
    )
    return {
        "jan": jan,
        "address": address,
        "an": an,
        "invoice": invoice,
        "confirmed": confirmed,
        "quotation": quotation,
    }


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo(api_key=API_KEY)
    seed(fake)
    with fake.serve():
        yield fake


@pytest.fixture(params=["json2", "xmlrpc"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def config_for(odoo: FakeOdoo, protocol: str, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "url": odoo.url,
        "api_key": API_KEY,
        "database": odoo.database,
        "protocol": protocol,
        "backoff": 0.001,
        "backoff_max": 0.01,
        "request_timeout": 2,
    }
    if protocol == "xmlrpc":
        config["username"] = odoo.username
    config.update(extra)
    return config


@pytest.fixture
def make_system(odoo: FakeOdoo, protocol: str, tmp_path: Path) -> Callable[..., OdooSystem]:
    def make(**extra: Any) -> OdooSystem:
        return OdooSystem(
            "odoo",
            config_for(odoo, protocol, **extra),
            make_context("odoo", tmp_path, today=TODAY),
        )

    return make


COMPANY = 5
COMPANY_ADDRESS = {"street": "Dok Noord 3", "zip": "9000", "city": "Gent", "vat": "BE0999888777"}


def file_under_company(odoo: FakeOdoo) -> int:
    """Make Jan (7) the contact person of "Peeters Bouw BV" (5), as Odoo keeps it: a child of
    type ``contact`` whose address and VAT are the company's (``_fields_sync``)."""
    odoo.add(
        "res.partner",
        id=COMPANY,
        name="Peeters Bouw BV",
        is_company=True,
        country_id=odoo.records["res.partner"][7]["country_id"],
        email="info@peetersbouw.be",
        **COMPANY_ADDRESS,
    )
    odoo.records["res.partner"][7].update(parent_id=COMPANY, type="contact", **COMPANY_ADDRESS)
    return COMPANY


def tracked_write(odoo: FakeOdoo, pid: int, **vals: Any) -> None:
    """A change made in Odoo's own interface (tracking on), leaving chatter history."""
    odoo.execute("res.partner", "write", [pid], {"vals": vals})
