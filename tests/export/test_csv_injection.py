"""Spreadsheet formula injection: CSV cells that a spreadsheet would run as a formula get a
``'`` in front (OWASP "CSV Injection": cells starting with = + - @ tab CR; OWASP ASVS 5.0
V1.2.10 adds NUL). JSON files and the report keep the values as they are. Plain numbers
(``-12.50``, an E.164 ``+32477123456``) are left alone: docs in dsr_core/export/values.py."""

from __future__ import annotations

import json
from pathlib import Path

from dsr_core.model import Action, Outcome, Record, RequestKind

from .helpers import Html, make_request, open_bundle, section, write

HOSTILE = {
    "name": '=HYPERLINK("http://x")',
    "caller": "-2+3",
    "note": "@SUM(A1:A9)",
    "plus": "+cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "nul": "\x00=1",
}
PLAIN = {
    "phone": "+32477123456",
    "amount": "-12.50",
    "count": -5,
    "text": "Jan = Jan",
    "empty": "",
    "dash_name": "Jean-Luc",
}


def _bundle(tmp_path: Path, **kwargs: object):
    records = [
        Record("crm", "contact", "=1+1", {**HOSTILE, **PLAIN}, source="@crm"),
        Record("crm", "contact", "c-2", {"name": "Jan", "=evil": "x"}, source="crm"),
    ]
    return open_bundle(write(tmp_path, systems=[section(records=records)], **kwargs).path)


def test_csv_cells_that_start_a_formula_get_a_quote(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    rows = bundle.csv_dicts("data/crm/contact.csv")
    first = rows[0]
    for field, value in HOSTILE.items():
        assert first[field] == "'" + value, field
    assert first["record_id"] == "'=1+1"
    assert first["source"] == "'@crm"
    assert "'=evil" in rows[1], "a field name is a cell too"


def test_plain_numbers_and_harmless_text_are_left_alone(tmp_path: Path) -> None:
    first = _bundle(tmp_path).csv_dicts("data/crm/contact.csv")[0]
    assert first["phone"] == "+32477123456"
    assert first["amount"] == "-12.50"
    assert first["count"] == "-5"
    assert first["text"] == "Jan = Jan"
    assert first["empty"] == ""
    assert first["dash_name"] == "Jean-Luc"


def test_json_and_the_report_keep_the_values_as_they_are(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    (item, _) = bundle.json("data/crm/contact.json")
    for field, value in HOSTILE.items():
        assert item[field] == value
    assert item["record_id"] == "=1+1"
    html = Html(bundle.text("report.html"))
    table = html.text("records-crm-contact")
    assert "=HYPERLINK" in table and "'=HYPERLINK" not in table


def test_outcomes_csv_is_neutralised_too(tmp_path: Path) -> None:
    outcomes = [
        Outcome("-2+3", "call", Action.KEPT, basis='=WEBSERVICE("http://x")', detail="@x"),
        Outcome("c-1", "contact", Action.ERASED, detail="-12.50"),
    ]
    request = make_request(RequestKind.ERASURE)
    bundle = open_bundle(write(tmp_path, request, [section(outcomes=outcomes)]).path)
    kept, erased = bundle.csv_dicts("data/crm/outcomes.csv")
    assert kept["record_id"] == "'-2+3"
    assert kept["basis"] == '\'=WEBSERVICE("http://x")'
    assert kept["detail"] == "'@x"
    assert erased["detail"] == "-12.50"
    (first, _) = json.loads(bundle.text("data/crm/outcomes.json"))
    assert first["record_id"] == "-2+3" and first["detail"] == "@x"
