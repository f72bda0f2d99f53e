"""The register: suppliers and disclosures, as staff enter them, and how requests match them."""

from __future__ import annotations

from datetime import date

from dsr_core.model import Identity, IdentityKind, Subject
from tests.recipients.helpers import EMAIL, PHONE, setup, supplier


def test_suppliers_add_list_show_edit(dsr, monkeypatch):
    setup(dsr)
    added = dsr.json(
        "suppliers", "add", "CloudPBX BV", "--role", "processor", "--email", "DPO@CloudPBX.example",
        "--webhook-url", "https://hooks.cloudpbx.example/dsr", "--secret-env", "CLOUDPBX_SECRET",
        "--country", "nl", "--alias", "CLOUDPBX",
    )  # fmt: skip
    assert added["protocol"] == "webhook" and added["language"] == "nl"  # the controller's
    assert added["email"] == "dpo@cloudpbx.example" and added["country"] == "NL"
    assert added["secret_env"] == "CLOUDPBX_SECRET" and added["secret"] == "missing"
    supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example", "--language", "fr")

    text = dsr("suppliers", "list").stdout
    assert "CloudPBX BV" in text and "CLOUDPBX_SECRET not set here" in text and "Telco NV" in text
    assert [s["name"] for s in dsr.json("suppliers", "list")] == ["CloudPBX BV", "Telco NV"]
    monkeypatch.setenv("CLOUDPBX_SECRET", "whsec_abc")
    shown = dsr.json("suppliers", "show", "cloudpbx")  # by alias, any case
    assert shown["secret"] == "set" and shown["disclosures"] == [] and shown["notices"] == []
    assert "whsec_abc" not in dsr("suppliers", "show", "CloudPBX BV").stdout

    edited = dsr.json(
        "suppliers", "edit", "CloudPBX BV", "--protocol", "opendsr", "--language", "en"
    )
    assert edited["changed"] == ["language", "protocol"] and edited["protocol"] == "opendsr"
    back = dsr.json("suppliers", "edit", str(added["id"]), "--no-webhook")
    assert back["protocol"] == "email" and back["webhook_url"] is None
    assert dsr.json("suppliers", "edit", "Telco NV")["changed"] == []

    for args, message in [
        (("Telco nv", "--role", "carrier", "--email", "a@b.example"), "taken by supplier"),
        (("Acme", "--role", "carrier", "--email", "a@b.example", "--alias", "telco nv"), "taken"),
        (("Acme", "--role", "carrier", "--email", "not-an-address"), "invalid e-mail"),
        (("Acme", "--role", "boss", "--email", "a@b.example"), "'--role'"),
        (
            (
                "Acme",
                "--role",
                "carrier",
                "--email",
                "a@b.example",
                "--webhook-url",
                "https://h.example/x",
            ),
            "--secret-env",
        ),  # fmt: skip
        (
            (
                "Acme",
                "--role",
                "carrier",
                "--email",
                "a@b.example",
                "--webhook-url",
                "http://h.example/x",
                "--secret-env",
                "S",
            ),
            "https",
        ),  # fmt: skip
        (
            (
                "Acme",
                "--role",
                "carrier",
                "--email",
                "a@b.example",
                "--webhook-url",
                "https://h.example/x",
                "--secret-env",
                "whsec_MfKQ9r8GKYqrTwjUPD8",
            ),
            "NAME",
        ),  # fmt: skip
        (
            ("Acme", "--role", "carrier", "--email", "a@b.example", "--protocol", "opendsr"),
            "--webhook-url",
        ),  # fmt: skip
        (
            ("Acme", "--role", "carrier", "--email", "a@b.example", "--country", "Belgium"),
            "two-letter",
        ),  # fmt: skip
    ]:
        failed = dsr.fails("suppliers", "add", *args)
        assert message in failed.stderr, (args, failed.stderr)
        assert len(failed.stderr.strip().splitlines()) == 1
    assert len(dsr.json("suppliers", "list")) == 2
    assert "no supplier 'Acme'" in dsr.fails("suppliers", "show", "Acme").stderr
    assert dsr.json("suppliers", "show", "tel")["name"] == "Telco NV"  # a unique start

    listed = {p["name"]: p for p in dsr.json("plugins", "list")}
    assert listed["suppliers"]["error"] is None
    assert {"dsr_request_blockers", "dsr_request_created"} <= set(listed["suppliers"]["hooks"])
    assert "notices" in dsr("--help").stdout


