"""A company's contact person: Odoo keeps its address and VAT in sync with the company
(``res.partner._fields_sync``, both ways since Odoo 18), so writing them on the person changes
the company (issue 10). dsr never writes a synchronised field, and fails (rolled back) if a
write changed the parent anyway."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Outcome, Subject
from dsr_core.systems import PermanentError
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.conftest import COMPANY, COMPANY_ADDRESS, file_under_company
from tests.odoo.fake_odoo import FakeOdoo

JAN = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))


def _company(odoo: FakeOdoo) -> dict[str, object]:
    row = odoo.get("res.partner", COMPANY)
    assert row is not None
    return {k: row.get(k) for k in ("name", "street", "zip", "city", "country_id", "vat")}


def _erase(system: OdooSystem) -> dict[str, Outcome]:
    return {o.record_id: o for o in system.erase(JAN, system.locate(JAN), dry_run=False)}


def test_erasing_an_invoiced_contact_person_leaves_the_company_alone(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    file_under_company(odoo)
    before = _company(odoo)
    outcomes = _erase(make_system(children="none"))
    assert _company(odoo) == before
    jan = odoo.get("res.partner", 7)
    assert jan is not None and jan["email"] is False and jan["phone"] is False
    assert jan["street"] == COMPANY_ADDRESS["street"]  # the company's address, not his
    street = outcomes["res.partner/7#street"]
    assert street.action == Action.UNCHANGED and f"res.partner/{COMPANY}" in street.detail


def test_erasing_a_contact_person_held_by_an_order_leaves_the_company_alone(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    file_under_company(odoo)
    odoo.records["account.move"].clear()  # only the confirmed order holds him now
    odoo.records["sale.order"][60]["invoice_ids"] = []
    before = _company(odoo)
    outcomes = _erase(make_system(children="none"))
    assert _company(odoo) == before
    assert outcomes["res.partner/7"].action == Action.ANONYMISED
    jan = odoo.get("res.partner", 7)
    assert jan is not None and jan["name"].startswith("Anonymised ")
    assert jan["city"] == COMPANY_ADDRESS["city"] and jan["vat"] == COMPANY_ADDRESS["vat"]


def test_rectifying_a_contact_persons_address_is_refused_and_writes_nothing(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    file_under_company(odoo)
    before = _company(odoo)
    system = make_system()
    keys = system.locate(JAN)
    with pytest.raises(PermanentError) as info:
        list(
            system.rectify(
                JAN, keys, {"street": "Nieuwstraat 5", "phone": "0478 11 22 33"}, dry_run=False
            )
        )
    message = str(info.value)
    assert "street" in message and f"res.partner/{COMPANY}" in message and "\n" not in message
    assert _company(odoo) == before
    jan = odoo.get("res.partner", 7)
    assert jan is not None and jan["phone"] == "0477 12 34 56"  # nothing half-written
    assert not [c for c in odoo.requests if c == "res.partner.write"]


def test_rectifying_a_contact_persons_own_fields_works(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    file_under_company(odoo)
    before = _company(odoo)
    system = make_system()
    outcomes = list(
        system.rectify(JAN, system.locate(JAN), {"phone": "0478 11 22 33"}, dry_run=False)
    )
    assert [o.action for o in outcomes] == [Action.RECTIFIED]
    assert odoo.get("res.partner", 7)["phone"] == "0478 11 22 33"  # type: ignore[index]
    assert _company(odoo) == before


def test_a_write_that_changes_the_parent_anyway_is_rolled_back_and_fails(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """A module may extend ``_synced_commercial_fields`` (its docstring invites it): dsr
    cannot know every synced field, so it re-reads the parent after each write."""
    file_under_company(odoo)
    odoo.records["res.partner"][COMPANY]["website"] = "https://peetersbouw.be"
    odoo.records["res.partner"][7]["website"] = "https://peetersbouw.be"
    odoo.synced_commercial_fields.append("website")
    system = make_system()
    keys = system.locate(JAN)
    with pytest.raises(PermanentError) as info:
        list(system.rectify(JAN, keys, {"website": "https://jan.example.be"}, dry_run=False))
    assert f"res.partner/{COMPANY}" in str(info.value) and "rolled back" in str(info.value)
    assert odoo.get("res.partner", COMPANY)["website"] == "https://peetersbouw.be"  # type: ignore[index]
    assert odoo.get("res.partner", 7)["website"] == "https://peetersbouw.be"  # type: ignore[index]


def test_erasing_a_company_leaves_its_contact_persons_address_alone(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """Downstream too: a company's address is written on its contacts by Odoo."""
    file_under_company(odoo)
    odoo.add(
        "sale.order",
        id=80,
        name="S00080",
        state="sale",
        date_order="2025-02-01",
        partner_id=COMPANY,
        partner_invoice_id=COMPANY,
    )
    company = Subject("Peeters Bouw", (Identity(IdentityKind.EMAIL, "info@peetersbouw.be"),))
    system = make_system(children="addresses")  # Jan is not part of the company's records
    outcomes = {
        o.record_id: o for o in system.erase(company, system.locate(company), dry_run=False)
    }
    assert outcomes[f"res.partner/{COMPANY}"].action == Action.ANONYMISED
    row = odoo.get("res.partner", COMPANY)
    assert row is not None and row["email"] is False and row["name"].startswith("Anonymised ")
    jan = odoo.get("res.partner", 7)
    assert jan is not None
    for name, value in COMPANY_ADDRESS.items():
        assert jan[name] == value, name
    assert outcomes[f"res.partner/{COMPANY}#street"].action == Action.UNCHANGED
    assert "res.partner/7" in outcomes[f"res.partner/{COMPANY}#street"].detail
