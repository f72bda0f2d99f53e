"""Erasure: unlink where Odoo allows it, anonymise where invoices hold the partner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Outcome, Subject
from dsr_core.systems import PermanentError
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.fake_odoo import FakeOdoo

JAN = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))
AN = Subject("An", (Identity(IdentityKind.PHONE, "093771234"),))


def _erase(system: OdooSystem, subject: Subject, *, dry_run: bool = False) -> dict[str, Outcome]:
    return {o.record_id: o for o in system.erase(subject, system.locate(subject), dry_run=dry_run)}


def test_partner_without_invoices_is_deleted(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    outcomes = _erase(make_system(), AN)
    assert [(k, o.action) for k, o in outcomes.items()] == [("res.partner/8", Action.ERASED)]
    assert odoo.get("res.partner", 8) is None


def test_invoiced_partner_is_anonymised_and_invoices_kept(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    system = make_system(retention_basis="WBTW art. 60", invoice_retention="10 years")
    outcomes = _erase(system, JAN)

    invoice = outcomes["account.move/50"]
    assert invoice.action == Action.KEPT
    assert invoice.basis == "WBTW art. 60"
    assert invoice.until == date(2034, 3, 5)  # invoice date + 10 years
    assert outcomes["sale.order/60"].action == Action.KEPT  # confirmed and invoiced
    assert outcomes["sale.order/60"].until == date(2034, 3, 1)
    assert outcomes["sale.order/61"].action == Action.ERASED  # a draft quotation
    assert outcomes["res.partner/9"].action == Action.ERASED  # the child address
    partner = outcomes["res.partner/7"]
    assert partner.action == Action.ANONYMISED
    assert "refused to delete" in partner.detail

    row = odoo.get("res.partner", 7)
    assert row is not None
    assert row["name"].startswith("Anonymised ") and "Jan" not in row["name"]
    for name in ("email", "phone", "mobile", "street", "city", "zip", "vat", "active"):
        assert row[name] is False, name
    assert odoo.get("sale.order", 61) is None and odoo.get("res.partner", 9) is None
    assert odoo.get("account.move", 50) is not None
    assert not any(o.action == Action.KEPT and not o.until for o in outcomes.values())


def test_second_erasure_by_customer_id_changes_nothing(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    system = make_system()
    first = list(system.locate(JAN))
    list(system.erase(JAN, first, dry_run=False))
    expanded = JAN.with_identities(first)  # as the core holds the subject afterwards
    again = list(system.erase(expanded, system.locate(expanded), dry_run=False))
    assert again, "the anonymised partner and its invoices are still there"
    assert not [o for o in again if o.action in (Action.ERASED, Action.ANONYMISED)]
    assert {o.action for o in again} == {Action.KEPT, Action.UNCHANGED}


def test_dry_run_predicts_and_changes_nothing(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    before = {m: {k: dict(v) for k, v in rows.items()} for m, rows in odoo.records.items()}
    outcomes = _erase(make_system(), JAN, dry_run=True)
    assert outcomes["res.partner/7"].action == Action.ANONYMISED
    assert outcomes["res.partner/9"].action == Action.ERASED
    assert outcomes["sale.order/61"].action == Action.ERASED
    assert outcomes["account.move/50"].action == Action.KEPT
    assert odoo.records == before
    assert not [c for c in odoo.requests if c.endswith((".unlink", ".write", ".create"))]


def test_partner_held_by_an_order_only_is_anonymised(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    odoo.add(
        "sale.order",
        id=70,
        name="S00070",
        state="sale",
        date_order="2025-01-10",
        partner_id=8,
        partner_invoice_id=8,
    )
    outcomes = _erase(make_system(invoice_retention="7 years"), AN)
    assert outcomes["sale.order/70"].action == Action.KEPT
    assert outcomes["sale.order/70"].until == date(2032, 1, 10)
    assert outcomes["res.partner/8"].action == Action.ANONYMISED
    assert "refused to delete" in outcomes["res.partner/8"].detail


def test_vat_odoo_will_not_change_is_kept_and_said(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    odoo.refuse_vat_change = True
    outcomes = _erase(make_system(), JAN)
    partner = outcomes["res.partner/7"]
    assert partner.action == Action.ANONYMISED
    assert "refused to change vat" in partner.detail
    row = odoo.get("res.partner", 7)
    assert row is not None and row["email"] is False and row["vat"] == "BE0123456789"


def test_refused_order_deletion_is_a_one_line_error(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dsr_plugins.crm.odoo as module

    monkeypatch.setattr(module, "ERASABLE_ORDER_STATES", ("draft", "cancel", "sale"))
    odoo.records["account.move"].clear()
    odoo.records["sale.order"][60]["invoice_ids"] = []
    with pytest.raises(PermanentError) as info:
        list(make_system().erase(JAN, make_system().locate(JAN), dry_run=False))
    assert "sale.order/60" in str(info.value) and "\n" not in str(info.value)


def test_anonymisation_without_fields_get_still_clears_mobile(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    odoo.refused_methods.add("fields_get")
    odoo.records["res.partner"][7]["mobile"] = "+32 478 00 11 22"
    outcomes = _erase(make_system(), JAN)
    assert outcomes["res.partner/7"].action == Action.ANONYMISED
    row = odoo.get("res.partner", 7)
    assert row is not None and row["mobile"] is False and row["phone"] is False
