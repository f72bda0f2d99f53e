"""What the customer reads where a reviewer found staff words or broken sentences: systems by
their display names, counts in the singular, one colon per line, no empty due day, Art. 19
only with recipients, the town before the date, the attachment named in the letter's language.
"""

from __future__ import annotations

from datetime import date

import pytest

from dsr_core.answer import deliver, render
from dsr_core.answer.compose import Extras, RequestFacts, compose
from dsr_core.answer.facts import Facts, fold
from dsr_core.config import ControllerConfig
from dsr_core.model import Action, Outcome, RequestKind
from dsr_plugins.crm.odoo import OdooSystem
from dsr_plugins.pbx.asterisk_sql import AsteriskSqlSystem

LANGS = ("nl", "en", "fr")
NBSP = "\u00a0"
CONTROLLER = ControllerConfig(
    name="Voxtra bv", email="privacy@voxtra.be", address="Kerkstraat 1, 9000 Gent"
)
TODAY = date(2026, 12, 2)


def _letter(
    name: str, lang: str, facts: Facts | None = None, *, due: date | None = date(2027, 2, 3)
) -> str:
    kind = {"extension": "erasure"}.get(name, name)
    request = RequestFacts(7, RequestKind(kind), "Jan Peeters", date(2026, 11, 3), due)
    letter = compose(
        name, request, CONTROLLER, today=TODAY, language=lang, extras=Extras(facts=facts or Facts())
    )
    return " ".join(render.text(letter).replace(NBSP, " ").split())


ERASED = [
    Outcome("p1", "contact", Action.ERASED),
    Outcome("a1", "address", Action.ERASED),
    Outcome("a2", "address", Action.ERASED),
    Outcome("i1", "invoice", Action.KEPT, "Btw-wetboek art. 60", date(2036, 12, 31)),
]
ERASURE_LINE = {
    "nl": "Klantenbestand: wij hebben 2 adressen en 1 contactfiche gewist; wij bewaren nog 1 "
    "factuur (zie verder).",
    "en": "Customer records: we erased 2 addresses and 1 contact record; we are keeping 1 "
    "invoice (see below).",
    "fr": "Fichier clients : nous avons effacé 2 adresses et 1 fiche de contact ; nous "
    "conservons encore 1 facture (voir ci-dessous).",
}


@pytest.mark.parametrize("lang", LANGS)
def test_erasure_list_names_the_system_and_counts_as_people_write(lang):
    text = _letter("erasure", lang, Facts([fold("crm", ERASED, system=OdooSystem)]))
    assert ERASURE_LINE[lang] in text
    assert "crm" not in text and "(1)" not in text


def test_a_config_title_wins_over_the_type_s_name():
    facts = Facts([fold("crm", ERASED, system=OdooSystem, title={"nl": "Odoo"})])
    assert "Odoo: wij hebben 2 adressen" in _letter("erasure", "nl", facts)
    assert "Customer records: we erased" in _letter("erasure", "en", facts)


RESTRICTED_IN = {
    "nl": "De beperking geldt in: Klantenbestand en Telefonie.",
    "en": "The restriction applies in: Customer records and Telephony.",
    "fr": "La limitation s'applique dans : Fichier clients et Téléphonie.",
}


@pytest.mark.parametrize("lang", LANGS)
def test_restriction_names_the_systems_by_their_display_names(lang):
    facts = Facts(
        [
            fold("crm", [Outcome("p1", "contact", Action.RESTRICTED)], system=OdooSystem),
            fold("pbx", [Outcome("c1", "call", Action.RESTRICTED)], system=AsteriskSqlSystem),
        ]
    )
    assert RESTRICTED_IN[lang] in _letter("restriction", lang, facts)


CHANGED = {
    "nl": "straat en huisnummer: nu Veldstraat 3",
    "en": "street address: now Veldstraat 3",
    "fr": "rue et numéro : désormais Veldstraat 3",
}


