"""Every letter in every language, as the subject reads it: dates in words, what was kept
with its until-date and basis, old → new per field; never an ISO date or a record id."""

from __future__ import annotations

import os
import re
from datetime import date

import pytest

from dsr_core.answer import render
from dsr_core.answer.compose import LETTERS, Extras, RequestFacts, compose
from dsr_core.answer.facts import Facts, fold
from dsr_core.config import ControllerConfig
from dsr_core.model import Action, Outcome, RequestKind

LANGS = ("nl", "en", "fr")
TODAY = date(2026, 12, 2)
CONTROLLER = ControllerConfig(
    name="Voxtra bv", email="privacy@voxtra.be", address="Kerkstraat 1, 9000 Gent"
)
TODAY_WORDS = {"nl": "2 december 2026", "en": "2 December 2026", "fr": "2 décembre 2026"}
RECEIVED_WORDS = {"nl": "1 november 2026", "en": "1 November 2026", "fr": "1er novembre 2026"}
UNTIL_WORDS = {"nl": "31 december 2033", "en": "31 December 2033", "fr": "31 décembre 2033"}
INVOICES = {"nl": "facturen", "en": "invoices", "fr": "factures"}
BASIS = "WIB 92 art. 315 (boekhouding)"
RECORD_IDS = ("res.partner/41", "crm-row-7731", "1700000000.42")

OUTCOMES = {
    "crm": [
        Outcome("crm-row-7731", "contact", Action.ERASED, detail="deleted from klanten"),
        Outcome("res.partner/41", "invoice", Action.KEPT, BASIS, date(2033, 12, 31), "facturen"),
        Outcome("res.partner/42", "invoice", Action.KEPT, BASIS, date(2033, 12, 31)),
    ],
    "pbx": [Outcome("1700000000.42", "call", Action.ANONYMISED, detail="/var/log/x.csv")],
}
RECTIFIED = [
    Outcome(
        "crm-row-7731",
        "contact",
        Action.RECTIFIED,
        fields={"email": {"old": "jan@oud.be", "new": "jan@nieuw.be"}},
    ),
    Outcome("res.partner/41", "contact", Action.RECTIFIED, fields={"street": "Veldstraat 3"}),
]


def _request(kind: str) -> RequestFacts:
    rk = RequestKind(kind) if kind in RequestKind.__members__.values() else None
    return RequestFacts(
        id=12,
        kind=rk or RequestKind.RESTRICTION,
        subject_name="Jan Peeters",
        received_on=date(2026, 11, 1),
        due_on=date(2027, 2, 1),
    )


def _extras(name: str) -> Extras:
    if name == "erasure":
        facts = Facts([fold(s, o) for s, o in OUTCOMES.items()])
    elif name == "rectification":
        facts = Facts([fold("crm", RECTIFIED)])
    elif name == "restriction":
        facts = Facts([fold("crm", [Outcome("crm-row-7731", "contact", Action.RESTRICTED)])])
    else:
        facts = Facts()
    return Extras(
        facts=facts,
        bundle_name="request-12-access.zip" if name in ("access", "portability") else None,
        encrypted=name == "portability",
        reason="Derde identiek verzoek."
        if name in ("refusal", "extension", "restriction-lift")
        else "",
        lift_on=date(2026, 12, 16) if name == "restriction-lift" else None,
    )


def _letter(name: str, lang: str) -> tuple[str, str]:
    kind = name if name in RequestKind.__members__.values() else "restriction"
    letter = compose(
        name, _request(kind), CONTROLLER, today=TODAY, language=lang, extras=_extras(name)
    )
    return render.text(letter), render.html(letter)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", LETTERS)
def test_every_letter_renders_with_letterhead_dates_in_words_and_no_raw_ids(name, lang):
    text, html = _letter(name, lang)
    for out in (text, html):
        assert "Voxtra bv" in out and "Kerkstraat 1" in out and "privacy@voxtra.be" in out
        assert "Jan Peeters" in out
        assert TODAY_WORDS[lang] in out
        assert RECEIVED_WORDS[lang] in out
        assert not re.search(r"\d{4}-\d{2}-\d{2}", out), "an ISO date reached the letter"
        for record_id in RECORD_IDS:
            assert record_id not in out
        assert "klanten" not in out and "/var/log" not in out  # staff details stay behind
    assert "@page" in html and "size: A4" in html
    assert "overflow-wrap: anywhere" in html
    assert "{" not in text  # no placeholder left unfilled


@pytest.mark.parametrize("lang", LANGS)
def test_erasure_letter_says_what_was_erased_and_what_is_kept_until_when_and_why(lang):
    text, html = _letter("erasure", lang)
    kept_line = next(line for line in text.splitlines() if UNTIL_WORDS[lang] in line)
    assert INVOICES[lang] in kept_line and "(2)" in kept_line and BASIS in kept_line
    assert "crm" in text and "pbx" in text
    assert {"nl": "gewist", "en": "erased", "fr": "effacé"}[lang] in text
    assert {"nl": "geanonimiseerd", "en": "anonymised", "fr": "anonymisé"}[lang] in text
    assert UNTIL_WORDS[lang] in html and BASIS in html


