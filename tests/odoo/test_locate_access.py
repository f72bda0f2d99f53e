"""Finding partners by e-mail and phone as Odoo stores them, and what access returns."""

from __future__ import annotations

from collections.abc import Callable

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.fake_odoo import FakeOdoo

EMAIL, PHONE, CUSTOMER_ID = IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.CUSTOMER_ID


def test_email_matches_case_and_display_name(make_system: Callable[..., OdooSystem]) -> None:
    system = make_system()
    keys = system.locate(Subject("Jan", (Identity(EMAIL, "JAN.peeters@example.be"),)))
    assert Identity(CUSTOMER_ID, "7", system="odoo", source="odoo") in keys
    assert Identity(EMAIL, "jan.peeters@example.be", source="odoo") in keys
    assert Identity(PHONE, "+32477123456", source="odoo") in keys
    assert all(k.source == "odoo" for k in keys)


def test_phone_typed_otherwise_is_found_and_lookalikes_are_not(
    make_system: Callable[..., OdooSystem],
) -> None:
    system = make_system()
    for typed in ("+32477123456", "0032 477 12 34 56", "32477123456", "0477/12.34.56"):
        keys = system.locate(Subject("Jan", (Identity(PHONE, typed),)))
        ids = {k.value for k in keys if k.kind == CUSTOMER_ID}
        assert ids == {"7"}, typed  # not 20: +31 77 123 4567 holds the same eight digits


def test_landline_and_customer_id(make_system: Callable[..., OdooSystem]) -> None:
    system = make_system()
    keys = system.locate(Subject("An", (Identity(PHONE, "09 377 12 34"),)))
    assert {k.value for k in keys if k.kind == CUSTOMER_ID} == {"8"}
    by_id = system.locate(Subject("An", (Identity(CUSTOMER_ID, "8", system="odoo"),)))
    assert Identity(EMAIL, "an@example.be", source="odoo") in by_id


def test_customer_ids_of_other_systems_or_the_request_are_not_partner_ids(
    make_system: Callable[..., OdooSystem],
) -> None:
    subject = Subject("?", (Identity(CUSTOMER_ID, "8", system="pbx"), Identity(CUSTOMER_ID, "7")))
    assert make_system().locate(subject) == []
    trusting = make_system(request_customer_ids=True)
    assert {k.value for k in trusting.locate(subject) if k.kind == CUSTOMER_ID} == {"7"}


def test_access_returns_contacts_orders_and_customer_invoices(
    make_system: Callable[..., OdooSystem],
) -> None:
    system = make_system()
    subject = Subject("Jan", (Identity(EMAIL, "jan.peeters@example.be"),))
    records = list(system.access(subject, system.locate(subject)))
    by_id = {r.record_id: r for r in records}
    assert set(by_id) == {
        "res.partner/7",
        "res.partner/9",  # the child invoice address
        "sale.order/60",
        "sale.order/61",
        "account.move/50",  # not the vendor bill 51
    }
    assert by_id["res.partner/7"].category == "contact"
    assert by_id["res.partner/7"].fields["country_id"] == "Belgium"
    assert by_id["res.partner/7"].fields["mobile"] is None  # False becomes None
    assert by_id["res.partner/9"].fields["parent_id"] == "Jan Peeters"
    assert by_id["sale.order/60"].category == "contract"
    assert by_id["account.move/50"].category == "invoice"
    assert by_id["account.move/50"].provided_by_subject is False
    assert all(r.system == "odoo" for r in records)


def test_children_setting(make_system: Callable[..., OdooSystem], odoo: FakeOdoo) -> None:
    odoo.add("res.partner", id=30, name="Colleague", type="contact", parent_id=7)
    subject = Subject("Jan", (Identity(CUSTOMER_ID, "7", system="odoo"),))
    ids = lambda s: {r.record_id for r in s.access(subject, s.locate(subject))}  # noqa: E731
    assert {"res.partner/9", "res.partner/30"} <= ids(make_system())
    addresses = ids(make_system(children="addresses"))
    assert "res.partner/9" in addresses and "res.partner/30" not in addresses
    assert not {"res.partner/9", "res.partner/30"} & ids(make_system(children="none"))


def test_database_without_mobile_field(
    odoo: FakeOdoo, make_system: Callable[..., OdooSystem]
) -> None:
    odoo.schema["res.partner"].pop("mobile")  # Odoo 18 dropped it
    system = make_system()
    keys = system.locate(Subject("Jan", (Identity(PHONE, "+32477123456"),)))
    assert {k.value for k in keys if k.kind == CUSTOMER_ID} == {"7"}


def test_paging_through_many_partners(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    for n in range(450):
        odoo.add("res.partner", name=f"Clone {n}", email="clone@example.be")
    system = make_system()
    keys = system.locate(Subject("Clone", (Identity(EMAIL, "clone@example.be"),)))
    assert len([k for k in keys if k.kind == CUSTOMER_ID]) == 450
    assert odoo.count("res.partner.search_read") == 3  # 200 + 200 + 50


def test_without_fields_get_the_standard_fields_are_assumed(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    odoo.refused_methods.add("fields_get")
    odoo.schema["res.partner"].pop("mobile")  # and nothing may ask for it
    system = make_system()
    subject = Subject("Jan", (Identity(PHONE, "0477123456"),))
    keys = system.locate(subject)
    assert {k.value for k in keys if k.kind == CUSTOMER_ID} == {"7"}
    records = {r.record_id: r for r in system.access(subject, keys)}
    assert records["res.partner/7"].fields["country_id"] == "Belgium"
    outcomes = {o.record_id: o.action for o in system.erase(subject, keys, dry_run=False)}
    assert outcomes["res.partner/7"].value == "anonymised"
    assert odoo.get("res.partner", 7)["email"] is False  # type: ignore[index]


def test_one_locate_follows_what_the_partners_found_say(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """The core does not ask a system again for identities it found itself (System.locate):
    a second partner sharing the first one's number is found in the same call."""
    odoo.add("res.partner", id=31, name="J. Peeters (shop)", phone="0477 12 34 56")
    system = make_system()
    keys = system.locate(Subject("Jan", (Identity(EMAIL, "jan.peeters@example.be"),)))
    assert {k.value for k in keys if k.kind == CUSTOMER_ID} == {"7", "31"}
