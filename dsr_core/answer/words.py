"""The words a letter is made of that do not depend on the letter: dates, categories, fields.

Dates are written in words as each language writes them in a letter: ``2 december 2026``,
``2 December 2026``, ``2 décembre 2026`` (``1er décembre`` in French). Categories and field
names come from the systems (``dossier_note``, ``email``); the subject reads them as plain
nouns in the letter's language, and an unknown one with its underscores as spaces.
"""

from __future__ import annotations

from datetime import date

LANGUAGES = ("nl", "en", "fr")

_MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
MONTHS = {lang: tuple(names.split()) for lang, names in _MONTHS.items()}


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"no letters in language {language!r} (known: {', '.join(LANGUAGES)})")
    return language


def date_words(language: str, value: date) -> str:
    """The day as a letter writes it: ``2 december 2026`` / ``2 December 2026`` /
    ``2 décembre 2026`` (``1er`` for the first day of a month in French)."""
    day = "1er" if language == "fr" and value.day == 1 else str(value.day)
    return f"{day} {MONTHS[check_language(language)][value.month - 1]} {value.year}"


#: category -> the plain noun (plural: the letter counts them) per language.
CATEGORIES: dict[str, dict[str, str]] = {
    "contact": {"nl": "contactgegevens", "en": "contact details", "fr": "coordonnées"},
    "contract": {"nl": "contracten", "en": "contracts", "fr": "contrats"},
    "invoice": {"nl": "facturen", "en": "invoices", "fr": "factures"},
    "payment": {"nl": "betalingen", "en": "payments", "fr": "paiements"},
    "order": {"nl": "bestellingen", "en": "orders", "fr": "commandes"},
    "product": {"nl": "producten", "en": "products", "fr": "produits"},
    "call": {"nl": "telefoongesprekken", "en": "phone calls", "fr": "appels téléphoniques"},
    "call_event": {
        "nl": "gegevens over telefoongesprekken",
        "en": "call log entries",
        "fr": "données relatives aux appels",
    },
    "recording": {
        "nl": "gespreksopnames",
        "en": "call recordings",
        "fr": "enregistrements d'appels",
    },
    "voicemail": {"nl": "voicemailberichten", "en": "voicemail messages", "fr": "messages vocaux"},
    "message": {"nl": "berichten", "en": "messages", "fr": "messages"},
    "dossier": {"nl": "dossiers", "en": "case files", "fr": "dossiers"},
    "dossier_note": {
        "nl": "notities in uw dossier",
        "en": "notes in your file",
        "fr": "notes dans votre dossier",
    },
    "dossier_file": {
        "nl": "bestanden in uw dossier",
        "en": "documents in your case file",
        "fr": "fichiers de votre dossier",
    },
    "document": {"nl": "documenten", "en": "documents", "fr": "documents"},
    "asset": {
        "nl": "toestellen en installaties",
        "en": "devices and installations",
        "fr": "appareils et installations",
    },
    "credential": {
        "nl": "toegangsgegevens (wachtwoorden)",
        "en": "access credentials (passwords)",
        "fr": "identifiants d'accès (mots de passe)",
    },
    "marketing": {
        "nl": "marketingvoorkeuren",
        "en": "marketing preferences",
        "fr": "préférences de marketing",
    },
    "ticket": {"nl": "supportvragen", "en": "support tickets", "fr": "demandes d'assistance"},
    "address": {"nl": "adressen", "en": "addresses", "fr": "adresses"},
}

#: field name -> the plain name per language (rectification letters).
FIELDS: dict[str, dict[str, str]] = {
    "name": {"nl": "naam", "en": "name", "fr": "nom"},
    "first_name": {"nl": "voornaam", "en": "first name", "fr": "prénom"},
    "firstname": {"nl": "voornaam", "en": "first name", "fr": "prénom"},
    "last_name": {"nl": "familienaam", "en": "surname", "fr": "nom de famille"},
    "lastname": {"nl": "familienaam", "en": "surname", "fr": "nom de famille"},
    "email": {"nl": "e-mailadres", "en": "e-mail address", "fr": "adresse e-mail"},
    "phone": {"nl": "telefoonnummer", "en": "phone number", "fr": "numéro de téléphone"},
    "mobile": {"nl": "gsm-nummer", "en": "mobile number", "fr": "numéro de GSM"},
    "street": {"nl": "straat", "en": "street", "fr": "rue"},
    "street2": {"nl": "tweede adresregel", "en": "address line 2", "fr": "complément d'adresse"},
    "zip": {"nl": "postcode", "en": "postcode", "fr": "code postal"},
    "postcode": {"nl": "postcode", "en": "postcode", "fr": "code postal"},
    "postal_code": {"nl": "postcode", "en": "postcode", "fr": "code postal"},
    "city": {"nl": "gemeente", "en": "town or city", "fr": "localité"},
    "country": {"nl": "land", "en": "country", "fr": "pays"},
    "address": {"nl": "adres", "en": "address", "fr": "adresse"},
    "birthdate": {"nl": "geboortedatum", "en": "date of birth", "fr": "date de naissance"},
    "vat": {"nl": "btw-nummer", "en": "VAT number", "fr": "numéro de TVA"},
    "company_registry": {
        "nl": "ondernemingsnummer",
        "en": "company number",
        "fr": "numéro d'entreprise",
    },
    "iban": {"nl": "rekeningnummer", "en": "bank account number", "fr": "numéro de compte"},
    "language": {"nl": "taal", "en": "language", "fr": "langue"},
    "lang": {"nl": "taal", "en": "language", "fr": "langue"},
    "function": {"nl": "functie", "en": "job title", "fr": "fonction"},
    "website": {"nl": "website", "en": "website", "fr": "site web"},
    "title": {"nl": "aanspreektitel", "en": "title", "fr": "titre de civilité"},
    "company_name": {"nl": "bedrijfsnaam", "en": "company name", "fr": "nom de l'entreprise"},
}


def _plain(name: str) -> str:
    return " ".join(name.replace("_", " ").replace(".", " ").split())


def category_words(language: str, category: str) -> str:
    return CATEGORIES.get(category, {}).get(language) or _plain(category)


def field_words(language: str, name: str) -> str:
    return FIELDS.get(name.lower(), {}).get(language) or _plain(name)
