"""The report's Art. 15(1)(c), (h) and 15(2) parts: who received the data, where, under which
safeguard, and the statement on automated decision-making. Words in nl, en and fr.

:func:`legal_context` gives the templates one ``legal`` value: the rows of the recipients
tables and every sentence, already in the report's language, so that each language's template
only places them (``templates/report.html.j2``, sections ``recipients`` and
``automated-decisions``). Which countries are in the EEA is :mod:`dsr_core.recipients.terms`'s
to say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..recipients.terms import in_eea
from .types import Recipient

#: Country names per language (code: nl, en, fr); any other code is shown as the code.
COUNTRIES: Mapping[str, tuple[str, str, str]] = {
    "AT": ("Oostenrijk", "Austria", "Autriche"),
    "BE": ("België", "Belgium", "Belgique"),
    "BG": ("Bulgarije", "Bulgaria", "Bulgarie"),
    "HR": ("Kroatië", "Croatia", "Croatie"),
    "CY": ("Cyprus", "Cyprus", "Chypre"),
    "CZ": ("Tsjechië", "Czechia", "Tchéquie"),
    "DK": ("Denemarken", "Denmark", "Danemark"),
    "EE": ("Estland", "Estonia", "Estonie"),
    "FI": ("Finland", "Finland", "Finlande"),
    "FR": ("Frankrijk", "France", "France"),
    "DE": ("Duitsland", "Germany", "Allemagne"),
    "GR": ("Griekenland", "Greece", "Grèce"),
    "EL": ("Griekenland", "Greece", "Grèce"),
    "HU": ("Hongarije", "Hungary", "Hongrie"),
    "IE": ("Ierland", "Ireland", "Irlande"),
    "IT": ("Italië", "Italy", "Italie"),
    "LV": ("Letland", "Latvia", "Lettonie"),
    "LT": ("Litouwen", "Lithuania", "Lituanie"),
    "LU": ("Luxemburg", "Luxembourg", "Luxembourg"),
    "MT": ("Malta", "Malta", "Malte"),
    "NL": ("Nederland", "the Netherlands", "Pays-Bas"),
    "PL": ("Polen", "Poland", "Pologne"),
    "PT": ("Portugal", "Portugal", "Portugal"),
    "RO": ("Roemenië", "Romania", "Roumanie"),
    "SK": ("Slowakije", "Slovakia", "Slovaquie"),
    "SI": ("Slovenië", "Slovenia", "Slovénie"),
    "ES": ("Spanje", "Spain", "Espagne"),
    "SE": ("Zweden", "Sweden", "Suède"),
    "IS": ("IJsland", "Iceland", "Islande"),
    "LI": ("Liechtenstein", "Liechtenstein", "Liechtenstein"),
    "NO": ("Noorwegen", "Norway", "Norvège"),
    "CH": ("Zwitserland", "Switzerland", "Suisse"),
    "GB": ("Verenigd Koninkrijk", "United Kingdom", "Royaume-Uni"),
    "US": ("Verenigde Staten", "United States", "États-Unis"),
    "CA": ("Canada", "Canada", "Canada"),
    "JP": ("Japan", "Japan", "Japon"),
    "KR": ("Zuid-Korea", "South Korea", "Corée du Sud"),
    "IL": ("Israël", "Israel", "Israël"),
    "NZ": ("Nieuw-Zeeland", "New Zealand", "Nouvelle-Zélande"),
    "AR": ("Argentinië", "Argentina", "Argentine"),
    "UY": ("Uruguay", "Uruguay", "Uruguay"),
    "AU": ("Australië", "Australia", "Australie"),
    "IN": ("India", "India", "Inde"),
    "CN": ("China", "China", "Chine"),
    "BR": ("Brazilië", "Brazil", "Brésil"),
    "SG": ("Singapore", "Singapore", "Singapour"),
    "UA": ("Oekraïne", "Ukraine", "Ukraine"),
    "TR": ("Turkije", "Türkiye", "Turquie"),
    "MA": ("Marokko", "Morocco", "Maroc"),
}
_INDEX = {"nl": 0, "en": 1, "fr": 2}

ROLES: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "processor": "verwerker (verwerkt de gegevens in onze opdracht)",
        "recipient": "ontvanger",
        "joint_controller": "gezamenlijke verwerkingsverantwoordelijke",
        "carrier": "telecomoperator",
        "transport": "transportbedrijf",
        "subcontractor": "onderaannemer",
    },
    "en": {
        "processor": "processor (processes the data on our behalf)",
        "recipient": "recipient",
        "joint_controller": "joint controller",
        "carrier": "telecom carrier",
        "transport": "transport company",
        "subcontractor": "subcontractor",
    },
    "fr": {
        "processor": "sous-traitant (traite les données pour notre compte)",
        "recipient": "destinataire",
        "joint_controller": "responsable conjoint du traitement",
        "carrier": "opérateur télécom",
        "transport": "transporteur",
        "subcontractor": "prestataire de services",
    },
}

SAFEGUARDS: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "adequacy": "een adequaatheidsbesluit van de Europese Commissie (artikel 45 AVG)",
        "scc": "de standaardcontractbepalingen van de Europese Commissie "
        "(artikel 46, lid 2, c) AVG)",
        "bcr": "bindende bedrijfsvoorschriften (artikel 47 AVG)",
    },
    "en": {
        "adequacy": "an adequacy decision of the European Commission (Article 45 GDPR)",
        "scc": "the European Commission's standard contractual clauses (Article 46(2)(c) GDPR)",
        "bcr": "binding corporate rules (Article 47 GDPR)",
    },
    "fr": {
        "adequacy": "une décision d'adéquation de la Commission européenne (article 45 du RGPD)",
        "scc": "les clauses contractuelles types de la Commission européenne "
        "(article 46, paragraphe 2, point c), du RGPD)",
        "bcr": "des règles d'entreprise contraignantes (article 47 du RGPD)",
    },
}

WORDS: Mapping[str, Mapping[str, str]] = {
    "nl": {
        "col_recipient": "Ontvanger",
        "col_role": "Rol",
        "col_data": "Ontvangen gegevens",
        "col_since": "Sinds",
        "col_country": "Land",
        "col_purpose": "Doel",
        "no_one": "Wij hebben uw persoonsgegevens aan niemand verstrekt.",
        "only_standing": "Buiten de ontvangers hieronder, die de gegevens van al onze klanten "
        "ontvangen, hebben wij uw persoonsgegevens aan niemand verstrekt.",
        "standing_title": "Ontvangers van de gegevens van al onze klanten",
        "standing_intro": "Deze ontvangers krijgen de gegevens van al onze klanten, dus ook de "
        "uwe, voor het vermelde doel:",
        "unknown": "wordt nagegaan",
        "outside_eea": "buiten de EER",
        "unconfirmed": "Uw gegevens vermelden {names} als ontvanger. Wij gaan na welke rol deze "
        "ontvanger heeft en in welk land hij uw gegevens verwerkt, en laten het u weten.",
        "transfers_title": "Doorgifte buiten de Europese Economische Ruimte",
        "all_eea": "Al deze ontvangers verwerken uw gegevens in de Europese Economische Ruimte "
        "(EER): wij geven uw gegevens niet door naar een land daarbuiten.",
        "outside": "Sommige ontvangers verwerken uw gegevens buiten de Europese Economische "
        "Ruimte (EER). Die doorgifte gebeurt met de volgende waarborgen (artikel 15, lid 2 en "
        "artikelen 44 tot 49 AVG):",
        "safeguard_item": "{name} ({country}): {safeguard}",
        "ask_copy": "U kunt bij ons een kopie van deze waarborgen opvragen.",
        "automated_title": "Geautomatiseerde besluitvorming en profilering",
        "automated_none": "Wij nemen geen beslissingen over u die uitsluitend op "
        "geautomatiseerde verwerking berusten, profilering inbegrepen (artikel 22 AVG).",
    },
    "en": {
        "col_recipient": "Recipient",
        "col_role": "Role",
        "col_data": "Data received",
        "col_since": "Since",
        "col_country": "Country",
        "col_purpose": "Purpose",
        "no_one": "We have not disclosed your personal data to anyone.",
        "only_standing": "Apart from the recipients below, who receive the data of all our "
        "customers, we have not disclosed your personal data to anyone.",
        "standing_title": "Recipients of all our customers' data",
        "standing_intro": "These recipients receive the data of all our customers, yours "
        "included, for the purpose stated:",
        "unknown": "being checked",
        "outside_eea": "outside the EEA",
        "unconfirmed": "Your data name {names} as a recipient. We are checking what role this "
        "recipient has and in which country it processes your data, and will let you know.",
        "transfers_title": "Transfers outside the European Economic Area",
        "all_eea": "All these recipients process your data within the European Economic Area "
        "(EEA): we do not transfer your data to any country outside it.",
        "outside": "Some recipients process your data outside the European Economic Area "
        "(EEA). These safeguards cover the transfer (Article 15(2) and Articles 44 to 49 "
        "GDPR):",
        "safeguard_item": "{name} ({country}): {safeguard}",
        "ask_copy": "You may ask us for a copy of these safeguards.",
        "automated_title": "Automated decision-making and profiling",
        "automated_none": "We take no decisions about you based solely on automated "
        "processing, including profiling (Article 22 GDPR).",
    },
    "fr": {
        "col_recipient": "Destinataire",
        "col_role": "Rôle",
        "col_data": "Données reçues",
        "col_since": "Depuis",
        "col_country": "Pays",
        "col_purpose": "Finalité",
        "no_one": "Nous n'avons communiqué vos données à caractère personnel à personne.",
        "only_standing": "En dehors des destinataires ci-dessous, qui reçoivent les données de "
        "tous nos clients, nous n'avons communiqué vos données à caractère personnel à "
        "personne.",
        "standing_title": "Destinataires des données de tous nos clients",
        "standing_intro": "Ces destinataires reçoivent les données de tous nos clients, donc "
        "aussi les vôtres, pour la finalité indiquée :",
        "unknown": "en cours de vérification",
        "outside_eea": "hors de l'EEE",
        "unconfirmed": "Vos données mentionnent {names} comme destinataire. Nous vérifions le "
        "rôle de ce destinataire et le pays où il traite vos données, et nous vous en "
        "informerons.",
        "transfers_title": "Transferts en dehors de l'Espace économique européen",
        "all_eea": "Tous ces destinataires traitent vos données dans l'Espace économique "
        "européen (EEE) : nous ne transférons pas vos données vers un pays situé en dehors "
        "de celui-ci.",
        "outside": "Certains destinataires traitent vos données en dehors de l'Espace "
        "économique européen (EEE). Ces transferts sont encadrés par les garanties suivantes "
        "(article 15, paragraphe 2, et articles 44 à 49 du RGPD) :",
        "safeguard_item": "{name} ({country}) : {safeguard}",
        "ask_copy": "Vous pouvez nous demander une copie de ces garanties.",
        "automated_title": "Prise de décision automatisée et profilage",
        "automated_none": "Nous ne prenons aucune décision vous concernant fondée "
        "exclusivement sur un traitement automatisé, y compris le profilage (article 22 du "
        "RGPD).",
    },
}


def country_name(language: str, code: str) -> str:
    names = COUNTRIES.get(code.upper()) if code else None
    return names[_INDEX[language]] if names else code


def role_words(language: str, role: str) -> str:
    return ROLES[language].get(role, role.replace("_", " ")) if role else WORDS[language]["unknown"]


def safeguard_words(language: str, safeguard: str) -> str:
    if not safeguard:
        return WORDS[language]["unknown"]
    return SAFEGUARDS[language].get(safeguard, safeguard)


def automated_statement(language: str, texts: Mapping[str, str]) -> str:
    """The controller's statement in ``language``; one for every language (``"*"``); else the
    one it gave in another language (never "none" when it said otherwise); else "none"."""
    for key in (language, "*", *_INDEX):
        if texts.get(key):
            return texts[key]
    return WORDS[language]["automated_none"]


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """One line of a recipients table, in the report's language."""

    name: str
    role: str
    categories: str
    since: date | None
    country: str
    purpose: str


