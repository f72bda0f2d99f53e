"""The statements the GDPR requires in each letter, as the subject reads them in nl, fr and en:
Art. 12(3) (extension with the new day), 12(4) (refusal: reasons, the authority, the courts),
17(3)(b) (what is kept, named plainly), 18(3), 19 (the recipients told on request), 20(2)
(direct transmission where technically feasible), 21(3); and the register (u / vous)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from dsr_core.answer import render
from dsr_core.answer.compose import LETTERS, Extras, RequestFacts, compose
from dsr_core.answer.facts import Facts, fold
from dsr_core.answer.words import CATEGORIES, FIELDS, category_words, field_words
from dsr_core.config import ControllerConfig
from dsr_core.model import Action, Outcome, RequestKind

LANGS = ("nl", "en", "fr")
NBSP = "\u00a0"
CONTROLLER = ControllerConfig(
    name="Voxtra bv", email="privacy@voxtra.be", address="Kerkstraat 1, 9000 Gent"
)
BASIS = "Btw-wetboek art. 60 (facturen, 10 jaar)"
KEPT = [
    Outcome("i1", "invoice", Action.KEPT, BASIS, date(2036, 12, 31)),
    Outcome("c1", "contact", Action.ERASED),
]
KIND = {"restriction-lift": "restriction", "refusal": "access", "extension": "erasure"}


def _text(
    name: str, lang: str, *, extras: Extras | None = None, subject: str = "Jan Peeters"
) -> str:
    request = RequestFacts(
        id=7,
        kind=RequestKind(KIND.get(name, name)),
        subject_name=subject,
        received_on=date(2026, 11, 3),
        due_on=date(2027, 2, 3),
    )
    letter = compose(
        name, request, CONTROLLER, today=date(2026, 12, 2), language=lang, extras=extras
    )
    text = render.text(letter)
    assert render.html(letter)  # both layouts carry the same blocks
    return text


def _flat(text: str) -> str:
    """The text as one line with plain spaces, so a sentence is found whatever the layout."""
    return " ".join(text.replace(NBSP, " ").split())


REFUSAL = {
    "nl": (
        "Wij kunnen niet op uw verzoek ingaan. Wij leggen u uit waarom:",
        "U hebt het recht om een klacht in te dienen bij de Gegevensbeschermingsautoriteit "
        "(Drukpersstraat 35, 1000 Brussel",
        "en om beroep in te stellen bij de rechter (artikel 12, lid 4, en artikelen 77 en 79 AVG).",
    ),
    "en": (
        "We cannot act on your request, and this is why:",
        "You have the right to lodge a complaint with the supervisory authority, the Belgian "
        "Data Protection Authority (Rue de la Presse 35, 1000 Brussels",
        "and to seek a judicial remedy before the courts (Article 12(4) and Articles 77 and 79 "
        "GDPR).",
    ),
    "fr": (
        "Nous ne pouvons pas donner suite à votre demande, et voici pourquoi :",
        "Vous avez le droit d'introduire une réclamation auprès de l'Autorité de protection des "
        "données (rue de la Presse 35, 1000 Bruxelles",
        "et de former un recours juridictionnel (article 12, paragraphe 4, et articles 77 et 79 "
        "du RGPD).",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_refusal_gives_the_reason_the_authority_and_the_courts(lang):
    """Art. 12(4): the reasons for not acting, the complaint to the GBA/APD, the courts; one
    sentence whether there is one reason or several (no "reden(en)")."""
    text = _flat(_text("refusal", lang, extras=Extras(reason="Uw identiteit staat niet vast.")))
    said, authority, court = REFUSAL[lang]
    assert f"{said} Uw identiteit staat niet vast." in text
    assert authority in text and court in text
    assert "(en)" not in text and "(s)" not in text


RECIPIENTS = {
    "nl": "Hebben wij uw gegevens aan anderen bezorgd, dan laten wij hun weten wat wij op uw "
    "verzoek gedaan hebben (artikel 19 AVG). Op uw vraag laten wij u weten wie zij zijn.",
    "en": "If we have disclosed your data to others, we let them know what we have done at "
    "your request (Article 19 GDPR). If you ask, we will tell you who they are.",
    "fr": "Si nous avons communiqué vos données à d'autres destinataires, nous les informons de "
    "ce que nous avons fait à votre demande (article 19 du RGPD). Sur simple demande, nous vous "
    "indiquerons qui ils sont.",
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", ["erasure", "rectification", "restriction"])
def test_changing_letters_offer_the_recipients_on_request(name, lang):
    """Art. 19: the recipients are told of the change, the subject about them on request; the
    sentence holds true for a controller that disclosed nothing."""
    assert RECIPIENTS[lang] in _flat(_text(name, lang, extras=Extras()))


KEPT_SAID = {
    "nl": (
        "omdat een wettelijke verplichting ons oplegt ze te bewaren (artikel 17, lid 3, punt b, "
        "AVG)",
        f"facturen (1): wij bewaren ze tot en met 31 december 2036. Wettelijke grond: {BASIS}.",
        "Wij hebben uw persoonsgegevens gewist",
    ),
    "en": (
        "because a legal obligation requires us to keep it (Article 17(3)(b) GDPR)",
        f"invoices (1): we keep them up to and including 31 December 2036. Legal basis: {BASIS}.",
        "We have erased your personal data",
    ),
    "fr": (
        "parce qu'une obligation légale nous impose de la conserver (article 17, paragraphe 3, "
        "point b, du RGPD)",
        "factures (1) : nous les conservons jusqu'au 31 décembre 2036 inclus. Base légale : "
        f"{BASIS}.",
        "Nous avons effacé vos données",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_erasure_names_the_exception_and_does_not_claim_everything_was_erased(lang):
    """Art. 17(3)(b) in plain words, each kept category with its day and basis; with invoices
    kept, the letter must not open with "we have erased your personal data"."""
    text = _flat(_text("erasure", lang, extras=Extras(facts=Facts([fold("Odoo", KEPT)]))))
    exception, item, overclaim = KEPT_SAID[lang]
    assert exception in text and item in text
    assert overclaim not in text


RESTRICTION = {
    "nl": "Voordat wij de beperking opheffen, laten wij het u weten (artikel 18, lid 3, AVG).",
    "en": "We will tell you before we lift the restriction (Article 18(3) GDPR).",
    "fr": "Nous vous informerons avant de lever la limitation (article 18, paragraphe 3, du RGPD).",
}


@pytest.mark.parametrize("lang", LANGS)
def test_restriction_promises_the_notice_before_it_is_lifted(lang):
    assert RESTRICTION[lang] in _flat(_text("restriction", lang, extras=Extras()))


OBJECTION = {
    "nl": (
        "Wij gebruiken uw persoonsgegevens niet meer voor direct marketing",
        "(artikel 21, lid 3, AVG)",
        "Wel houden wij bij dat u geen reclame wilt",
    ),
    "en": (
        "We no longer use your personal data for direct marketing",
        "(Article 21(3) GDPR)",
        "We do keep a note that you do not want advertising",
    ),
    "fr": (
        "Nous n'utilisons plus vos données à caractère personnel à des fins de marketing direct",
        "(article 21, paragraphe 3, du RGPD)",
        "Nous conservons toutefois la mention que vous ne souhaitez pas recevoir de publicité",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_objection_stops_direct_marketing_without_claiming_nothing_else_is_kept(lang):
    """Art. 21(3); the suppression note is kept *as well*, not "only" (the customer's contract
    data stays too)."""
    text = _flat(_text("objection", lang))
    for sentence in OBJECTION[lang]:
        assert sentence in text
    assert not re.search(r"houden alleen|keep only|conservons seulement", text)


EXTENSION = {
    "nl": (
        "verlengen wij de termijn met ten hoogste twee maanden, zoals artikel 12, lid 3, AVG "
        "toelaat. U ontvangt ons antwoord uiterlijk op 3 februari 2027.",
        "De reden voor deze verlenging:",
    ),
    "en": (
        "extending the time limit by at most two further months, as Article 12(3) GDPR allows. "
        "You will receive our answer by 3 February 2027 at the latest.",
        "The reason for this extension:",
    ),
    "fr": (
        "Nous prolongeons donc le délai de deux mois au maximum, comme le permet l'article 12, "
        "paragraphe 3, du RGPD. Vous recevrez notre réponse au plus tard le 3 février 2027.",
        "Le motif de cette prolongation :",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_extension_gives_the_new_day_and_the_reason(lang):
    text = _flat(_text("extension", lang, extras=Extras(reason="Acht systemen te doorzoeken.")))
    period, reason = EXTENSION[lang]
    assert period in text and f"{reason} Acht systemen te doorzoeken." in text


PORTABILITY = {
    "nl": "Wilt u dat wij ze rechtstreeks aan die organisatie bezorgen, laat het ons dan weten: "
    "wij doen dat als het technisch mogelijk is (artikel 20, lid 2, AVG).",
    "en": "If you would like us to send it to that organisation directly, let us know: we will "
    "do so where this is technically feasible (Article 20(2) GDPR).",
    "fr": "Si vous souhaitez que nous les lui transmettions directement, faites-le-nous savoir : "
    "nous le ferons si c'est techniquement possible (article 20, paragraphe 2, du RGPD).",
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("bundle", ["request-7-portability.zip", None])
def test_portability_offers_direct_transmission_where_feasible(lang, bundle):
    """Art. 20(2), with the bundle attached or handed over with the printed letter."""
    text = _flat(_text("portability", lang, extras=Extras(bundle_name=bundle)))
    assert PORTABILITY[lang] in text


ACCESS_RIGHTS = {"nl": "welke rechten u hebt", "en": "what rights you have", "fr": "vos droits"}


@pytest.mark.parametrize("lang", LANGS)
def test_access_letter_points_to_the_rights_in_the_report(lang):
    """Art. 15(1)(e): the report in the bundle lists the rights; the letter says so."""
    text = _flat(_text("access", lang, extras=Extras(bundle_name="request-7-access.zip")))
    assert ACCESS_RIGHTS[lang] in text


@pytest.mark.parametrize("name", LETTERS)
def test_the_register_holds_u_in_dutch_and_vous_in_french(name):
    nl = _flat(_text(name, "nl", subject=""))
    assert not re.search(r"\b(je|jij|jou|jouw)\b", nl, re.I)
    assert "Geachte mevrouw, geachte heer," in nl and "Met vriendelijke groeten," in nl
    fr = _flat(_text(name, "fr", subject=""))
    assert not re.search(r"\b(tu|toi|ton|ta|tes)\b", fr)
    assert "Madame, Monsieur," in fr
    en = _text(name, "en", subject="")
    # "Dear Sir or Madam" does not close "Yours sincerely"; the subject line is no reply ("Re:")
    assert "Dear Sir or Madam," in en and "Kind regards," in en and "Re:" not in en


# Categories the built-in plugins report: pbx (plugins/pbx/sql_backend.py: call, call_event),
# techdossier (plugins/techdossier/folder_store.py and hudu.py: dossier_note, asset,
# credential, dossier_file), Odoo (plugins/crm/odoo_erasure.py: marketing).
PLUGIN_CATEGORIES = (
    "call",
    "call_event",
    "dossier_note",
    "asset",
    "credential",
    "dossier_file",
    "marketing",
)


@pytest.mark.parametrize("lang", LANGS)
def test_what_the_plugins_report_reads_as_words_not_as_identifiers(lang):
    """A customer reads "toestellen en installaties", never "asset" or "call_event"; every
    field Odoo may rectify by default has a name in the letter's language too."""
    from dsr_plugins.crm.odoo_config import DEFAULT_RECTIFIABLE

    for category in PLUGIN_CATEGORIES:
        assert category in CATEGORIES, category
        assert "_" not in category_words(lang, category)
    for name in DEFAULT_RECTIFIABLE:
        assert name in FIELDS, name
        assert field_words(lang, name) == FIELDS[name][lang]