def test_disclose_records_normalised_identities_and_refuses_what_cannot_match(dsr):
    setup(dsr)
    supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example")
    out = dsr.json(
        "suppliers", "disclose", "Telco NV", "--email", "Jan.Peeters@Example.be",
        "--phone", "0032 477 12.34.56", "--customer-id", "crm:C-17", "--category", "Contact",
        "--on", "2024-02-01",
    )  # fmt: skip
    assert out["identities"] == [
        {"kind": "email", "value": EMAIL, "system": None},
        {"kind": "phone", "value": PHONE, "system": None},
        {"kind": "customer_id", "value": "C-17", "system": "crm"},
    ]
    assert out["categories"] == ["contact"]
    shown = dsr.json("suppliers", "show", "Telco NV")["disclosures"]
    assert len(shown) == 1 and shown[0]["on"] == "2024-02-01" and shown[0]["source"] == "staff"
    for args, message in [
        (("--name", "Jan", "--category", "contact"), "a name alone"),
        (
            (
                "--email",
                EMAIL,
            ),
            "--category",
        ),
        (("--email", EMAIL, "--category", " "), "categories"),
        (("--phone", "12", "--category", "c"), "invalid phone"),
        (("--email", EMAIL, "--category", "c", "--on", "2999-01-01"), "future"),
        (("--email", EMAIL, "--category", "c", "--on", "1/2/2024"), "YYYY-MM-DD"),
    ]:
        failed = dsr.fails("suppliers", "disclose", "Telco NV", *args)
        assert message in failed.stderr, (args, failed.stderr)
    assert (
        "no supplier"
        in dsr.fails("suppliers", "disclose", "Nope", "--email", EMAIL, "--category", "c").stderr
    )
    assert len(dsr.json("suppliers", "show", "Telco NV")["disclosures"]) == 1


#: request identity -> the suppliers it finds among A (e-mail + customer id in crm),
#: B (a phone number, given on 1 March 2024) and C (e-mail + name)
MATCHING = [
    (Identity(IdentityKind.EMAIL, EMAIL), ["A", "C"]),
    (Identity(IdentityKind.EMAIL, "other@example.be"), []),
    # a number that was the subject's only until 2023 was given to B after: not theirs
    (Identity(IdentityKind.PHONE, PHONE, valid_to=date(2023, 12, 31), source="crm"), []),
    (Identity(IdentityKind.PHONE, PHONE, valid_from=date(2024, 1, 1), source="crm"), ["B"]),
    (Identity(IdentityKind.CUSTOMER_ID, "C-17", system="crm"), ["A"]),
    (Identity(IdentityKind.CUSTOMER_ID, "C-17", system="pbx"), []),
    (Identity(IdentityKind.CUSTOMER_ID, "C-17"), ["A"]),
]


def test_matching_a_subject_to_disclosures(tmp_path):
    from dsr_core.recipients import disclosures, register
    from dsr_core.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with store.session() as session:
        rows = {
            name: register.add(
                session,
                register.SupplierFields(name, "carrier", f"{name.lower()}@x.example"),
                actor="t",
            )
            for name in "ABC"
        }
        held = disclosures.Held
        disclosures.record(session, rows["A"], [held("email", EMAIL),
                           held("customer_id", "C-17", "crm")], categories=["contact"],
                           actor="t")  # fmt: skip
        disclosures.record(session, rows["B"], [held("phone", PHONE)], categories=["line"],
                           actor="t", on=date(2024, 3, 1))  # fmt: skip
        disclosures.record(session, rows["C"], [held("email", EMAIL), held("name", "Jan")],
                           categories=["delivery"], actor="t")  # fmt: skip
        for identity, found in MATCHING:
            matches = disclosures.recipients(session, Subject("Jan", (identity,)))
            assert [m.supplier.name for m in matches] == found, identity
        a, c = disclosures.recipients(session, Subject("Jan", (MATCHING[0][0],)))
        # each names what of its batch is the subject's, no more: A's customer id is no
        # identity the request knows; C's name is the subject's
        assert a.pairs() == [("email", EMAIL)]
        assert c.pairs() == [("name", "Jan"), ("email", EMAIL)]
        both = Subject("Jan", (MATCHING[0][0], MATCHING[-1][0]))
        a, c = disclosures.recipients(session, both)
        assert a.pairs() == [("customer_id", "C-17"), ("email", EMAIL)]
    store.dispose()