@pytest.mark.parametrize("lang", LANGS)
def test_rectification_letter_shows_old_and_new_per_field(lang):
    text, _html = _letter("rectification", lang)
    email = {"nl": "e-mailadres", "en": "e-mail address", "fr": "adresse e-mail"}[lang]
    line = next(line for line in text.splitlines() if "jan@nieuw.be" in line)
    assert email in line and "jan@oud.be → jan@nieuw.be" in line
    assert "Veldstraat 3" in text


def test_first_of_the_month_in_french_is_1er_and_dutch_salutation_uses_the_name():
    text, _ = _letter("objection", "fr")
    assert "1er novembre 2026" in text and "Madame, Monsieur," in text
    nl, _ = _letter("objection", "nl")
    assert "Beste Jan Peeters," in nl and "direct marketing" in nl


def test_access_letter_tells_how_to_open_an_encrypted_bundle():
    text, _ = _letter("portability", "nl")
    assert "request-12-access.zip" in text and "7-Zip" in text and "wachtwoord" in text
    plain, _ = _letter("access", "en")
    assert "report.html" in plain and "7-Zip" not in plain


def test_lift_letter_gives_the_reason_and_the_day():
    text, _ = _letter("restriction-lift", "en")
    assert "Article 18(3)" in text and "Derde identiek verzoek." in text
    assert "16 December 2026" in text


def test_staff_text_is_escaped_in_html():
    letter = compose(
        "refusal",
        _request("access"),
        CONTROLLER,
        today=TODAY,
        language="en",
        extras=Extras(reason="<script>alert(1)</script>"),
    )
    html = render.html(letter)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_unknown_language_or_letter_is_refused():
    with pytest.raises(ValueError, match="language"):
        compose("access", _request("access"), CONTROLLER, today=TODAY, language="de")
    with pytest.raises(ValueError, match="no letter"):
        compose("thanks", _request("access"), CONTROLLER, today=TODAY)


def _weasyprint():
    """weasyprint (``dsr[pdf]``, also in ``[test]``): skipped without it, except in CI."""
    try:
        import weasyprint
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"weasyprint is not installed ({exc}); CI must test the PDF letters")
        pytest.skip("weasyprint is not installed: pip install -e '.[pdf]'")
    return weasyprint


def test_pdf_when_weasyprint_is_installed():
    _weasyprint()
    letter = compose(
        "erasure",
        _request("erasure"),
        CONTROLLER,
        today=TODAY,
        language="fr",
        extras=_extras("erasure"),
    )
    data = render.pdf(letter)
    assert data is not None and data.startswith(b"%PDF-")


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


@pytest.mark.parametrize("lang", LANGS)
def test_printed_on_a4_nothing_runs_past_the_page_edge(lang):
    """A long unbroken basis (a URL, a reference) wraps instead of being cut off in print."""
    weasyprint = _weasyprint()
    long_basis = "https://www.ejustice.just.fgov.be/" + "wet_" * 60
    facts = Facts(
        [fold("crm", [Outcome("r1", "invoice", Action.KEPT, long_basis, date(2033, 12, 31))])]
    )
    letter = compose(
        "erasure",
        _request("erasure"),
        CONTROLLER,
        today=TODAY,
        language=lang,
        extras=Extras(facts=facts),
    )
    document = weasyprint.HTML(string=render.html(letter)).render()
    for page in document.pages:
        assert round(page.width) == 794  # A4: 210 mm at 96 px per inch
        right = max(
            b.position_x + b.width
            for b in _boxes(page._page_box)
            if getattr(b, "width", None) is not None
        )
        assert right <= page.width


def test_refusal_and_extension_letters_get_their_html_twin(dsr):
    dsr("init", "--language", "en", "--name", "Voxtra Ltd")
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@ex.be")["id"])
    out = dsr.json("request", "extend", rid, "--reason", "Eight systems to search")
    html_path = out["letter"].removesuffix(".txt") + ".html"
    html = open(html_path, encoding="utf-8").read()
    assert "Eight systems to search" in html and "@page" in html and "Voxtra Ltd" in html
    out = dsr.json("request", "reject", rid, "--reason", "Identity not established")
    html = open(out["letter"].removesuffix(".txt") + ".html", encoding="utf-8").read()
    assert "Identity not established" in html and "Article 12(4)" in html


@pytest.mark.parametrize("lang", LANGS)
def test_only_letters_whose_requests_were_passed_on_say_so(lang):
    """Art. 19 notices go out for erasure, rectification and restriction runs; the lift
    sends none, so its letter must not claim it."""
    said = {"nl": "artikel 19 AVG", "en": "Article 19 GDPR", "fr": "article 19 du RGPD"}[lang]
    for name in LETTERS:
        text, _html = _letter(name, lang)
        assert (said in text) == (name in ("erasure", "rectification", "restriction")), name