def _country_cell(language: str, code: str) -> str:
    if not code:
        return WORDS[language]["unknown"]
    name = country_name(language, code)
    return name if in_eea(code) else f"{name} ({WORDS[language]['outside_eea']})"


def _row(language: str, r: Recipient) -> RecipientRow:
    return RecipientRow(
        name=r.name,
        role=role_words(language, r.role),
        categories=", ".join(r.categories),
        since=r.since,
        country=_country_cell(language, r.country),
        purpose=r.purpose,
    )


def legal_context(
    language: str, recipients: Sequence[Recipient], automated: Mapping[str, str]
) -> dict[str, Any]:
    """Everything the ``recipients`` and ``automated-decisions`` sections show."""
    words = WORDS[language]
    actual = [r for r in recipients if r.source != "standing"]
    standing = [r for r in recipients if r.source == "standing"]
    unconfirmed = [r.name for r in recipients if r.source == "records"]
    known = [r for r in recipients if r.country]
    outside = [r for r in known if not in_eea(r.country)]
    if outside:
        transfers = [
            words["safeguard_item"].format(
                name=r.name,
                country=country_name(language, r.country),
                safeguard=safeguard_words(language, r.safeguard),
            )
            for r in outside
        ]
    else:
        transfers = []
    every_place_known = bool(recipients) and len(known) == len(recipients)
    return {
        "words": words,
        "actual": [_row(language, r) for r in actual],
        "standing": [_row(language, r) for r in standing],
        "nobody": words["only_standing"] if standing else words["no_one"],
        "unconfirmed": (
            words["unconfirmed"].format(names=", ".join(unconfirmed)) if unconfirmed else ""
        ),
        "all_eea": words["all_eea"] if every_place_known and not outside else "",
        "outside": words["outside"] if outside else "",
        "transfers": transfers,
        "automated": automated_statement(language, automated),
    }
