"""Disclosures derived from the CRM's carrier column, for access reports and erasure notices."""

from __future__ import annotations

import json
import zipfile

from tests.recipients.helpers import CRM_ROWS, EMAIL, PHONE, new_request, setup, supplier

JAN_AT_PROXIMUS = {
    "id": 4,
    "email": EMAIL,
    "category": "contract",
    "fields": {"carrier": "Proximus"},
}


def test_access_derives_the_carrier_from_the_records_and_names_it(dsr, monkeypatch):
    setup(
        dsr,
        rows=[*CRM_ROWS, JAN_AT_PROXIMUS],
        derive=[{"system": "crm", "field": "carrier", "date_field": "ported_on"}],
    )
    supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example",
             "--alias", "TELCO")  # fmt: skip
    supplier(dsr, "Snel Transport", "--role", "transport", "--email", "dpo@snel.example")
    dsr("suppliers", "disclose", "snel transport", "--phone", "0477 12 34 56",
        "--category", "delivery", "--on", "2025-01-05")  # fmt: skip
    rid = new_request(dsr, "access", "--email", EMAIL, "--phone", PHONE)
    report = dsr.json("request", "run", rid)
    assert report["state"] == "awaiting_answer" and report["blockers"] == []

    snel, found = dsr.json("suppliers", "recipients", rid)["recipients"]
    assert (snel["name"], snel["role"], snel["categories"]) == (
        "Snel Transport",
        "transport",
        ["delivery"],
    )
    assert found["name"] == "Telco NV" and found["since"] == "2024-02-01"
    assert found["categories"] == ["contact", "line"]
    assert {i["value"] for i in found["identities"]} == {EMAIL, PHONE}
    (batch,) = dsr.json("suppliers", "show", "Telco NV")["disclosures"]
    assert batch["source"] == "derived:crm" and batch["request_id"] == int(rid)

    again = dsr.json("suppliers", "derive", rid)
    assert again["recorded"] == {} and again["already_known"] == 1
    assert again["unknown_names"] == ["Proximus"]
    assert "not in the register" in dsr("suppliers", "derive", rid).stdout
    assert len(dsr.json("suppliers", "show", "Telco NV")["disclosures"]) == 1
    assert dsr.json("notices", "list") == [], "an access request notifies nobody"
    assert "only erasure" in dsr.fails("notices", "send", rid).stderr

    # the access report names them (Art. 15(1)(c))
    from dsr_core import export_source
    from dsr_core.recipients.disclosures import recipient_source

    if recipient_source not in export_source._recipient_sources:  # until the lead wires it
        monkeypatch.setattr(export_source, "_recipient_sources", [recipient_source])
    bundle = dsr.home / "access.zip"
    exported = dsr("export", rid, "-o", str(bundle), ok=False)
    # the record naming Proximus, which the register does not know, is for staff to review
    assert exported.exit_code == 5 and "names recipient 'Proximus'" in exported.stderr
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        report = zf.read("report.html").decode()
    assert [(r["name"], r["source"]) for r in manifest["recipients"]] == [
        ("Snel Transport", "register"),
        ("Telco NV", "register"),
        ("Proximus", "records"),
    ]
    assert "Telco NV" in report and "Snel Transport" in report and "Proximus" in report


def test_an_erasure_knows_the_carrier_although_the_crm_erased_it(dsr):
    setup(
        dsr,
        derive=[
            {
                "system": "crm",
                "field": "carrier",
                "from_categories": ["line"],
                "categories": ["contact", "line"],
                "identities": {"phone": "number"},
            },
            {"system": "billing", "field": "carrier"},
        ],
    )
    sid = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example")
    created = dsr("request", "new", "erasure", "--name", "Jan", "--phone", "0477123456")
    assert "could not be derived from billing" in created.stderr  # the other rule still ran
    assert "dsr suppliers derive 1" in created.stderr
    rid = "1"
    dsr("request", "verify", rid, "--method", "eID")
    report = dsr.json("request", "run", rid)
    assert report["tasks"][0]["summary"]["counts"] == {"erased": 1}

    assert report["state"] == "awaiting_confirmations"
    shown = dsr.json("notices", "show", f"N-{rid}-{sid}")
    assert shown["identities"] == [{"kind": "phone", "value": PHONE}]
    assert shown["state"] == "sent"
    derived = dsr.fails("suppliers", "derive", rid)
    assert derived.exit_code == 4 and "no system named 'billing'" in derived.stdout
