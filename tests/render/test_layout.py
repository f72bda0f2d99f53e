"""The report and the letters as a browser lays them out: on a phone (390 px wide) and printed
on A4, nothing is wider than the page and nothing is cut off on the right. Screenshots (PNG)
and PDFs are kept in ``$DSR_TEST_ARTIFACTS/render`` (or pytest's temporary folder)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from dsr_core.answer import render
from dsr_core.answer.compose import LETTERS, Extras, RequestFacts, compose
from dsr_core.answer.facts import Facts, fold
from dsr_core.config import ControllerConfig
from dsr_core.fields import Field, labels
from dsr_core.model import Action, Outcome, Record, RequestKind
from dsr_core.systems import System
from tests.export.helpers import BRUSSELS, crm_records, make_request, open_bundle, section, write

from .browser import MM, Browser, Layout, artifacts, browser  # noqa: F401 - fixtures

PHONE = 390
#: The printable width of A4 under each page's @page margins (210 mm minus left and right).
REPORT_PRINT = round((210 - 28) * MM)
LETTER_PRINT = round((210 - 45) * MM)


class Telephony(System):
    """A PBX as its plugin declares it: labels, kinds, technical ids."""

    titles = labels("Telefonie", "Telephony", "Téléphonie")
    categories = {"call": labels("Gesprekken", "Calls", "Appels")}
    fields = {
        "direction": Field(labels("Richting", "Direction", "Sens")),
        "number": Field(labels("Uw nummer", "Your number", "Votre numéro"), "phone"),
        "counterpart": Field(labels("Ander nummer", "Other number", "Autre numéro"), "phone"),
        "start": Field(labels("Begin", "Start", "Début"), "datetime"),
        "answer": Field(labels("Opgenomen", "Answered", "Décroché"), "datetime"),
        "end": Field(labels("Einde", "End", "Fin"), "datetime"),
        "duration": Field(labels("Totale duur", "Total duration", "Durée totale"), "duration"),
        "billsec": Field(labels("Gespreksduur", "Talk time", "Durée de conversation"), "duration"),
        "disposition": Field(labels("Resultaat", "Outcome", "Résultat")),
        "accountcode": Field({}, "technical"),
        "uniqueid": Field({}, "technical"),
        "linkedid": Field({}, "technical"),
        "caller_name": Field(labels("Naam beller", "Caller name", "Nom de l'appelant")),
        "cost": Field(labels("Kost", "Cost", "Coût"), "amount"),
    }


def calls(count: int) -> Iterator[Record]:
    start = datetime(2025, 1, 19, 10, 5, tzinfo=BRUSSELS)
    for i in range(count):
        begin = start + timedelta(hours=7 * i)
        yield Record(
            "pbx",
            "call",
            f"{1737281100 + i}.{i}-{i}:14fbba16eac9ce27",
            {
                "direction": "outgoing" if i % 3 else "incoming",
                "number": "+32477123456",
                "counterpart": "+3292345678",
                "start": begin.isoformat(),
                "answer": (begin + timedelta(seconds=3)).isoformat(),
                "end": (begin + timedelta(seconds=365)).isoformat(),
                "duration": 365,
                "billsec": 362,
                "disposition": "ANSWERED",
                "accountcode": "voxtra",
                "uniqueid": f"{1737281100 + i}.{i}",
                "linkedid": f"{1737281100 + i}.{i}",
                "caller_name": "Jan Peeters",
                "cost": "0.1200000000",
            },
            source=f"Master.csv line {i}",
        )


def note() -> Record:
    text = "# Intake\n\n" + "Een heel lange regel zonder spaties " + "x" * 300
    return Record(
        "dossier", "dossier_note", "1001/notes/intake.md", {"title": "Intake", "text": text}
    )


def bundle_report(tmp_path: Path, language: str, kind: RequestKind) -> Path:
    request = dataclasses.replace(make_request(kind, language="nl"), language=language)
    if kind is RequestKind.ACCESS:
        systems = [
            section("crm", records=crm_records()),
            section("pbx", records=lambda: calls(400), system=Telephony, type="asterisk-csv"),
            section("dossier", records=[note()]),
        ]
    else:
        kept = [
            Outcome(
                f"{1737281100 + i}.{i}-{i}:14fbba16eac9ce27",
                "call",
                Action.KEPT,
                "Art. 17(3)(b) AVG; facturatie van telefonie (12 maanden)",
                date(2026, 12, 6),
                "kept for billing until 2026-12-06; erased the day after",
                {"start": f"2025-12-{1 + i % 28:02d}T09:51:00+01:00", "direction": "outgoing"},
            )
            for i in range(120)
        ]
        systems = [
            section("pbx", outcomes=kept, system=Telephony, type="asterisk-csv"),
            section(
                "crm",
                outcomes=[Outcome("customers:1002", "contact", Action.ANONYMISED, detail="x")],
            ),
        ]
    result = write(tmp_path, request, systems, html_rows=1000)
    page = tmp_path / f"report-{kind.value}-{language}.html"
    page.write_bytes(open_bundle(result.path).read("report.html"))
    return page


def assert_fits(layout: Layout, what: str) -> None:
    assert layout.elements > 5, f"{what}: the page did not load"
    problems = layout.problems()
    assert not problems, f"{what}:\n" + "\n".join(problems)


def check(browser: Browser, page: Path, artifacts: Path, print_width: int) -> None:  # noqa: F811
    (artifacts / page.name).write_bytes(page.read_bytes())
    phone = browser.open(page, width=PHONE)
    try:
        phone.screenshot(artifacts / f"{page.stem}-390px.png")
        assert_fits(phone.layout(), f"{page.name} at {PHONE} px")
    finally:
        phone.close()
    paper = browser.open(page, width=print_width, print_media=True)
    try:
        paper.pdf(artifacts / f"{page.stem}-A4.pdf")
        assert_fits(paper.layout(), f"{page.name} printed on A4")
    finally:
        paper.close()


@pytest.mark.parametrize("language", ["nl", "fr"])
@pytest.mark.parametrize("kind", [RequestKind.ACCESS, RequestKind.ERASURE])
def test_the_report_fits_a_phone_and_a4(
    browser: Browser,  # noqa: F811
    artifacts: Path,  # noqa: F811
    tmp_path: Path,
    language: str,
    kind: RequestKind,
) -> None:
    page = bundle_report(tmp_path, language, kind)
    check(browser, page, artifacts, REPORT_PRINT)


def test_on_a_phone_a_call_is_a_card_with_labels(
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = bundle_report(tmp_path, "nl", RequestKind.ACCESS)
    phone = browser.open(page, width=PHONE)
    try:
        label = phone.evaluate(
            "getComputedStyle(document.querySelector('#records-pbx-call td'), '::before').content"
        )
        header = phone.evaluate(
            "getComputedStyle(document.querySelector('#records-pbx-call thead')).display"
        )
    finally:
        phone.close()
    assert label == '"Richting"'
    assert header == "none"


CONTROLLER = ControllerConfig(
    name="Voxtra bv", email="privacy@voxtra.be", address="Kerkstraat 1, 9000 Gent"
)


def letter_page(tmp_path: Path, name: str, language: str) -> Path:
    outcomes = {
        "crm": [
            Outcome("crm-row-7731", "contact", Action.ERASED),
            Outcome("r/41", "invoice", Action.KEPT, "WIB 92 art. 315", date(2033, 12, 31)),
        ],
        "pbx": [Outcome("1700000000.42", "call", Action.ANONYMISED)],
    }
    rectified = [
        Outcome(
            "crm-row-7731",
            "contact",
            Action.RECTIFIED,
            fields={"email": {"old": "jan.peeters@oud-adres.example.be", "new": "jan@nieuw.be"}},
        )
    ]
    if name == "erasure":
        facts = Facts([fold(s, o) for s, o in outcomes.items()])
    elif name == "rectification":
        facts = Facts([fold("crm", rectified)])
    elif name == "restriction":
        facts = Facts([fold("crm", [Outcome("c", "contact", Action.RESTRICTED)])])
    else:
        facts = Facts()
    kind = name if name in RequestKind.__members__.values() else "restriction"
    letter = compose(
        name,
        RequestFacts(
            id=12,
            kind=RequestKind(kind),
            subject_name="Jan Peeters",
            received_on=date(2026, 11, 1),
            due_on=date(2027, 2, 1),
        ),
        CONTROLLER,
        today=date(2026, 12, 2),
        language=language,
        extras=Extras(
            facts=facts,
            bundle_name="request-12-access-20261202-101500.zip"
            if name in ("access", "portability")
            else None,
            encrypted=name == "portability",
            reason="Derde identiek verzoek binnen het jaar; " + "zie ons vorig antwoord. " * 5,
            lift_on=date(2026, 12, 16) if name == "restriction-lift" else None,
        ),
    )
    page = tmp_path / f"letter-{name}-{language}.html"
    page.write_text(render.html(letter), encoding="utf-8")
    return page


@pytest.mark.parametrize("name", LETTERS)
def test_every_letter_fits_a_phone_and_a4(
    browser: Browser,  # noqa: F811
    artifacts: Path,  # noqa: F811
    tmp_path: Path,
    name: str,
) -> None:
    check(browser, letter_page(tmp_path, name, "fr"), artifacts, LETTER_PRINT)