@pytest.mark.parametrize("lang", LANGS)
def test_rectified_fields_read_with_the_labels_of_the_report(lang):
    """The field's label is the one report.html shows (dsr_core.fields: the system's own, here
    Odoo's "street", before the core table), lowered inside a sentence."""
    changed = [Outcome("p1", "contact", Action.RECTIFIED, fields={"street": "Veldstraat 3"})]
    text = _letter("rectification", lang, Facts([fold("crm", changed, system=OdooSystem)]))
    assert CHANGED[lang] in text


NO_DUE = {
    "nl": "U ontvangt ons antwoord uiterlijk drie maanden nadat wij uw verzoek ontvingen.",
    "en": "You will receive our answer no later than three months after we received your request.",
    "fr": "Vous recevrez notre réponse au plus tard trois mois après la réception de votre "
    "demande.",
}


@pytest.mark.parametrize("lang", LANGS)
def test_extension_without_a_due_day_gives_the_regulation_s_limit(lang):
    text = _letter("extension", lang, due=None)
    assert NO_DUE[lang] in text
    assert " op ." not in text and " by at the latest" not in text and " le ." not in text


ART19 = {"nl": "(artikel 19 AVG)", "en": "(Article 19 GDPR)", "fr": "(article 19 du RGPD)"}


@pytest.mark.parametrize("lang", LANGS)
def test_art_19_only_when_the_data_went_to_recipients(lang):
    erased = [fold("crm", ERASED, system=OdooSystem)]
    assert ART19[lang] not in _letter("erasure", lang, Facts(erased))
    assert ART19[lang] in _letter("erasure", lang, Facts(erased, recipients=1))


DATED = {
    "nl": "Gent, 2 december 2026",
    "en": "Gent, 2 December 2026",
    "fr": "Gent, le 2 décembre 2026",
}


@pytest.mark.parametrize("lang", LANGS)
def test_the_town_comes_before_the_date(lang):
    assert DATED[lang] in _letter("objection", lang)


def test_no_town_in_the_address_leaves_the_date_alone():
    request = RequestFacts(7, RequestKind.OBJECTION, "Jan", date(2026, 11, 3))
    letter = compose("objection", request, ControllerConfig(name="X"), today=TODAY)
    assert letter.dated == "2 december 2026"


PDF_NAME = {"nl": "brief-wissing.pdf", "en": "letter-erasure.pdf", "fr": "lettre-effacement.pdf"}


@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_in_the_mail_is_named_in_the_letter_s_language(lang):
    request = RequestFacts(7, RequestKind.ERASURE, "Jan Peeters", date(2026, 11, 3))
    letter = compose("erasure", request, CONTROLLER, today=TODAY, language=lang)
    msg = deliver.build(
        letter, sender="privacy@voxtra.be", recipient="jan@ex.be", attachments=[], pdf=b"%PDF-"
    )
    assert [p.get_filename() for p in msg.iter_attachments()] == [PDF_NAME[lang]]


BASIS_SAID = {
    "nl": "Wettelijke grond: Art. 17, lid 3, punt b, AVG: wettelijke plicht om facturen",
    "en": "Legal basis: Art. 17(3)(b) GDPR: legal duty to keep invoices",
    "fr": "Base légale : Art. 17, paragraphe 3, point b, du RGPD : obligation légale de conserver",
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_plugin_s_default_basis_reads_in_the_letter_s_language(lang):
    """Odoo's and the PBX's default bases are given in nl, en and fr; staff's own text (the
    other tests' "Btw-wetboek art. 60") is quoted as written."""
    from dsr_plugins.crm.odoo_config import DEFAULT_BASIS
    from dsr_plugins.pbx.config import DEFAULT_BASIS as PBX_BASIS

    kept = [Outcome("i1", "invoice", Action.KEPT, DEFAULT_BASIS, date(2036, 12, 31))]
    calls = [Outcome("c1", "call", Action.KEPT, PBX_BASIS, date(2027, 11, 30))]
    facts = Facts(
        [
            fold("crm", kept, system=OdooSystem),
            fold("pbx", calls, system=AsteriskSqlSystem),
        ]
    )
    text = _letter("erasure", lang, facts)
    assert BASIS_SAID[lang] in text
    assert ("122, § 2" in text) == (lang != "en")
    if lang != "en":
        assert "legal duty" not in text and "traffic data" not in text
