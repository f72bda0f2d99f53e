"""report.html in the subject's words: display names, labelled categories and columns, values
as people write them, nothing technical; the JSON and CSV files keep the raw names and values."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dsr_core.fields import (
    Field,
    category_label,
    field_kind,
    field_label,
    labels,
    system_title,
    unlabelled_category,
    unlabelled_field,
)
from dsr_core.model import Action, Outcome, Record, RequestKind
from dsr_core.systems import System

from .helpers import Html, make_request, open_bundle, section, write


class Telephony(System):
    """A system type as a plugin declares it (the real declarations live in plugins/**)."""

    titles = labels("Telefonie", "Telephony", "Téléphonie")
    categories = {"call": labels("Gesprekken", "Calls", "Appels")}
    fields = {
        "call.start": Field(labels("Begin", "Start", "Début"), "datetime"),
        "start": Field(labels("NIET DEZE", "NOT THIS", "PAS CECI"), "text"),
        "billsec": Field(labels("Duur", "Duration", "Durée"), "duration"),
        "linkedid": Field({}, "technical"),
        "uniqueid": Field({}, "technical"),
        "counterpart": Field(labels("Ander nummer", "Other number", "Autre numéro"), "phone"),
        "answered": Field(labels("Beantwoord", "Answered", "Répondu"), "boolean"),
        "cost": Field(labels("Kost", "Cost", "Coût"), "amount"),
        "direction": Field(
            labels("Richting", "Direction", "Sens"),
            values={"incoming": labels("inkomend", "incoming", "entrant")},
        ),
        "tags": Field(labels("Labels", "Tags", "Étiquettes")),
    }


def calls(count: int = 3) -> Iterator[Record]:
    for i in range(count):
        yield Record(
            "pbx",
            "call",
            f"1737281100.{i}",
            {
                "start": "2025-01-19T10:05:00+01:00",
                "billsec": 362,
                "linkedid": f"1737281100.{i}",
                "uniqueid": f"1737281100.{i}",
                "counterpart": "+3292345678",
                "answered": True,
                "cost": "77.8600000000",
                "direction": "incoming" if i else "sideways",
                "tags": {"city": "Gent", "vip": True},
            },
            source="Master.csv line 56",
        )


def pbx(**changes: Any) -> Any:
    values: dict[str, Any] = {"records": lambda: calls(), "system": Telephony, "type": "asterisk"}
    values.update(changes)
    return section("pbx", **values)


def report(tmp_path: Path, language: str = "nl", **kwargs: Any) -> Html:
    request = kwargs.pop("request", None) or make_request(language=language)
    result = write(tmp_path, request, kwargs.pop("systems", None) or [pbx()], **kwargs)
    return Html(open_bundle(result.path).text("report.html"))


def test_resolution_prefers_the_system_then_the_core_table_then_the_raw_name() -> None:
    assert system_title(Telephony, "pbx", "fr") == "Téléphonie"
    assert system_title(Telephony, "pbx", "de") == "Telephony"  # titles["en"]
    assert system_title(None, "pbx", "nl") == "pbx"  # no longer configured
    assert system_title(Telephony, "pbx", "nl", "Centrale") == "Centrale"
    assert system_title(Telephony, "pbx", "en", {"nl": "Centrale"}) == "Telephony"
    assert field_label(Telephony, "call", "start", "nl") == "Begin"  # "call.start" wins
    assert field_label(Telephony, "other", "start", "nl") == "NIET DEZE"
    assert field_label(Telephony, "call", "email", "fr") == "Adresse e-mail"  # core table
    assert field_label(Telephony, "call", "zork", "fr") == "zork"
    assert field_kind(Telephony, "call", "linkedid") == "technical"
    assert category_label(None, "invoice", "nl") == "Facturen"
    assert category_label(Telephony, "call", "fr") == "Appels"
    assert category_label(Telephony, "fax", "nl") == "fax"
    assert unlabelled_field(Telephony, "call", "linkedid") == []
    assert unlabelled_field(Telephony, "call", "zork") == ["nl", "en", "fr"]
    assert unlabelled_category(Telephony, "fax") == ["nl", "en", "fr"]


def test_an_instance_may_set_its_labels_from_its_config(tmp_path: Path) -> None:
    class Mapped(System):
        config_keys = {"label": "the category's label"}

        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.categories = {"row": labels(self.config["label"], "Rows", "Lignes")}

    from dsr_core.testing import make_context

    system = Mapped("crm", {"label": "Klantfiches"}, make_context("crm", tmp_path))
    assert category_label(system, "row", "nl") == "Klantfiches"


def test_a_field_kind_must_be_known() -> None:
    with pytest.raises(ValueError, match="unknown field kind 'money'"):
        Field(labels("Bedrag", "Amount", "Montant"), "money")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", ["19 januari 2025, 10:05", "6 min 2 s", "€ 77,86", "ja", "Telefonie", "Begin"]),
        ("en", ["19 January 2025, 10:05", "6 min 2 s", "€77.86", "yes", "Telephony", "Start"]),
        ("fr", ["19 janvier 2025, 10:05", "6 min 2 s", "€ 77,86", "oui", "Téléphonie", "Début"]),
    ],
)
def test_values_read_as_people_write_them(
    tmp_path: Path, language: str, expected: list[str]
) -> None:
    html = report(tmp_path, language)
    table = html.text("records-pbx-call").replace("\u00a0", " ")

    for text in expected[:4]:
        assert text in table, text
    assert expected[5] in table
    assert expected[4] in html.text("system-pbx")
    assert expected[4] in html.text("purposes")
    assert "+3292345678" in table
    assert "true" not in table.replace("vip: true", "").replace("vip : true", "")
    for raw in ("2025-01-19T10:05", "77.860", "362", "linkedid", "billsec"):
        assert raw not in table, raw
    assert "Master.csv" not in html.text("system-pbx")  # the source stays in the files
    assert "1737281100" not in html.text("system-pbx")  # ids and technical fields too


def test_known_values_and_nested_values_read_as_words(tmp_path: Path) -> None:
    table = report(tmp_path, "fr").text("records-pbx-call").replace("\u00a0", " ")

    assert table.count("entrant") == 2  # the two incoming calls
    assert "sideways" in table  # a value nobody named is shown as it is
    assert "Commune : Gent, vip : true" in table
    assert '{"city"' not in table


def test_the_files_keep_the_raw_names_and_values(tmp_path: Path) -> None:
    result = write(tmp_path, make_request(), [pbx()])
    bundle = open_bundle(result.path)

    rows = bundle.csv("data/pbx/call.csv")
    assert rows[0] == [
        "record_id",
        "source",
        "provided_by_subject",
        "start",
        "billsec",
        "linkedid",
        "uniqueid",
        "counterpart",
        "answered",
        "cost",
        "direction",
        "tags",
    ]
    assert rows[1][3:] == [
        "2025-01-19T10:05:00+01:00",
        "362",
        "1737281100.0",
        "1737281100.0",
        "+3292345678",
        "true",
        "77.8600000000",
        "sideways",
        '{"city":"Gent","vip":true}',
    ]
    first = bundle.json("data/pbx/call.json")[0]
    assert first["billsec"] == 362 and first["cost"] == "77.8600000000"
    assert bundle.json("manifest.json")["systems"][0]["name"] == "pbx"


def test_a_config_title_wins_and_an_unconfigured_system_keeps_its_name(tmp_path: Path) -> None:
    systems = [
        pbx(title={"nl": "Onze telefooncentrale", "fr": "Notre centrale"}),
        section("legacy", [Record("legacy", "call", "x", {"start": "2024-01-02"})]),
    ]
    html = report(tmp_path, "nl", systems=systems)

    assert html.text("system-pbx").startswith("Onze telefooncentrale")
    assert html.text("system-legacy").startswith("legacy")
    # without a system, the core table still labels what it knows
    assert "Gesprekken" in html.text("system-legacy")
    assert "2 januari 2024" in html.text("records-legacy-call")


def test_the_categories_section_is_built_from_the_data(tmp_path: Path) -> None:
    undeclared = pbx(processing=section("pbx").processing.__class__())  # nothing in config
    html = report(tmp_path, "nl", systems=[undeclared])

    categories = html.text("categories")
    assert "Gesprekken (3 gegevens)" in categories
    assert "niet vermeld" not in categories

    (tmp_path / "declared").mkdir()
    declared = report(tmp_path / "declared", "nl", systems=[pbx()]).text("categories")
    assert "Gesprekken (3 gegevens)" in declared
    assert "contactgegevens" in declared  # the config's categories are still listed


def test_an_erasure_report_describes_records_by_their_fields_in_its_language(
    tmp_path: Path,
) -> None:
    outcomes = [
        Outcome(
            "1737281100.1",
            "call",
            Action.KEPT,
            "Art. 17(3)(b) AVG",
            date(2026, 12, 6),
            "kept for billing until 2026-12-06; erased the day after",
            {"start": "2025-12-06T09:51:00+01:00", "linkedid": "1737281100.1"},
        ),
        Outcome("1737281100.2", "call", Action.ERASED, detail="deleted"),
    ]
    request = make_request(RequestKind.ERASURE, language="fr")
    html = report(tmp_path, request=request, systems=[pbx(records=(), outcomes=outcomes)])

    kept = html.text("kept").replace("\u00a0", " ")
    assert "Début : 6 décembre 2025, 09:51" in kept
    assert "6 décembre 2026" in kept
    assert "kept for billing" not in kept and "1737281100" not in kept
    assert "Appels : 1 donnée" in html.text("erased").replace("\u00a0", " ")
    assert "Appels" in html.text("outcomes") and "conservé" in html.text("outcomes")
    assert "Appels (2 données)" in html.text("categories")


def test_the_request_language_wins_over_the_controllers(tmp_path: Path) -> None:
    french = dataclasses.replace(make_request(language="nl"), language="fr")
    html = report(tmp_path, request=french)

    assert html.text("rights").startswith("Vos droits")
    assert "Autorité de protection des données" in html.text("complaint")
    assert "Rue de la Presse 35" in html.text("complaint")
    assert "1000 Bruxelles" in html.text("complaint")
    assert "Appels" in html.text("system-pbx")


def test_amounts_durations_and_numbers_by_language() -> None:
    from dsr_core.export.readable import amount_text, duration_text, formatter

    assert amount_text("nl", Decimal("1234.5")) == "€\u00a01.234,50"
    assert amount_text("en", Decimal("-1234.5")) == "-€1,234.50"
    assert amount_text("fr", Decimal("0.005")) == "€\u00a00,01"
    assert duration_text("nl", 3725).replace("\u00a0", " ") == "1 u 2 min 5 s"
    assert duration_text("en", 0).replace("\u00a0", " ") == "0 s"
    number = formatter("number", "fr")
    assert number is not None and number("3.50") == "3,5" and number("7") == "7"
    date_of = formatter("datetime", "fr")
    assert date_of is not None and date_of("2025-03-01") == "1er mars 2025"
    assert date_of("not a date") == "not a date"  # shown as it is


class _Store(System):
    kinds = frozenset({RequestKind.ACCESS})
    description = "records held in memory"

    def locate(self, subject: Any) -> list[Any]:
        return list(subject.identities)

    def access(self, subject: Any, keys: Any) -> Iterator[Record]:
        yield Record(self.name, "call", "1", {"billsec": 3, "zork": "?", "customer_id": "x"})


def test_the_conformance_suite_names_every_field_without_labels(tmp_path: Path) -> None:
    from dsr_core.model import Identity, IdentityKind, Subject
    from dsr_core.testing import SystemConformance, make_context

    subject = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan@example.be"),))
    bare = _Store("pbx", {}, make_context("pbx", tmp_path))
    with pytest.raises(AssertionError) as failed:
        SystemConformance().test_access_fields_and_categories_have_labels(bare, subject)
    message = str(failed.value)
    assert "field call.billsec in nl, en, fr" in message
    assert "field call.zork in nl, en, fr" in message
    assert "customer_id" not in message  # technical in the core table: no label needed
    assert "category" not in message  # "call" is in the core table

    class Labelled(_Store):
        fields = {
            "billsec": Field(labels("Duur", "Duration", "Durée"), "duration"),
            "zork": Field(labels("Zork", "Zork", "Zork")),
        }

    labelled = Labelled("pbx", {}, make_context("pbx", tmp_path))
    SystemConformance().test_access_fields_and_categories_have_labels(labelled, subject)


def test_a_rectification_reads_old_to_new_under_the_fields_label(tmp_path: Path) -> None:
    change = Outcome(
        "c-1",
        "contact",
        Action.RECTIFIED,
        fields={"email": {"old": "jan@oud.be", "new": "jan@nieuw.be"}, "id": 7},
    )
    request = make_request(RequestKind.RECTIFICATION, language="nl")
    html = report(tmp_path, request=request, systems=[section("crm", outcomes=[change])])

    changes = html.text("changes")
    assert "E-mailadres: jan@oud.be → jan@nieuw.be" in changes
    assert "verbeterd" in changes and "Contactgegevens" in changes
    assert "c-1" not in changes
