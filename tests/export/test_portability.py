"""Art. 20: only what the subject provided, as JSON and CSV; no report."""

from __future__ import annotations

from pathlib import Path

from dsr_core.model import RequestKind

from .helpers import crm_outcomes, crm_records, expected_json, make_request, open_bundle, section
from .helpers import write as write_bundle


def test_portability_exports_only_provided_records_as_json_and_csv(tmp_path: Path) -> None:
    request = make_request(RequestKind.PORTABILITY)
    systems = [section(records=crm_records(), outcomes=crm_outcomes())]
    result = write_bundle(tmp_path, request, systems)

    bundle = open_bundle(result.path)
    assert bundle.names == ["data/crm/contact.json", "data/crm/contact.csv", "manifest.json"]
    provided = [r for r in crm_records() if r.provided_by_subject]
    assert bundle.json("data/crm/contact.json") == [expected_json(r) for r in provided]
    assert [row["record_id"] for row in bundle.csv_dicts("data/crm/contact.csv")] == [
        "p-1",
        "p-2",
    ]
    assert result.records == 2


def test_the_portability_manifest_says_what_was_left_out(tmp_path: Path) -> None:
    request = make_request(RequestKind.PORTABILITY)
    bundle = open_bundle(write_bundle(tmp_path, request).path)

    manifest = bundle.manifest
    assert manifest["report"] is None
    assert manifest["request"]["kind"] == "portability"
    (crm,) = manifest["systems"]
    assert crm["records"] == {"contact": 2}
    assert crm["records_not_provided_by_subject"] == 3
    assert [f["path"] for f in manifest["files"]] == [
        "data/crm/contact.json",
        "data/crm/contact.csv",
    ]
