"""What sql-crm and odoo declare for the access report (issue 12): a title, and labels in nl,
en and fr with a kind for every category and field their records carry; the mapping's
``fields`` and ``category_labels`` keys."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.systems import ConfigError
from dsr_core.testing import make_context
from dsr_plugins.crm.mapping import parse_mapping
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from tests.crm import sample
from tests.labels import assert_labelled, field_of

SUBJECTS = [
    Subject("Jan Peeters", (Identity(IdentityKind.EMAIL, "JAN.peeters@example.be"),)),
    Subject("An Claes", (Identity(IdentityKind.EMAIL, "an.claes@acme.be"),)),
    Subject("Els Wouters", (Identity(IdentityKind.EMAIL, "els@example.org"),)),
]


def test_every_field_and_category_of_the_sample_crm_is_labelled(crm: SqlCrmSystem) -> None:
    records = [r for s in SUBJECTS for r in crm.access(s, crm.locate(s))]
    seen = assert_labelled(crm, records)
    assert {c for c, _ in seen} >= {"contact", "contract", "invoice", "marketing"}
    assert field_of(crm, "invoice", "amount").kind == "amount"
    assert field_of(crm, "contact", "id").labels["nl"] == "Klantnummer"  # the customer id
    assert field_of(crm, "contract", "customer_id").kind == "technical"  # a foreign key
    assert field_of(crm, "contract", "number").kind == "phone"  # phone_period's number
    assert field_of(crm, "contract", "assigned_from").kind == "date"
    assert field_of(crm, "contact", "restricted").kind == "boolean"
    assert crm.titles["fr"] == "Fichier clients"
    assert crm.categories["invoice"] == {"nl": "Facturen", "en": "Invoices", "fr": "Factures"}


def _with(**tables: dict[str, Any]) -> dict[str, Any]:
    config = sample.config("sqlite:///crm.sqlite3")
    for name, changes in tables.items():
        config["tables"][name] = {**config["tables"][name], **copy.deepcopy(changes)}
    return config


def test_the_mapping_declares_a_columns_labels_and_kind(tmp_path: Path) -> None:
    config = _with(
        customers={
            "fields": {
                "city": {"nl": "Woonplaats", "en": "Town", "fr": "Localité"},
                "is_company": "technical",
                "vat": {"kind": "technical"},
            },
            "category_labels": {"nl": "Klant", "en": "Customer", "fr": "Client"},
        },
        invoices={"fields": {"amount": {"kind": "amount", "currency": "USD"}}},
        contract_lines={"fields": {"quantity": {"kind": "text"}}},
    )
    system = SqlCrmSystem("crm", config, make_context("crm", tmp_path))
    city = field_of(system, "contact", "city")
    assert city.labels == {"nl": "Woonplaats", "en": "Town", "fr": "Localité"}
    assert city.kind == "text"
    assert field_of(system, "contact", "is_company").kind == "technical"
    # a kind alone: the labels of the column's usual name, or of the kind
    assert field_of(system, "contact", "vat").labels["en"] == "Internal reference"
    assert field_of(system, "product", "quantity").labels["nl"] == "Gegeven"
    assert field_of(system, "invoice", "amount").currency == "USD"
    assert field_of(system, "invoice", "amount").labels["fr"] == "Montant"
    assert system.categories["contact"] == {"nl": "Klant", "en": "Customer", "fr": "Client"}
    assert system.categories["invoice"]["nl"] == "Facturen"  # the usual word's, unchanged
    # another system of the type keeps the defaults: the declarations are per instance
    plain = SqlCrmSystem(
        "crm2", sample.config("sqlite:///crm.sqlite3"), make_context("c", tmp_path)
    )
    assert field_of(plain, "contact", "city").labels["en"] == "City"
    assert SqlCrmSystem.categories["contact"]["en"] == "Contact details"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"carrier": {"knd": "recipient"}},
            r"fields\.carrier: unknown key 'knd' \(did you mean 'kind'\?\)",
        ),
        (
            {"carrier": "recipent"},
            r"fields\.carrier: must be one of .* \(did you mean 'recipient'\?\)",
        ),
        (
            {"carrier": {"nl": "Operator", "en": "Carrier"}},
            r"fields\.carrier: gives labels without 'fr'",
        ),
        ({"carrier": {}}, r"fields\.carrier: is empty"),
        (
            {"carrier": {"kind": "amount", "currency": "euro"}},
            r"carrier\.currency: must be a currency code",
        ),
        (
            {"carrier": {"kind": "text", "currency": "EUR"}},
            r"carrier\.currency: only applies to kind 'amount'",
        ),
        (
            {"carrier": {"nl": "", "en": "Carrier", "fr": "Opérateur"}},
            r"fields\.carrier\.nl: must be a label",
        ),
        ("carrier", r"tables\.customers\.fields: must be a table"),
    ],
)
def test_bad_field_declarations_are_refused_in_one_line(fields: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        parse_mapping("crm", _with(customers={"fields": fields}))
    assert str(err.value).startswith("systems.crm.tables.customers.")
    assert "\n" not in str(err.value)


def test_bad_category_labels_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"category_labels: unknown key 'de'"):
        parse_mapping(
            "crm",
            _with(customers={"category_labels": {"nl": "a", "en": "b", "fr": "c", "de": "d"}}),
        )
    with pytest.raises(ConfigError, match=r"category_labels: gives labels without 'fr'"):
        parse_mapping("crm", _with(customers={"category_labels": {"nl": "a", "en": "b"}}))
    with pytest.raises(
        ConfigError, match=r"tables\.contacts\.category_labels: differs from table 'customers'"
    ):
        parse_mapping(
            "crm",
            _with(
                customers={"category_labels": {"nl": "Klant", "en": "Customer", "fr": "Client"}},
                contacts={"category_labels": {"nl": "Contact", "en": "Contact", "fr": "Contact"}},
            ),
        )
    with pytest.raises(
        ConfigError, match=r"tables\.contacts\.fields\.name: differs from table 'customers'"
    ):
        parse_mapping(
            "crm",
            _with(
                customers={"fields": {"name": "text"}}, contacts={"fields": {"name": "technical"}}
            ),
        )


def test_a_declared_column_the_table_lacks_is_reported_by_check(make: Any) -> None:
    system = make(
        customers={**sample.CONFIG["tables"]["customers"], "fields": {"carier": "recipient"}}
    )
    result = system.check()
    assert not result.ok
    assert any("carier" in problem for problem in result.problems)


def test_odoo_declares_every_field_it_reads() -> None:
    from dsr_plugins.crm.odoo import CONTACT_FIELDS, INVOICE_FIELDS, ORDER_FIELDS, OdooSystem
    from tests.labels import LANGUAGES

    for category, names in (
        ("contact", CONTACT_FIELDS),
        ("contract", ORDER_FIELDS),
        ("invoice", INVOICE_FIELDS),
    ):
        assert set(LANGUAGES) <= set(OdooSystem.categories[category])
        for name in ("id", *names):  # search_read always returns the id
            declared = field_of(OdooSystem, category, name)
            assert declared is not None, f"{category}.{name}"
            assert all(declared.labels.get(lang) for lang in LANGUAGES)
    assert field_of(OdooSystem, "invoice", "name").labels["en"] == "Invoice number"
    assert field_of(OdooSystem, "contract", "amount_total").kind == "amount"
