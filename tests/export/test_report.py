"""report.html: the Art. 15 information, the records, and for erasure what was kept and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr_core.model import Identity, IdentityKind, Record, RequestKind

from .helpers import (
    BASIS,
    Html,
    crm_outcomes,
    crm_records,
    make_request,
    open_bundle,
    section,
    write,
)

ACCESS_SECTIONS = [
    "summary",
    "processing",
    "purposes",
    "legal-basis",
    "categories",
    "recipients",
    "retention",
    "source",
    "rights",
    "complaint",
    "systems",
    "system-crm",
    "files",
]


def report(tmp_path: Path, **kwargs: object) -> Html:
    result = write(tmp_path, **kwargs)  # type: ignore[arg-type]
    return Html(open_bundle(result.path).text("report.html"))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_report_has_every_art_15_section(tmp_path: Path, language: str) -> None:
    html = report(tmp_path, request=make_request(language=language))

    for ident in ACCESS_SECTIONS:
        assert ident in html.ids, ident
    assert "system" in html.classes["system-crm"]
    for right in ("rectification", "erasure", "restriction", "objection", "portability"):
        assert f"right-{right}" in html.ids
    assert "klantenbeheer" in html.text("purposes")
    assert "overeenkomst (art. 6.1.b AVG)" in html.text("legal-basis")
    assert "7 jaar na de laatste factuur" in html.text("retention")
    assert "de klant zelf" in html.text("source")
    assert "contactgegevens" in html.text("categories")
    assert "Proximus NV" in html.text("recipients") and "Bpost" in html.text("recipients")
    assert "Drukpersstraat 35" in html.text("complaint")
    assert "www.gegevensbeschermingsautoriteit.be" in html.text("complaint")
    assert "Gegevensbeschermingsautoriteit" in html.text("complaint")


def test_the_dutch_report_is_in_dutch(tmp_path: Path) -> None:
    html = report(tmp_path, request=make_request(language="nl"))

    assert html.text("rights").startswith("Uw rechten")
    assert "Recht op rectificatie" in html.text("rights")
    assert "Recht op wissing" in html.text("rights")
    assert "Recht op beperking van de verwerking" in html.text("rights")
    assert "Recht van bezwaar" in html.text("rights")
    assert "Recht op overdraagbaarheid" in html.text("rights")
    assert "recht een klacht in te dienen bij de Belgische" in html.text("complaint")
    assert "1000 Brussel" in html.text("complaint")
    assert "rechter" in html.text("complaint")
    assert "Ontvangers" in html.text("recipients")
    assert "1 januari 2020" in html.text("recipients")


def test_the_english_report_is_in_english(tmp_path: Path) -> None:
    html = report(tmp_path, request=make_request(language="en"))

    assert html.text("rights").startswith("Your rights")
    assert "lodge a complaint" in html.text("complaint")
    assert "go to court" in html.text("complaint")
    assert "1 January 2020" in html.text("recipients")
    assert "Recht op" not in html.text("rights")


def test_the_report_shows_each_systems_records_as_tables(tmp_path: Path) -> None:
    html = report(tmp_path)

    assert "records-crm-contact" in html.ids
    assert "records-crm-invoice" in html.ids
    contact = html.text("records-crm-contact")
    assert "jan.peeters@example.be" in contact
    assert "Kerkstraat 1" in contact
    assert "None" not in contact
    assert "C-1001" in html.text("system-crm")  # how the subject was found there


def test_record_fields_are_escaped(tmp_path: Path) -> None:
    result = write(tmp_path)
    text = open_bundle(result.path).text("report.html")

    assert "<script" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    html = Html(text)
    assert "script" not in html.tags
    assert "Jan <script>alert('x')</script> Peeters" in html.text("records-crm-contact")


def test_the_report_is_self_contained(tmp_path: Path) -> None:
    text = open_bundle(write(tmp_path).path).text("report.html")
    html = Html(text)

    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(html.tags)
    assert "src=" not in text and "url(" not in text and "@import" not in text
    assert "<style>" in text


def test_long_tables_are_capped_with_a_pointer_to_the_files(tmp_path: Path) -> None:
    records = [Record("pbx", "call", f"c{i}", {"dst": f"+3247{i:07d}"}) for i in range(12)]
    result = write(tmp_path, systems=[section("pbx", records)], html_rows=5)
    bundle = open_bundle(result.path)
    text = bundle.text("report.html")
    html = Html(text)

    assert text.count('">+3247') == 5
    assert "Nog 7 rijen in data/pbx/call.csv." in html.text("system-pbx")
    assert len(bundle.csv("data/pbx/call.csv")) == 13


def test_an_erasure_report_says_what_was_erased_anonymised_and_kept(tmp_path: Path) -> None:
    request = make_request(RequestKind.ERASURE)
    systems = [section(outcomes=crm_outcomes())]
    html = report(tmp_path, request=request, systems=systems)

    for ident in ("outcomes", "erased", "anonymised", "kept", "rights", "complaint"):
        assert ident in html.ids, ident
    assert "Contactgegevens: 1 gegeven" in html.text("erased")
    assert "Toegangsgegevens: 1 gegeven" in html.text("erased")
    assert "p-2" in html.text("anonymised")  # no fields to describe it by: its id
    # the system's note for staff (any language, may name files) stays in outcomes.csv
    assert "naam en e-mail vervangen" not in html.text("anonymised")
    kept = html.text("kept")
    assert "inv-2024-001" in kept and "inv-2024-002" in kept
    assert BASIS in kept
    assert "31 december 2031" in kept and "31 december 2032" in kept
    assert "p-1" not in kept


def test_an_english_erasure_report_dates_kept_records_in_english(tmp_path: Path) -> None:
    request = make_request(RequestKind.ERASURE, language="en")
    html = report(tmp_path, request=request, systems=[section(outcomes=crm_outcomes())])

    assert "31 December 2031" in html.text("kept")
    assert BASIS in html.text("kept")


def test_a_failed_system_is_announced_without_its_technical_error(tmp_path: Path) -> None:
    systems = [
        section(records=crm_records()),
        section("pbx", status="failed", error="connection refused by 10.0.0.5"),
    ]
    html = report(tmp_path, systems=systems)

    assert "system-pbx" in html.ids
    assert "kon niet volledig worden doorzocht" in html.text("system-pbx")
    assert "10.0.0.5" not in html.text("system-pbx")
    assert "unfinished" in html.classes["system-pbx"]


def test_without_recipients_the_report_says_so(tmp_path: Path) -> None:
    html = report(tmp_path, recipients=())

    assert "aan niemand verstrekt" in html.text("recipients")


def test_a_system_without_data_says_so_and_stays_out_of_the_art_15_overview(
    tmp_path: Path,
) -> None:
    systems = [section(records=crm_records()), section("backup", [], identities=())]
    html = report(tmp_path, systems=systems)

    assert html.text("system-backup") == "backup Dit systeem bevat geen gegevens over u."
    assert "backup" not in html.text("purposes")
    assert "crm" in html.text("purposes")


def test_a_customer_number_two_systems_found_is_named_once(tmp_path: Path) -> None:
    """The CRM and the dossier system both know the customer as 1001: the subject reads it
    once among the identities the report was made with."""
    number = [
        Identity(IdentityKind.CUSTOMER_ID, "1001", system=name, source=name)
        for name in ("crm", "dossier")
    ]
    request = make_request(identities=(*make_request().identities, *number))
    html = report(tmp_path, request=request)
    facts = html.text("top")
    assert facts.count("1001") == 1, facts
    assert "jan.peeters@example.be" in facts and "+32477123456" in facts
