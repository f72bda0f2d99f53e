"""Objection (mail.blacklist), rectification (allow-listed fields), restriction."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Subject
from dsr_core.systems import ManualStep, PermanentError
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.fake_odoo import FakeOdoo

JAN = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))


def test_objection_blacklists_every_address(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    system = make_system()
    subject = JAN.with_identities([Identity(IdentityKind.EMAIL, "Jan@Home.be")])
    outcomes = list(system.object(subject, system.locate(subject), dry_run=False))
    assert {o.fields["email"] for o in outcomes} == {"jan.peeters@example.be", "jan@home.be"}
    assert {o.action for o in outcomes} == {Action.OPTED_OUT}
    stored = {r["email"] for r in odoo.records["mail.blacklist"].values() if r["active"]}
    assert stored == {"jan.peeters@example.be", "jan@home.be"}
    again = list(system.object(subject, system.locate(subject), dry_run=False))
    assert {o.action for o in again} == {Action.UNCHANGED}
    assert odoo.count("mail.blacklist._add") == 0  # private: Odoo would refuse it


def test_objection_reactivates_a_lifted_blacklist_entry(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    entry = odoo.add("mail.blacklist", email="jan.peeters@example.be", active=False)
    system = make_system()
    dry = list(system.object(JAN, system.locate(JAN), dry_run=True))
    assert [o.action for o in dry] == [Action.OPTED_OUT]
    assert odoo.records["mail.blacklist"][entry]["active"] is False
    outcomes = list(system.object(JAN, system.locate(JAN), dry_run=False))
    assert [(o.record_id, o.action) for o in outcomes] == [
        (f"mail.blacklist/{entry}", Action.OPTED_OUT)
    ]
    assert odoo.records["mail.blacklist"][entry]["active"] is True


def test_objection_phone_blacklist_when_configured(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    system = make_system(blacklist_phones=True)
    list(system.object(JAN, system.locate(JAN), dry_run=False))
    assert [r["number"] for r in odoo.records["phone.blacklist"].values()] == ["+32477123456"]


def test_rectification_writes_allowed_fields(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    system = make_system()
    changes = {"street": "Nieuwstraat 5", "email": "Jan.Peeters@Example.BE", "city": "Gent"}
    outcomes = list(system.rectify(JAN, system.locate(JAN), changes, dry_run=False))
    assert [(o.record_id, o.action) for o in outcomes] == [("res.partner/7", Action.RECTIFIED)]
    assert outcomes[0].fields == {"street": "Nieuwstraat 5", "email": "jan.peeters@example.be"}
    row = odoo.get("res.partner", 7)
    assert row is not None and row["street"] == "Nieuwstraat 5"
    assert odoo.get("res.partner", 9)["street"] == "Veld 2"  # type: ignore[index]


def test_rectification_refuses_fields_off_the_list_and_bad_values(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    system = make_system()
    keys = system.locate(JAN)
    with pytest.raises(PermanentError, match="active"):
        list(system.rectify(JAN, keys, {"active": False, "name": "X"}, dry_run=False))
    with pytest.raises(PermanentError, match="email"):
        list(system.rectify(JAN, keys, {"email": "not an address"}, dry_run=False))
    with pytest.raises(PermanentError, match="phone"):
        list(system.rectify(JAN, keys, {"phone": "12"}, dry_run=False))
    assert odoo.get("res.partner", 7)["name"] == "Jan Peeters"  # type: ignore[index]
    narrow = make_system(rectifiable_fields=["street"])
    with pytest.raises(PermanentError, match="name"):
        list(narrow.rectify(JAN, keys, {"name": "Jan P."}, dry_run=False))


def test_rectification_dry_run(make_system: Callable[..., OdooSystem], odoo: FakeOdoo) -> None:
    system = make_system()
    outcomes = list(system.rectify(JAN, system.locate(JAN), {"city": "Brugge"}, dry_run=True))
    assert outcomes[0].action == Action.RECTIFIED and "dry run" in outcomes[0].detail
    assert odoo.get("res.partner", 7)["city"] == "Gent"  # type: ignore[index]


def test_restriction_is_manual_without_a_field(make_system: Callable[..., OdooSystem]) -> None:
    system = make_system()
    with pytest.raises(ManualStep) as info:
        list(system.restrict(JAN, system.locate(JAN), lift=False, dry_run=False))
    assert "res.partner/7" in info.value.instructions


def test_restriction_with_a_boolean_field(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    system = make_system(restriction_field="x_dsr_restricted")
    keys = system.locate(JAN)
    outcomes = list(system.restrict(JAN, keys, lift=False, dry_run=False))
    assert {(o.record_id, o.action) for o in outcomes} == {
        ("res.partner/7", Action.RESTRICTED),
        ("res.partner/9", Action.RESTRICTED),
    }
    assert odoo.get("res.partner", 7)["x_dsr_restricted"] is True  # type: ignore[index]
    again = list(system.restrict(JAN, keys, lift=False, dry_run=False))
    assert {o.action for o in again} == {Action.UNCHANGED}
    lifted = list(system.restrict(JAN, keys, lift=True, dry_run=False))
    assert {o.action for o in lifted} == {Action.UNRESTRICTED}
    bad = make_system(restriction_field="name")
    with pytest.raises(PermanentError, match="boolean"):
        list(bad.restrict(JAN, keys, lift=False, dry_run=False))


def test_objection_leaves_people_filed_under_the_subject_alone(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    odoo.add("res.partner", name="Colleague", type="contact", parent_id=7, email="col@example.be")
    odoo.add("res.partner", name="Jan home", type="delivery", parent_id=7, email="jan@home.be")
    system = make_system()
    outcomes = list(system.object(JAN, system.locate(JAN), dry_run=False))
    assert {o.fields["email"] for o in outcomes} == {"jan.peeters@example.be", "jan@home.be"}


def test_changes_leave_no_trace_in_odoos_chatter(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    """Writes run with tracking_disable / mail_notrack / mail_create_nolog: otherwise Odoo's
    mail.tracking.value keeps the old values dsr replaced (issue 10)."""
    system = make_system(restriction_field="x_dsr_restricted")
    keys = system.locate(JAN)
    list(system.rectify(JAN, keys, {"phone": "0478 11 22 33", "name": "Jan P."}, dry_run=False))
    list(system.restrict(JAN, keys, lift=False, dry_run=False))
    list(system.object(JAN, keys, dry_run=False))
    assert odoo.get("res.partner", 7)["phone"] == "0478 11 22 33"  # type: ignore[index]
    assert odoo.records["mail.blacklist"]
    assert not odoo.records["mail.message"] and not odoo.records["mail.tracking.value"]
