"""``sql-crm`` on the sample CRM, each test on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Outcome, Subject
from dsr_core.systems import ManualStep, PermanentError, TransientError
from dsr_core.testing import make_context
from dsr_plugins.crm.erasure import FK_BASIS
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from tests.crm import sample

JAN = Subject("Jan Peeters", (Identity(IdentityKind.EMAIL, "JAN.peeters@example.be"),))
AN = Subject("An Claes", (Identity(IdentityKind.EMAIL, "an.claes@acme.be"),))
ELS = Subject("Els Wouters", (Identity(IdentityKind.EMAIL, "els@example.org"),))


def _customer_ids(keys: list[Identity]) -> set[str]:
    return {k.value for k in keys if k.kind == IdentityKind.CUSTOMER_ID}


def _by_id(outcomes: list[Outcome]) -> dict[str, Outcome]:
    result = {o.record_id: o for o in outcomes}
    assert len(result) == len(outcomes), "one outcome per record"
    return result


# -- locate -----------------------------------------------------------------------------------
def test_locate_by_email_in_another_case(crm: SqlCrmSystem) -> None:
    keys = list(crm.locate(JAN))
    assert Identity(IdentityKind.CUSTOMER_ID, "1", system="crm", source="crm") in keys
    assert all(k.source in ("crm", "request") for k in keys)
    emails = {k.value for k in keys if k.kind == IdentityKind.EMAIL}
    assert "jan.peeters@example.be" in emails


def test_locate_by_phone_in_another_format(crm: SqlCrmSystem) -> None:
    for raw in ("0032 477 12 34 56", "+32477123456", "0477/12.34.56", "32477123456"):
        subject = Subject("?", (Identity(IdentityKind.PHONE, raw),))
        assert _customer_ids(list(crm.locate(subject))) == {"1"}, raw


def test_locate_by_a_company_contact_finds_the_company(crm: SqlCrmSystem) -> None:
    assert _customer_ids(list(crm.locate(AN))) == {"2"}
    by_phone = Subject("?", (Identity(IdentityKind.PHONE, "+32468112233"),))
    assert _customer_ids(list(crm.locate(by_phone))) == {"2"}


def test_locate_by_vat_and_customer_id(crm: SqlCrmSystem) -> None:
    vat = Subject("Acme", (Identity(IdentityKind.VAT, "be0123456749"),))
    assert _customer_ids(list(crm.locate(vat))) == {"2"}
    mine = Subject("?", (Identity(IdentityKind.CUSTOMER_ID, "3", system="crm"),))
    assert _customer_ids(list(crm.locate(mine))) == {"3"}
    theirs = Subject("?", (Identity(IdentityKind.CUSTOMER_ID, "3", system="odoo"),))
    assert list(crm.locate(theirs)) == []
    unqualified = Subject("?", (Identity(IdentityKind.CUSTOMER_ID, "2"),))
    assert _customer_ids(list(crm.locate(unqualified))) == {"2"}


def test_locate_returns_phone_numbers_with_their_periods(crm: SqlCrmSystem) -> None:
    phones = {
        (k.value, k.valid_from, k.valid_to, k.source)
        for k in crm.locate(JAN)
        if k.kind == IdentityKind.PHONE
    }
    assert phones == {
        ("+32477123456", date(2016, 1, 1), None, "crm"),
        ("+3293771234", date(2010, 3, 1), date(2015, 12, 31), "crm"),
    }


def test_a_recycled_number_matches_only_inside_its_period(crm: SqlCrmSystem) -> None:
    then = Identity(IdentityKind.PHONE, "+3293771234", date(2011, 1, 1), date(2012, 1, 1))
    assert _customer_ids(list(crm.locate(Subject("?", (then,))))) == {"1"}
    now = Identity(IdentityKind.PHONE, "09 377 12 34")
    assert _customer_ids(list(crm.locate(Subject("?", (now,))))) == {"3"}


def test_locate_finds_nothing_for_a_stranger(crm: SqlCrmSystem) -> None:
    stranger = Subject(
        "Nobody",
        (
            Identity(IdentityKind.EMAIL, "nobody@example.be"),
            Identity(IdentityKind.PHONE, "+32470000000"),
            Identity(IdentityKind.CUSTOMER_ID, "99", system="crm"),
        ),
    )
    assert list(crm.locate(stranger)) == []


def test_contact_scope_self_covers_only_the_contact(make: Any) -> None:
    contacts = dict(sample.CONFIG["tables"]["contacts"], scope="self")
    crm = make(contacts=contacts)
    keys = list(crm.locate(AN))
    assert _customer_ids(keys) == set()
    assert Identity(IdentityKind.OTHER, "contacts:1", system="crm", source="crm") in keys
    records = {r.record_id for r in crm.access(AN, keys)}
    assert records == {"contacts:1"}
    outcomes = _by_id(list(crm.erase(AN, keys, dry_run=False)))
    assert {k: o.action for k, o in outcomes.items()} == {"contacts:1": Action.ERASED}
    acme = Subject("Acme", (Identity(IdentityKind.EMAIL, "info@acme.be"),))
    assert "contacts:2" in {r.record_id for r in crm.access(acme, list(crm.locate(acme)))}


# -- access -----------------------------------------------------------------------------------
def test_access_yields_the_whole_customer(crm: SqlCrmSystem) -> None:
    records = {r.record_id: r for r in crm.access(JAN, list(crm.locate(JAN)))}
    assert set(records) == {
        "customers:1",
        "phone_numbers:1",
        "phone_numbers:2",
        "contracts:1",
        "contracts:2",
        "contract_lines:1",
        "contract_lines:2",
        "invoices:1",
        "invoices:2",
        "invoices:3",
        "newsletter:1",
    }
    customer = records["customers:1"]
    assert customer.category == "contact"
    assert customer.provided_by_subject
    assert customer.secret_fields == frozenset({"password_hash"})
    assert customer.fields["created_on"] == "2010-03-01"
    invoice = records["invoices:2"]
    assert invoice.category == "invoice"
    assert not invoice.provided_by_subject
    assert invoice.fields["amount"] == "149.85"
    assert invoice.fields["invoice_date"] == "2020-03-31"
    assert records["contract_lines:2"].category == "product"
    assert records["newsletter:1"].category == "marketing"
    assert all(r.system == "crm" for r in records.values())


# -- erase ------------------------------------------------------------------------------------
def test_erase_keeps_invoices_and_anonymises_the_customer(crm: SqlCrmSystem, real_url: str) -> None:
    keys = list(crm.locate(JAN))
    outcomes = _by_id(list(crm.erase(JAN, keys, dry_run=False)))
    actions = {k: o.action for k, o in outcomes.items()}
    assert actions == {
        "customers:1": Action.ANONYMISED,
        "phone_numbers:1": Action.ERASED,
        "phone_numbers:2": Action.ERASED,
        "contracts:1": Action.ERASED,
        "contracts:2": Action.KEPT,  # support_tickets (unmapped) refers to it
        "contract_lines:1": Action.ERASED,
        "contract_lines:2": Action.ERASED,
        "invoices:1": Action.ERASED,  # 2013 + 10 years has passed
        "invoices:2": Action.KEPT,
        "invoices:3": Action.KEPT,
        "newsletter:1": Action.ERASED,
    }
    assert outcomes["invoices:2"].until == date(2030, 3, 31)
    assert outcomes["invoices:3"].until == date(2034, 11, 30)
    assert outcomes["invoices:2"].basis == sample.BASIS
    refused = outcomes["contracts:2"]
    assert refused.basis == FK_BASIS and refused.until == sample.TODAY
    assert "refused" in refused.detail
    assert "kept invoices" in outcomes["customers:1"].detail

    customer = sample.row(real_url, sample.customers, 1)
    assert customer is not None
    assert customer["name"] == "(erased)"
    assert customer["email"].startswith("anon-")
    assert customer["phone"] is None and customer["street"] is None
    assert sample.row(real_url, sample.invoices, 3) is not None
    assert sample.row(real_url, sample.invoices, 1) is None
    assert sample.row(real_url, sample.contracts, 2) is not None
    assert sample.row(real_url, sample.newsletter, 2) is not None  # someone else's
    assert list(crm.locate(JAN)) == []

    again = _by_id(list(crm.erase(JAN, keys, dry_run=False)))
    assert not [o for o in again.values() if o.action == Action.ERASED]
    assert again["customers:1"].action == Action.UNCHANGED
    assert again["invoices:3"].action == Action.KEPT


def test_a_customer_without_kept_records_is_deleted(crm: SqlCrmSystem, real_url: str) -> None:
    outcomes = _by_id(list(crm.erase(ELS, list(crm.locate(ELS)), dry_run=False)))
    assert {k: o.action for k, o in outcomes.items()} == {
        "customers:3": Action.ERASED,
        "phone_numbers:4": Action.ERASED,
    }
    assert sample.row(real_url, sample.customers, 3) is None


def test_parent_without_anonymise_columns_is_kept_with_the_childrens_basis(make: Any) -> None:
    customers = dict(sample.CONFIG["tables"]["customers"])
    del customers["anonymise"]
    crm = make(customers=customers)
    outcomes = _by_id(list(crm.erase(JAN, list(crm.locate(JAN)), dry_run=False)))
    kept = outcomes["customers:1"]
    assert kept.action == Action.KEPT
    assert kept.until == date(2034, 11, 30)
    assert kept.basis == sample.BASIS
    assert kept.detail == "referenced by kept invoices"


def test_mapping_support_tickets_lets_the_contract_go(make: Any) -> None:
    tickets = {"category": "message", "parent": "contracts", "foreign_key": "contract_id"}
    crm = make(support_tickets=tickets)
    outcomes = _by_id(list(crm.erase(JAN, list(crm.locate(JAN)), dry_run=False)))
    assert outcomes["support_tickets:1"].action == Action.ERASED
    assert outcomes["contracts:2"].action == Action.ERASED


def test_expired_records_follow_after_keep(make: Any) -> None:
    invoices = dict(
        sample.CONFIG["tables"]["invoices"], after_keep="anonymise", anonymise={"number": "hash"}
    )
    crm = make(invoices=invoices)
    outcomes = _by_id(list(crm.erase(JAN, list(crm.locate(JAN)), dry_run=False)))
    assert outcomes["invoices:1"].action == Action.ANONYMISED
    assert "retention ended 2023-02-15" in outcomes["invoices:1"].detail


def test_dry_run_leaves_the_database_as_it_was(crm: SqlCrmSystem, real_url: str) -> None:
    before = sample.dump(real_url)
    keys = list(crm.locate(JAN))
    dry = list(crm.erase(JAN, keys, dry_run=True))
    assert sample.dump(real_url) == before
    real = list(crm.erase(JAN, keys, dry_run=False))
    assert sorted(o.to_json()["record_id"] for o in dry) == sorted(o.record_id for o in real)
    assert {o.record_id: o.action for o in dry} == {o.record_id: o.action for o in real}


def test_dry_run_of_rectify_restrict_object_changes_nothing(
    crm: SqlCrmSystem, real_url: str
) -> None:
    before = sample.dump(real_url)
    keys = list(crm.locate(JAN))
    assert list(crm.rectify(JAN, keys, {"name": "Jan Peters"}, dry_run=True))
    assert list(crm.restrict(JAN, keys, lift=False, dry_run=True))
    assert list(crm.object(JAN, keys, dry_run=True))
    assert sample.dump(real_url) == before


# -- rectify ----------------------------------------------------------------------------------
def test_rectify_applies_valid_corrections(crm: SqlCrmSystem, real_url: str) -> None:
    keys = list(crm.locate(JAN))
    changes = {
        "name": "Jan Peters",
        "customers.phone": "0477 99 88 77",
        "email": " Jan.Peters@Example.be ",
        "phone_numbers:1.assigned_from": "2016-02-01",
    }
    outcomes = _by_id(list(crm.rectify(JAN, keys, changes, dry_run=False)))
    customer = outcomes["customers:1"]
    assert customer.action == Action.RECTIFIED
    assert customer.fields["name"] == {"old": "Jan Peeters", "new": "Jan Peters"}
    assert customer.fields["phone"] == {"old": "0477 12 34 56", "new": "+32477998877"}
    assert customer.fields["email"]["new"] == "jan.peters@example.be"
    assert outcomes["phone_numbers:1"].fields["assigned_from"]["new"] == "2016-02-01"
    row = sample.row(real_url, sample.customers, 1)
    assert row is not None and row["name"] == "Jan Peters"
    pn = sample.row(real_url, sample.phone_numbers, 1)
    assert pn is not None and pn["assigned_from"] == date(2016, 2, 1)
    again = list(crm.rectify(JAN, keys, {"name": "Jan Peters"}, dry_run=False))
    assert [o.action for o in again] == [Action.UNCHANGED]


def test_rectify_a_contact_touches_only_their_own_row(crm: SqlCrmSystem, real_url: str) -> None:
    keys = list(crm.locate(AN))
    outcomes = list(crm.rectify(AN, keys, {"contacts.name": "An Claes-Peeters"}, dry_run=False))
    assert [o.record_id for o in outcomes] == ["contacts:1"]
    piet = sample.row(real_url, sample.contacts, 2)
    assert piet is not None and piet["name"] == "Piet Janssens"


BAD_CORRECTIONS: list[tuple[dict[str, Any], str]] = [
    ({"nickname": "Jantje"}, "'nickname': no column"),
    ({"crm_users.name": "x"}, "'crm_users.name': table 'crm_users' is not mapped"),
    ({"email": "not an address"}, "'email': not a valid e-mail address"),
    ({"phone": "12"}, "'phone': not a valid phone number"),
    ({"id": 7}, "'id': keys and customer ids cannot be corrected"),
    ({"contacts.customer_id": 1}, "cannot be corrected"),
    ({"created_on": "yesterday"}, "'created_on': not a valid value"),
    ({"name": "x" * 101}, "'name': longer than the column's 100 characters"),
    ({"name": None}, "'name': the column cannot be empty"),
    ({"contacts.name": "An"}, "'contacts.name': the subject has no row in contacts"),
    ({"invoices:4.amount": 1}, "'invoices:4.amount': invoices:4 is not the subject's"),
    ({"invoices:.amount": 1}, "'invoices:.amount': write 'column', 'table.column'"),
    ({}, "no corrections"),
]


def test_rectify_refuses_bad_fields_and_writes_nothing(crm: SqlCrmSystem, real_url: str) -> None:
    before = sample.dump(real_url)
    keys = list(crm.locate(JAN))
    for changes, words in BAD_CORRECTIONS:
        # a valid correction beside the bad one: nothing may be written at all
        given = {"city": "Brugge", **changes} if changes else {}
        with pytest.raises(PermanentError) as info:
            list(crm.rectify(JAN, keys, given, dry_run=False))
        message = str(info.value)
        assert words in message and "\n" not in message, message
        assert "Jantje" not in message and "not an address" not in message
    assert sample.dump(real_url) == before


def test_rectify_accepts_nested_tables(crm: SqlCrmSystem) -> None:
    keys = list(crm.locate(JAN))
    changes = {"customers": {"city": "Brugge"}, "contracts:1.monthly_fee": "59.95"}
    outcomes = _by_id(list(crm.rectify(JAN, keys, changes, dry_run=False)))
    assert outcomes["customers:1"].fields["city"] == {"old": "Gent", "new": "Brugge"}
    assert outcomes["contracts:1"].fields["monthly_fee"] == {"old": "49.95", "new": "59.95"}


# -- object / restrict ------------------------------------------------------------------------
def test_object_sets_every_opt_out(crm: SqlCrmSystem, real_url: str) -> None:
    keys = list(crm.locate(JAN))
    outcomes = _by_id(list(crm.object(JAN, keys, dry_run=False)))
    assert {k: o.action for k, o in outcomes.items()} == {
        "customers:1": Action.OPTED_OUT,
        "newsletter:1": Action.OPTED_OUT,
    }
    row = sample.row(real_url, sample.customers, 1)
    assert row is not None and bool(row["marketing_opt_out"])
    again = list(crm.object(JAN, keys, dry_run=False))
    assert {o.action for o in again} == {Action.UNCHANGED}


def test_object_through_a_contact_uses_the_configured_value(
    crm: SqlCrmSystem, real_url: str
) -> None:
    outcomes = _by_id(list(crm.object(AN, list(crm.locate(AN)), dry_run=False)))
    assert outcomes["contacts:1"].action == Action.OPTED_OUT
    assert outcomes["contacts:1"].fields == {"newsletter": False}
    contact = sample.row(real_url, sample.contacts, 1)
    assert contact is not None and not contact["newsletter"]


def test_already_opted_out_is_unchanged(crm: SqlCrmSystem) -> None:
    outcomes = list(crm.object(ELS, list(crm.locate(ELS)), dry_run=False))
    assert [(o.record_id, o.action) for o in outcomes] == [("customers:3", Action.UNCHANGED)]


def test_restrict_and_lift(crm: SqlCrmSystem, real_url: str) -> None:
    keys = list(crm.locate(JAN))
    outcomes = list(crm.restrict(JAN, keys, lift=False, dry_run=False))
    assert [(o.record_id, o.action) for o in outcomes] == [("customers:1", Action.RESTRICTED)]
    row = sample.row(real_url, sample.customers, 1)
    assert row is not None and bool(row["restricted"])
    again = list(crm.restrict(JAN, keys, lift=False, dry_run=False))
    assert [o.action for o in again] == [Action.UNCHANGED]
    lifted = list(crm.restrict(JAN, keys, lift=True, dry_run=False))
    assert [o.action for o in lifted] == [Action.UNRESTRICTED]
    row = sample.row(real_url, sample.customers, 1)
    assert row is not None and not row["restricted"]


def test_restrict_without_a_flag_is_a_manual_step(make: Any) -> None:
    customers = dict(sample.CONFIG["tables"]["customers"])
    del customers["restricted"]
    crm = make(customers=customers)
    with pytest.raises(ManualStep) as info:
        list(crm.restrict(JAN, list(crm.locate(JAN)), lift=False, dry_run=False))
    assert "customers:1" in info.value.instructions
    assert "jan" not in info.value.instructions.lower()


# -- health and errors ------------------------------------------------------------------------
def test_check_is_healthy_and_names_unmapped_references(crm: SqlCrmSystem) -> None:
    result = crm.check()
    assert result.ok, result.problems
    assert "support_tickets -> contracts" in result.details["unmapped_references"]


def test_check_reports_missing_tables_and_columns(make: Any) -> None:
    customers = dict(sample.CONFIG["tables"]["customers"], provided=["name", "nickname"])
    crm = make(customers=customers, crm_users={"category": "contact", "identify": {"email": "e"}})
    result = crm.check()
    assert not result.ok
    assert "systems.crm.tables.customers: no column 'nickname' in the table" in result.problems
    assert "systems.crm.tables.crm_users: no such table in the database" in result.problems
    with pytest.raises(PermanentError, match="more: run `dsr systems check`"):
        crm.locate(JAN)


def test_unreachable_server_is_transient_and_hides_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://dsr:s3cret@127.0.0.1:1/crm"
    crm = SqlCrmSystem("crm", sample.config(url), make_context("crm", tmp_path))
    result = crm.check()
    assert not result.ok and "s3cret" not in " ".join(result.problems)
    with pytest.raises(TransientError) as info:
        crm.locate(JAN)
    assert "s3cret" not in str(info.value) and "\n" not in str(info.value)


def test_missing_sqlite_file_is_reported_not_created(tmp_path: Path) -> None:
    config = sample.config("sqlite:///missing.sqlite3")
    crm = SqlCrmSystem("crm", config, make_context("crm", tmp_path))
    assert not crm.check().ok
    with pytest.raises(PermanentError, match="not found"):
        crm.locate(JAN)
    assert not (tmp_path / "missing.sqlite3").exists()
