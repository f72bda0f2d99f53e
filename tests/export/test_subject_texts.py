"""What the subject reads about systems that were not (fully) searched: manifest.json and
report.html give a plain sentence in the report's language and a machine-readable status,
never the staff's error text (paths, tables, hosts), and never "holds nothing about you"."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_core.model import RequestKind

from .helpers import Html, crm_records, make_request, open_bundle, section, write
from .store_edits import NOT_SEARCHED_ERROR, UNREAD_LINE

STAFF_ERROR = (
    "connection refused by cdr.voxtra.lan:3306 (table asteriskcdrdb.cdr, /etc/dsr/pbx.key)"
)
STAFF_BITS = (
    "cdr.voxtra.lan",
    "3306",
    "asteriskcdrdb",
    "/etc/dsr",
    "crm failed first",
    "Master.csv",
)

PLAIN = {
    "nl": {
        "failed": "Dit systeem kon niet volledig worden doorzocht; een medewerker bekijkt het.",
        "not_searched": "Dit systeem is nog niet doorzocht",
        "incomplete": "Sommige gegevens in dit systeem konden niet worden gelezen; een "
        "medewerker bekijkt ze.",
        "nothing": "geen gegevens",
    },
    "en": {
        "failed": "This system could not be fully searched; a member of staff will review it.",
        "not_searched": "This system has not been searched yet",
        "incomplete": "Some records in this system could not be read; a member of staff will "
        "review them.",
        "nothing": "no data",
    },
}


def _systems() -> list:
    return [
        section(records=crm_records()),
        section("pbx", status="failed", error=STAFF_ERROR),
        section("dossier", status="not_searched", error=NOT_SEARCHED_ERROR, identities=()),
        section("cdr", status="done", unread_count=2, identities=()),
    ]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_manifest_has_a_status_and_a_plain_note_never_the_staff_error(
    tmp_path: Path, language: str
) -> None:
    request = make_request(language=language)
    bundle = open_bundle(write(tmp_path, request, _systems()).path)
    text = bundle.text("manifest.json")
    for bit in STAFF_BITS:
        assert bit not in text
    systems = {s["name"]: s for s in bundle.manifest["systems"]}
    words = PLAIN[language]
    assert systems["crm"]["status"] == "done" and systems["crm"]["note"] is None
    assert systems["pbx"]["status"] == "failed"
    assert systems["pbx"]["note"] == words["failed"]
    assert systems["dossier"]["status"] == "not_searched"
    assert systems["dossier"]["note"].startswith(words["not_searched"])
    assert systems["cdr"]["status"] == "incomplete"
    assert systems["cdr"]["unread_count"] == 2
    assert systems["cdr"]["note"] == words["incomplete"]
    assert all("error" not in s for s in systems.values())
    assert bundle.manifest["complete"] is False
    missing = {m["system"]: m for m in bundle.manifest["missing"]}
    assert set(missing) == {"pbx", "dossier", "cdr"}
    assert missing["pbx"] == {"system": "pbx", "status": "failed", "reason": words["failed"]}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_report_says_plainly_which_systems_were_not_fully_searched(
    tmp_path: Path, language: str
) -> None:
    request = make_request(language=language)
    bundle = open_bundle(write(tmp_path, request, _systems()).path)
    raw = bundle.text("report.html")
    for bit in STAFF_BITS:
        assert bit not in raw
    html = Html(raw)
    words = PLAIN[language]
    assert words["failed"] in html.text("system-pbx")
    assert words["not_searched"] in html.text("system-dossier")
    assert words["incomplete"] in html.text("system-cdr")
    for name in ("pbx", "dossier", "cdr"):
        assert words["nothing"] not in html.text(f"system-{name}")
        assert "unfinished" in html.classes[f"system-{name}"]
        # they may hold data: the Art. 15 overview lists them
        assert name in html.text("purposes")
    missing = html.text("missing")
    assert "pbx" in missing and "dossier" in missing and "cdr" in missing
    assert "crm" not in missing
    assert words["failed"] in missing


def test_a_complete_bundle_has_no_missing_list(tmp_path: Path) -> None:
    bundle = open_bundle(write(tmp_path, make_request(), [section(records=crm_records())]).path)
    assert bundle.manifest["complete"] is True and bundle.manifest["missing"] == []
    assert "missing" not in Html(bundle.text("report.html")).ids


def test_unread_data_in_an_erasure_is_not_reported_as_nothing_to_erase(tmp_path: Path) -> None:
    request = make_request(RequestKind.ERASURE, language="en")
    systems = [section("pbx", status="done", unread_count=1, identities=())]
    bundle = open_bundle(write(tmp_path, request, systems).path)
    html = Html(bundle.text("report.html"))
    assert PLAIN["en"]["incomplete"] in html.text("system-pbx")
    assert PLAIN["en"]["incomplete"] in html.text("missing")
    assert UNREAD_LINE not in bundle.text("manifest.json")
