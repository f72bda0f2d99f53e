"""Erasure: unlink where Odoo allows it, anonymise where invoices hold the partner."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Outcome, Subject
from dsr_core.systems import PermanentError
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.conftest import TODAY, tracked_write
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


def test_invoiced_partner_keeps_what_the_invoices_need_and_loses_the_rest(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """Issue 10: anonymising the customer of posted invoices emptied their customer name
    (``invoice_partner_display_name`` is computed from the partner)."""
    odoo.records["res.partner"][7].update(
        mobile="+32 478 00 11 22", website="https://jan.example.be", comment="<p>calls late</p>"
    )
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

    shown = odoo.execute("account.move", "search_read", None, {"domain": [["id", "=", 50]]})
    assert shown[0]["invoice_partner_display_name"] == "Jan Peeters"
    row = odoo.get("res.partner", 7)
    assert row is not None
    for name, value in (
        ("name", "Jan Peeters"),
        ("street", "Kerkstraat 1"),
        ("zip", "9000"),
        ("city", "Gent"),
        ("vat", "BE0123456789"),
    ):
        assert row[name] == value, name
        kept = outcomes[f"res.partner/7#{name}"]
        assert kept.action == Action.KEPT and kept.basis == "WBTW art. 60", name
        assert kept.until == date(2034, 3, 5) and "account.move/50" in kept.detail, name
    assert outcomes["res.partner/7#country_id"].action == Action.KEPT
    for name in ("email", "phone", "mobile", "website", "comment"):
        assert row[name] is False, name
        assert outcomes[f"res.partner/7#{name}"].action == Action.ERASED, name
    assert row["active"] is False
    assert outcomes["res.partner/7"].action == Action.ANONYMISED
    assert "res.partner/7#image_1920" not in outcomes  # it held nothing
    assert not any(o.action == Action.KEPT and not o.until for o in outcomes.values())


def test_partner_of_invoices_past_their_retention_is_anonymised_whole(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """What the scheduled erasure does once the invoices' retention ended."""
    outcomes = _erase(make_system(invoice_retention="2 years"), JAN)  # 2024-03-05 + 2 years
    row = odoo.get("res.partner", 7)
    assert row is not None and row["name"].startswith("Anonymised ")
    assert row["street"] is False and row["vat"] is False
    assert not [
        k for k in outcomes if k.startswith("res.partner/7#") and outcomes[k].action == Action.KEPT
    ]
    # the invoice and the confirmed order are not "kept until" a day that has passed: Odoo keeps
    # the posted entry, which names only the anonymised contact now
    for record in ("account.move/50", "sale.order/60"):
        assert outcomes[record].action == Action.ANONYMISED, outcomes[record]
        assert outcomes[record].until is None
        assert "retention ended on 2026-03" in outcomes[record].detail
    assert not [o for o in outcomes.values() if o.until is not None and o.until < TODAY]


def test_an_old_invoice_shows_the_name_newer_invoices_keep(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """An invoice past its retention beside a newer one within it: the partner keeps its name
    for the newer one, so the old invoice still shows it, until the same day."""
    odoo.add(
        "account.move",
        id=52,
        name="INV/2026/00007",
        move_type="out_invoice",
        state="posted",
        invoice_date="2026-06-01",
        date="2026-06-01",
        partner_id=7,
        amount_total=60.5,
    )
    outcomes = _erase(make_system(invoice_retention="2 years"), JAN)
    assert outcomes["account.move/52"].action == Action.KEPT
    assert outcomes["account.move/52"].until == date(2028, 6, 1)
    old = outcomes["account.move/50"]
    assert old.action == Action.KEPT and old.until == date(2028, 6, 1), old
    assert "own retention ended on 2026-03-05" in old.detail
    assert outcomes["res.partner/7#name"].until == date(2028, 6, 1)
    assert not [o for o in outcomes.values() if o.until is not None and o.until < TODAY]


def test_erasure_writes_nothing_into_odoos_history_and_erases_the_old(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """Issue 10: the anonymising write ran with tracking on, so mail.tracking.value held the
    erased name, e-mail, phone and address; and the chatter from before stayed."""
    tracked_write(odoo, 7, phone="0477 12 34 56 (home)")  # history made in Odoo itself
    odoo.add("mail.followers", res_model="res.partner", res_id=7, partner_id=7)
    old_messages = sorted(odoo.records["mail.message"])
    old_values = sorted(odoo.records["mail.tracking.value"])
    assert old_messages and old_values
    outcomes = _erase(make_system(), JAN)

    stored = json.dumps(
        [odoo.records[m] for m in ("mail.message", "mail.tracking.value")], default=str
    )
    for erased in ("Jan.Peeters", "0477 12 34 56", "Kerkstraat"):
        assert erased not in stored
    assert not [m for m in odoo.records["mail.message"].values() if m["res_id"] in (7, 9)]
    assert not odoo.records["mail.followers"]
    for mid in old_messages:
        assert outcomes[f"mail.message/{mid}"].action == Action.ERASED
    for tid in old_values:
        assert outcomes[f"mail.tracking.value/{tid}"].action == Action.ERASED


def test_a_non_admin_api_user_still_erases_the_tracking_values(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """mail.tracking.value is admin-only: deleting the messages takes them along."""
    tracked_write(odoo, 7, phone="0477 12 34 57")
    odoo.admin = False
    message = max(odoo.records["mail.message"])
    outcomes = _erase(make_system(), JAN)
    assert outcomes[f"mail.message/{message}"].action == Action.ERASED
    assert not odoo.records["mail.tracking.value"] and not odoo.records["mail.message"]
    assert not [k for k in outcomes if k.startswith("mail.tracking.value/")]


def test_blacklist_entry_is_reported_kept_with_its_basis(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    entry = odoo.add("mail.blacklist", email="jan.peeters@example.be")
    outcomes = _erase(make_system(), JAN)
    kept = outcomes[f"mail.blacklist/{entry}"]
    assert kept.action == Action.KEPT and kept.until is not None
    assert kept.basis and "21" in kept.basis
    assert odoo.get("mail.blacklist", entry) is not None


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
    outcomes = _erase(make_system(invoice_retention="1 year"), JAN)  # past: anonymised whole
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
