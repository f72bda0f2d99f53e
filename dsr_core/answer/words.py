"""The words a letter is made of that do not depend on the letter: dates, counted nouns, the
names of categories and fields as a sentence writes them.

Dates are written in words as each language writes them in a letter: ``2 december 2026``,
``2 December 2026``, ``2 décembre 2026`` (``1er décembre`` in French).

Category and field names come from :mod:`dsr_core.fields` (the system's declaration → the core
table → the raw name), the same labels ``report.html`` shows; a letter writes them inside a
sentence, so a capital that only starts a label is lowered (``Facturen`` → ``facturen``, but
``VAT number`` stays). A count says ``1 factuur``, ``3 facturen``: the singular of the
common plural nouns is below (what :mod:`dsr_core.fields` lacks); a label without a known
singular is written ``label (1)``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .. import fields

LANGUAGES = fields.LANGUAGES

_MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
MONTHS = {lang: tuple(names.split()) for lang, names in _MONTHS.items()}

#: plural noun (lower case, as :func:`category_words` writes it) -> its singular, per language
SINGULAR: dict[str, dict[str, str]] = {
    "nl": {
        "contactgegevens": "contactfiche",
        "adressen": "adres",
        "contracten": "contract",
        "facturen": "factuur",
        "betalingen": "betaling",
        "bestellingen": "bestelling",
        "producten": "product",
        "producten en diensten": "product of dienst",
        "gesprekken": "gesprek",
        "gespreksgebeurtenissen": "gespreksgebeurtenis",
        "gegevens over gesprekken": "gegeven over een gesprek",
        "gespreksopnames": "gespreksopname",
        "voicemailberichten": "voicemailbericht",
        "berichten": "bericht",
        "dossiers": "dossier",
        "notities": "notitie",
        "notities in uw dossier": "notitie in uw dossier",
        "bestanden": "bestand",
        "bestanden in uw dossier": "bestand in uw dossier",
        "documenten": "document",
        "toegangsgegevens": "toegangsgegeven",
        "supportvragen": "supportvraag",
        "supportaanvragen": "supportaanvraag",
        "toestemmingen": "toestemming",
        "marketingvoorkeuren": "marketingvoorkeur",
    },
    "en": {
        "contact details": "contact record",
        "addresses": "address",
        "contracts": "contract",
        "invoices": "invoice",
        "payments": "payment",
        "orders": "order",
        "products": "product",
        "products and services": "product or service",
        "calls": "call",
        "call events": "call event",
        "call recordings": "call recording",
        "voicemail messages": "voicemail message",
        "messages": "message",
        "case files": "case file",
        "notes": "note",
        "notes in your file": "note in your file",
        "files": "file",
        "documents in your case file": "document in your case file",
        "documents": "document",
        "access credentials": "access credential",
        "login credentials": "login credential",
        "support tickets": "support ticket",
        "consents": "consent",
        "marketing preferences": "marketing preference",
    },
    "fr": {
        "coordonnées": "fiche de contact",
        "adresses": "adresse",
        "contrats": "contrat",
        "factures": "facture",
        "paiements": "paiement",
        "commandes": "commande",
        "produits": "produit",
        "produits et services": "produit ou service",
        "appels": "appel",
        "événements d'appel": "événement d'appel",
        "événements d'appels": "événement d'appel",
        "enregistrements d'appels": "enregistrement d'appel",
        "messages vocaux": "message vocal",
        "messages": "message",
        "dossiers": "dossier",
        "notes": "note",
        "notes du dossier": "note du dossier",
        "fichiers": "fichier",
        "fichiers de votre dossier": "fichier de votre dossier",
        "documents": "document",
        "identifiants d'accès": "identifiant d'accès",
        "identifiants": "identifiant",
        "demandes d'assistance": "demande d'assistance",
        "demandes de support": "demande de support",
        "consentements": "consentement",
        "préférences marketing": "préférence marketing",
    },
}


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"no letters in language {language!r} (known: {', '.join(LANGUAGES)})")
    return language


def date_words(language: str, value: date) -> str:
    """The day as a letter writes it: ``2 december 2026`` / ``2 December 2026`` /
    ``2 décembre 2026`` (``1er`` for the first day of a month in French)."""
    day = "1er" if language == "fr" and value.day == 1 else str(value.day)
    return f"{day} {MONTHS[check_language(language)][value.month - 1]} {value.year}"


def in_sentence(label: str) -> str:
    """A label as a sentence writes it: its first capital lowered, unless the second letter is
    one too (an abbreviation: ``VAT number``, ``IBAN``)."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def _plain(name: str) -> str:
    return " ".join(name.replace("_", " ").replace(".", " ").split())


def category_words(language: str, category: str, system: Any = None) -> str:
    """The category as a plural noun in a sentence (``facturen``), from the system's labels,
    the core table, else its raw name with spaces."""
    label = fields.category_label(system, category, language)
    return in_sentence(label) if label != category else _plain(category)


def counted(language: str, category: str, count: int, system: Any = None) -> str:
    """``1 factuur``, ``3 facturen``; ``label (1)`` when the singular is not known."""
    plural = category_words(language, category, system)
    if count != 1:
        return f"{count} {plural}"
    one = SINGULAR[check_language(language)].get(plural.lower())
    return f"1 {one}" if one else f"{plural} (1)"


def field_words(language: str, name: str, system: Any = None, category: str = "") -> str:
    """The field's name in a sentence (``e-mailadres``), from the system's labels, the core
    table, else its raw name with spaces."""
    label = fields.field_label(system, category, name, language)
    if label == name:
        label = fields.field_label(system, category, name.lower(), language)
    return in_sentence(label) if label not in (name, name.lower()) else _plain(name)
