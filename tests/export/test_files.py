"""The data files and the manifest, read back from the zip as a user would."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dsr_core.export import MASK
from dsr_core.model import Action, Outcome, Record, RequestKind
from tests.needs import unavailable

from .helpers import (
    BASIS,
    KEPT_UNTIL,
    crm_outcomes,
    crm_records,
    expected_json,
    make_request,
    open_bundle,
    section,
    write,
)


def test_an_access_bundle_holds_json_and_csv_per_category_a_report_and_a_manifest(
    tmp_path: Path,
) -> None:
    result = write(tmp_path)

    bundle = open_bundle(result.path)
    assert bundle.names == [
        "data/crm/contact.json",
        "data/crm/contact.csv",
        "data/crm/invoice.json",
        "data/crm/invoice.csv",
        "data/crm/credential.json",
        "data/crm/credential.csv",
        "report.html",
        "manifest.json",
    ]
    assert result.records == 5
    assert [f.path for f in result.files] == bundle.names


def test_json_files_hold_the_records_as_given(tmp_path: Path) -> None:
    records = crm_records()
    bundle = open_bundle(write(tmp_path, systems=[section(records=records)]).path)

    for category in ("contact", "invoice"):
        expected = [expected_json(r) for r in records if r.category == category]
        assert bundle.json(f"data/crm/{category}.json") == expected
    # one record per line, for people reading the file
    lines = bundle.text("data/crm/contact.json").splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 4


def test_csv_files_hold_the_same_rows_with_the_union_of_the_fields_as_header(
    tmp_path: Path,
) -> None:
    bundle = open_bundle(write(tmp_path).path)

    rows = bundle.csv("data/crm/contact.csv")
    assert rows[0] == [
        "record_id",
        "source",
        "provided_by_subject",
        "name",
        "email",
        "tags",
        "address",
        "active",
        "note",
        "phone",
    ]
    assert all(len(row) == len(rows[0]) for row in rows)
    first, second = bundle.csv_dicts("data/crm/contact.csv")
    assert first["record_id"] == "p-1"
    assert first["provided_by_subject"] == "true"
    assert first["name"] == "Jan <script>alert('x')</script> Peeters"
    assert json.loads(first["tags"]) == ["klant", "vip"]
    assert json.loads(first["address"]) == {"street": "Kerkstraat 1", "city": "Gent"}
    assert first["active"] == "true"
    assert first["note"] == first["phone"] == ""  # fields this record does not have
    assert second["name"] == "Jan Peeters, Gent"
    assert second["email"] == ""  # None
    assert second["note"] == 'zegt "dag"\r\nen tot ziens'
    assert second["phone"] == "+32477123456"

    invoices = bundle.csv_dicts("data/crm/invoice.csv")
    assert [(r["number"], r["amount"], r["date"], r["paid"]) for r in invoices] == [
        ("2024/001", "121.5", "2024-01-31", "false"),
        ("2024/002", "60", "2024-02-29", "true"),
    ]


def test_csv_rows_written_before_a_new_field_appeared_get_every_column(
    tmp_path: Path,
) -> None:
    records = [
        Record("pbx", "call", f"c{i}", {"dst": f"+3247{i:07d}", "note": "a,b" if i % 3 else ""})
        for i in range(2500)
    ]
    records.append(Record("pbx", "call", "late", {"dst": "+32470000000", "tag": 'x"y'}))
    records.append(Record("pbx", "call", "last", {"dst": "+32470000001", "note": "n"}))
    bundle = open_bundle(write(tmp_path, systems=[section("pbx", records)]).path)

    rows = bundle.csv("data/pbx/call.csv")
    assert rows[0] == ["record_id", "source", "provided_by_subject", "dst", "note", "tag"]
    assert len(rows) == 1 + len(records)
    assert all(len(row) == 6 for row in rows)
    dicts = bundle.csv_dicts("data/pbx/call.csv")
    assert [d["record_id"] for d in dicts] == [r.record_id for r in records]
    assert dicts[1] == {
        "record_id": "c1",
        "source": "",
        "provided_by_subject": "false",
        "dst": "+32470000001",
        "note": "a,b",
        "tag": "",
    }
    assert dicts[-2]["tag"] == 'x"y' and dicts[-2]["note"] == ""
    assert dicts[-1]["note"] == "n" and dicts[-1]["tag"] == ""
    assert bundle.json("data/pbx/call.json") == [expected_json(r) for r in records]


def test_interleaved_categories_keep_their_order_across_many_batches(tmp_path: Path) -> None:
    records = [
        Record("crm", ("contact", "invoice", "note")[i % 3], str(i), {"n": i, "t": f"r{i}"})
        for i in range(4000)
    ]
    bundle = open_bundle(write(tmp_path, systems=[section(records=records)]).path)

    for category in ("contact", "invoice", "note"):
        expected = [expected_json(r) for r in records if r.category == category]
        assert bundle.json(f"data/crm/{category}.json") == expected
        rows = bundle.csv_dicts(f"data/crm/{category}.csv")
        assert [(r["record_id"], r["n"]) for r in rows] == [
            (r.record_id, str(r.fields["n"])) for r in records if r.category == category
        ]


def test_a_field_named_like_a_record_column_is_renamed(tmp_path: Path) -> None:
    record = Record("crm", "contact", "p-1", {"record_id": 7, "source": "web", "x": 1}, "CRM")
    bundle = open_bundle(write(tmp_path, systems=[section(records=[record])]).path)

    assert bundle.json("data/crm/contact.json") == [
        {
            "record_id": "p-1",
            "source": "CRM",
            "provided_by_subject": False,
            "field_record_id": 7,
            "field_source": "web",
            "x": 1,
        }
    ]
    assert bundle.csv("data/crm/contact.csv")[0][3:] == ["field_record_id", "field_source", "x"]


def test_names_from_configuration_and_plugins_become_safe_unique_paths(tmp_path: Path) -> None:
    records = [
        Record("x", "../../etc/passwd", "1", {"a": 1}),
        Record("x", "Call", "2", {"a": 2}),
        Record("x", "call", "3", {"a": 3}),
        Record("x", "outcomes", "4", {"a": 4}),
    ]
    systems = [section("../evil system", records), section("CON", [])]
    bundle = open_bundle(write(tmp_path, systems=systems).path)

    data = [n for n in bundle.names if n.startswith("data/")]
    assert data == [
        "data/evil_system/etc_passwd.json",
        "data/evil_system/etc_passwd.csv",
        "data/evil_system/Call.json",
        "data/evil_system/Call.csv",
        "data/evil_system/call-2.json",
        "data/evil_system/call-2.csv",
        "data/evil_system/outcomes-2.json",
        "data/evil_system/outcomes-2.csv",
    ]
    categories = bundle.manifest["systems"][0]["categories"]
    assert [(c["category"], c["json"]) for c in categories][0] == (
        "../../etc/passwd",
        "data/evil_system/etc_passwd.json",
    )


def test_outcome_files_list_every_outcome(tmp_path: Path) -> None:
    request = make_request(RequestKind.ERASURE)
    systems = [section(outcomes=crm_outcomes())]
    bundle = open_bundle(write(tmp_path, request, systems).path)

    assert bundle.json("data/crm/outcomes.json") == [o.to_json() for o in crm_outcomes()]
    rows = bundle.csv_dicts("data/crm/outcomes.csv")
    assert list(rows[0]) == [
        "record_id",
        "category",
        "action",
        "basis",
        "until",
        "detail",
        "fields",
    ]
    assert rows[2] == {
        "record_id": "inv-2024-001",
        "category": "invoice",
        "action": "kept",
        "basis": BASIS,
        "until": "2031-12-31",
        "detail": "factuur",
        "fields": "",
    }


def test_the_manifest_has_a_correct_checksum_and_size_for_every_other_file(
    tmp_path: Path,
) -> None:
    request = make_request(RequestKind.ERASURE)
    systems = [section(records=crm_records(), outcomes=crm_outcomes())]
    bundle = open_bundle(write(tmp_path, request, systems).path)

    files = bundle.manifest["files"]
    assert [f["path"] for f in files] == [n for n in bundle.names if n != "manifest.json"]
    for entry in files:
        assert entry["sha256"] == bundle.sha256(entry["path"])
        assert entry["size"] == len(bundle.read(entry["path"]))
    assert bundle.names[-1] == "manifest.json"


def test_the_manifest_describes_request_subject_controller_and_systems(tmp_path: Path) -> None:
    request = make_request(RequestKind.ERASURE)
    systems = [
        section(records=crm_records(), outcomes=crm_outcomes()),
        section("pbx", status="failed", error="connection refused by 10.0.0.5"),
    ]
    manifest = open_bundle(write(tmp_path, request, systems).path).manifest

    assert manifest["request"] == {
        "id": 42,
        "kind": "erasure",
        "article": "17",
        "state": "in_progress",
        "received_on": "2025-03-05",
        "due_on": "2025-04-07",
    }
    assert manifest["subject"]["name"] == "Jan Peeters"
    assert manifest["subject"]["identities"] == [i.to_json() for i in request.identities]
    assert manifest["controller"]["name"] == "Voxtra bv"
    assert manifest["generated_at"] == "2025-03-20T14:03:00+01:00"
    assert manifest["secrets"] == "masked" and manifest["encrypted"] is False
    crm, pbx = manifest["systems"]
    assert crm["status"] == "done" and crm["note"] is None
    assert crm["records"] == {"contact": 2, "invoice": 2, "credential": 1}
    assert crm["outcomes"]["actions"] == {"erased": 2, "anonymised": 1, "kept": 2}
    assert crm["identities"][0]["value"] == "C-1001"
    assert crm["kept"] == {
        "count": 2,
        "listed": 2,
        "truncated": False,
        "records": [
            {
                "record_id": "inv-2024-001",
                "category": "invoice",
                "basis": BASIS,
                "until": KEPT_UNTIL.isoformat(),
            },
            {
                "record_id": "inv-2024-002",
                "category": "invoice",
                "basis": BASIS,
                "until": "2032-12-31",
            },
        ],
    }
    assert pbx["status"] == "failed"
    assert pbx["note"] == (
        "Dit systeem kon niet volledig worden doorzocht; een medewerker bekijkt het."
    )
    assert "10.0.0.5" not in json.dumps(manifest), "staff error texts stay out of the bundle"
    assert pbx["records_total"] == 0 and pbx["folder"] is None


def test_a_long_kept_list_is_capped_in_the_manifest_but_counted(tmp_path: Path) -> None:
    outcomes = [Outcome(f"inv-{i}", "invoice", Action.KEPT, BASIS, KEPT_UNTIL) for i in range(30)]
    request = make_request(RequestKind.ERASURE)
    bundle = open_bundle(
        write(tmp_path, request, [section(outcomes=outcomes)], manifest_kept=10).path
    )

    kept = bundle.manifest["systems"][0]["kept"]
    assert kept["count"] == 30 and kept["listed"] == 10 and kept["truncated"] is True
    assert len(kept["records"]) == 10
    assert len(bundle.json("data/crm/outcomes.json")) == 30


@pytest.mark.parametrize("records", [0, 1, 511, 512, 513, 1500])
def test_any_number_of_records_round_trips(tmp_path: Path, records: int) -> None:
    items = [Record("pbx", "call", str(i), {"i": i, "s": "é ✓"}) for i in range(records)]
    bundle = open_bundle(write(tmp_path, systems=[section("pbx", items)]).path)

    if records == 0:
        assert not [n for n in bundle.names if n.startswith("data/")]
        return
    assert bundle.json("data/pbx/call.json") == [expected_json(r) for r in items]
    assert len(bundle.csv("data/pbx/call.csv")) == records + 1
    assert bundle.manifest["systems"][0]["records"] == {"call": records}


def test_values_json_does_not_know_are_written_readably(tmp_path: Path) -> None:
    from datetime import datetime, time
    from decimal import Decimal
    from uuid import UUID

    fields = {
        "when": datetime(2024, 5, 1, 12, 30),
        "at": time(8, 15),
        "price": Decimal("12.30"),
        "blob": b"\x00\xff",
        "ids": {3, 1, 2},
        "uuid": UUID(int=1),
        "kind": RequestKind.ACCESS,
        "masked": MASK,
    }
    record = Record("crm", "misc", "1", fields)
    bundle = open_bundle(write(tmp_path, systems=[section(records=[record])]).path)

    (item,) = bundle.json("data/crm/misc.json")
    assert item["when"] == "2024-05-01T12:30:00"
    assert item["at"] == "08:15:00"
    assert item["price"] == "12.30"
    assert item["blob"] == "AP8="
    assert item["ids"] == [1, 2, 3]
    assert item["uuid"] == "00000000-0000-0000-0000-000000000001"
    assert item["kind"] == "access"
    (row,) = bundle.csv_dicts("data/crm/misc.csv")
    assert row["when"] == "2024-05-01T12:30:00"
    assert row["price"] == "12.30"
    assert row["ids"] == "[1,2,3]"
    assert row["kind"] == "access"


def test_info_zip_finds_the_bundle_intact(tmp_path: Path) -> None:
    """Interoperability with another zip implementation (ZIP64 stream entries included)."""
    unzip = shutil.which("unzip")
    if unzip is None:
        unavailable("unzip not installed: apt-get install unzip")
    records = [Record("pbx", "call", str(i), {"i": i}) for i in range(2000)]
    request = make_request(RequestKind.ERASURE)
    systems = [section(records=crm_records(), outcomes=crm_outcomes()), section("pbx", records)]
    path = write(tmp_path, request, systems).path

    result = subprocess.run([unzip, "-t", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


@pytest.mark.parametrize(("language", "expected"), [("nl", "boekhoudwet"), ("fr", "loi comptable")])
def test_outcomes_csv_gives_a_per_language_basis_in_the_subjects_language(
    tmp_path: Path, language: str, expected: str
) -> None:
    """A plugin's basis given per language reads as a sentence in the CSV, not as JSON; the
    JSON keeps every language."""
    basis = {"nl": "boekhoudwet", "en": "accounting law", "fr": "loi comptable"}
    kept = [Outcome("inv-1", "invoice", Action.KEPT, basis, KEPT_UNTIL)]
    # the controller writes English; the subject asked for ``language``
    request = dataclasses.replace(make_request(RequestKind.ERASURE, "en"), language=language)
    bundle = open_bundle(write(tmp_path, request, [section(outcomes=kept)]).path)
    assert bundle.csv_dicts("data/crm/outcomes.csv")[0]["basis"] == expected
    assert bundle.json("data/crm/outcomes.json")[0]["basis"] == basis
