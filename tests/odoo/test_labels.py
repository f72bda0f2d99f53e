"""The odoo type declares labels in nl, en and fr and a kind for every category and field of
the records it yields from the fake Odoo (issue 12)."""

from __future__ import annotations

from collections.abc import Callable

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_plugins.crm.odoo import OdooSystem
from tests.labels import assert_labelled, field_of


def test_every_field_and_category_is_labelled(make_system: Callable[..., OdooSystem]) -> None:
    system = make_system()
    subject = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))
    seen = assert_labelled(system, system.access(subject, system.locate(subject)))
    assert {c for c, _ in seen} == {"contact", "contract", "invoice"}
    assert field_of(system, "invoice", "name").labels["nl"] == "Factuurnummer"
    assert field_of(system, "contact", "name").labels["nl"] == "Naam"
    assert field_of(system, "invoice", "amount_total").kind == "amount"
    assert field_of(system, "contract", "invoice_ids").kind == "technical"
