"""Display names, field labels and field kinds: what a person reads instead of column names.

A system type says how its data reads to people with three class attributes on
:class:`~dsr_core.systems.System` (a plugin may also set them per instance in ``__init__``):

``titles``
    the system's default display name per language (``{"nl": "Telefonie", ...}``); a system's
    config may override it with ``title``;
``categories``
    category -> its label per language (``{"call": {"nl": "Gesprekken", ...}}``);
``fields``
    field name as in ``Record.fields`` -> :class:`Field` (labels and kind); a key
    ``"category.field"`` wins over ``"field"``.

The report (``report.html``) shows labels in its language and values by kind; the JSON and CSV
files always keep the raw names and values. What a system does not declare falls back to the
core tables below (common field names and categories), then to the raw name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Languages every label is given in (the subject's texts: Dutch, English, French).
LANGUAGES = ("nl", "en", "fr")

#: How the report shows a value; JSON/CSV always keep the raw value.
KINDS = (
    "text",
    "date",
    "datetime",
    "duration",
    "amount",
    "number",
    "boolean",
    "phone",
    "technical",
    "recipient",
    "third_party",
)


@dataclass(frozen=True, slots=True)
class Field:
    """How one field reads: its label per language, its kind (one of :data:`KINDS`), for an
    amount the currency (ISO 4217), and for a field with a few known values (a call's
    direction, its outcome) their words per language: ``{"incoming": labels("inkomend",
    "incoming", "entrant")}``; another value is shown as it is."""

    labels: Mapping[str, str]
    kind: str = "text"
    currency: str = "EUR"
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r} (known: {', '.join(KINDS)})")


def labels(nl: str, en: str, fr: str) -> dict[str, str]:
    """A label in each language: ``labels("Duur", "Duration", "Durée")``."""
    return {"nl": nl, "en": en, "fr": fr}


def _f(nl: str, en: str, fr: str, kind: str = "text") -> Field:
    return Field(labels(nl, en, fr), kind)


#: A technical field: shown in no report, kept in the JSON and CSV files.
TECHNICAL = Field({}, "technical")

#: Common field names any system may use, for what a system does not declare itself.
CORE_FIELDS: dict[str, Field] = {
    "id": TECHNICAL,
    "record_id": TECHNICAL,
    "uuid": TECHNICAL,
    "customer_id": TECHNICAL,
    "partner_id": TECHNICAL,
    "parent_id": TECHNICAL,
    "name": _f("Naam", "Name", "Nom"),
    "full_name": _f("Naam", "Name", "Nom"),
    "first_name": _f("Voornaam", "First name", "Prénom"),
    "firstname": _f("Voornaam", "First name", "Prénom"),
    "last_name": _f("Familienaam", "Surname", "Nom de famille"),
    "lastname": _f("Familienaam", "Surname", "Nom de famille"),
    "company": _f("Bedrijf", "Company", "Entreprise"),
    "title": _f("Titel", "Title", "Titre"),
    "email": _f("E-mailadres", "E-mail address", "Adresse e-mail"),
    "phone": _f("Telefoonnummer", "Phone number", "Numéro de téléphone", "phone"),
    "mobile": _f("Gsm-nummer", "Mobile number", "Numéro de GSM", "phone"),
    "fax": _f("Faxnummer", "Fax number", "Numéro de fax", "phone"),
    "street": _f("Straat", "Street", "Rue"),
    "street2": _f("Adres (vervolg)", "Address (continued)", "Adresse (suite)"),
    "address": _f("Adres", "Address", "Adresse"),
    "zip": _f("Postcode", "Postcode", "Code postal"),
    "postcode": _f("Postcode", "Postcode", "Code postal"),
    "postal_code": _f("Postcode", "Postcode", "Code postal"),
    "city": _f("Gemeente", "Town", "Commune"),
    "country": _f("Land", "Country", "Pays"),
    "vat": _f("Btw-nummer", "VAT number", "Numéro de TVA"),
    "iban": _f("Rekeningnummer", "Bank account", "Numéro de compte"),
    "language": _f("Taal", "Language", "Langue"),
    "birthdate": _f("Geboortedatum", "Date of birth", "Date de naissance", "date"),
    "website": _f("Website", "Website", "Site web"),
    "url": _f("Webadres", "Web address", "Adresse web"),
    "username": _f("Gebruikersnaam", "User name", "Nom d'utilisateur"),
    "password": _f("Wachtwoord", "Password", "Mot de passe"),
    "description": _f("Omschrijving", "Description", "Description"),
    "notes": _f("Notities", "Notes", "Notes"),
    "note": _f("Notitie", "Note", "Note"),
    "text": _f("Tekst", "Text", "Texte"),
    "subject": _f("Onderwerp", "Subject", "Objet"),
    "status": _f("Status", "Status", "Statut"),
    "number": _f("Nummer", "Number", "Numéro"),
    "reference": _f("Referentie", "Reference", "Référence"),
    "product": _f("Product", "Product", "Produit"),
    "amount": _f("Bedrag", "Amount", "Montant", "amount"),
    "total": _f("Totaal", "Total", "Total", "amount"),
    "price": _f("Prijs", "Price", "Prix", "amount"),
    "date": _f("Datum", "Date", "Date", "date"),
    "start_date": _f("Begindatum", "Start date", "Date de début", "date"),
    "end_date": _f("Einddatum", "End date", "Date de fin", "date"),
    "invoice_date": _f("Factuurdatum", "Invoice date", "Date de facture", "date"),
    "due_date": _f("Vervaldag", "Due date", "Date d'échéance", "date"),
    "created": _f("Aangemaakt op", "Created", "Créé le", "datetime"),
    "created_at": _f("Aangemaakt op", "Created", "Créé le", "datetime"),
    "modified": _f("Gewijzigd op", "Modified", "Modifié le", "datetime"),
    "updated_at": _f("Gewijzigd op", "Modified", "Modifié le", "datetime"),
    "start": _f("Begin", "Start", "Début", "datetime"),
    "end": _f("Einde", "End", "Fin", "datetime"),
    "duration": _f("Duur", "Duration", "Durée", "duration"),
    "direction": _f("Richting", "Direction", "Sens"),
    "serial": _f("Serienummer", "Serial number", "Numéro de série"),
    "file": _f("Bestand", "File", "Fichier"),
    "created_on": _f("Aangemaakt op", "Created", "Créé le", "datetime"),
    "updated_on": _f("Gewijzigd op", "Modified", "Modifié le", "datetime"),
    "valid_from": _f("Geldig vanaf", "Valid from", "Valable à partir du", "date"),
    "valid_to": _f("Geldig tot", "Valid until", "Valable jusqu'au", "date"),
    "active": _f("Actief", "Active", "Actif", "boolean"),
    "is_company": _f("Bedrijf", "Company", "Entreprise", "boolean"),
    "comment": _f("Opmerking", "Comment", "Commentaire"),
    "comments": _f("Opmerkingen", "Comments", "Commentaires"),
    "function": _f("Functie", "Job title", "Fonction"),
    "job_title": _f("Functie", "Job title", "Fonction"),
    "lang": _f("Taal", "Language", "Langue"),
    "quantity": _f("Aantal", "Quantity", "Quantité", "number"),
    "tag": _f("Label", "Tag", "Étiquette"),
    "tags": _f("Labels", "Tags", "Étiquettes"),
    "ref": _f("Referentie", "Reference", "Référence"),
    "unsubscribed": _f("Uitgeschreven", "Unsubscribed", "Désinscrit", "boolean"),
    "marketing_opt_out": _f(
        "Geen direct marketing", "No direct marketing", "Pas de marketing direct", "boolean"
    ),
    "restricted": _f("Verwerking beperkt", "Processing restricted", "Traitement limité", "boolean"),
}

#: Common categories any system may use.
CORE_CATEGORIES: dict[str, dict[str, str]] = {
    "contact": labels("Contactgegevens", "Contact details", "Coordonnées"),
    "address": labels("Adressen", "Addresses", "Adresses"),
    "contract": labels("Contracten", "Contracts", "Contrats"),
    "invoice": labels("Facturen", "Invoices", "Factures"),
    "payment": labels("Betalingen", "Payments", "Paiements"),
    "order": labels("Bestellingen", "Orders", "Commandes"),
    "product": labels("Producten", "Products", "Produits"),
    "call": labels("Gesprekken", "Calls", "Appels"),
    "call_event": labels("Gegevens over gesprekken", "Call events", "Événements d'appels"),
    "recording": labels("Gespreksopnames", "Call recordings", "Enregistrements d'appels"),
    "voicemail": labels("Voicemailberichten", "Voicemail messages", "Messages vocaux"),
    "message": labels("Berichten", "Messages", "Messages"),
    "dossier": labels("Dossiers", "Case files", "Dossiers"),
    "dossier_note": labels("Notities in uw dossier", "Notes in your file", "Notes du dossier"),
    "document": labels("Documenten", "Documents", "Documents"),
    "asset": labels("Apparatuur", "Equipment", "Équipements"),
    "credential": labels("Toegangsgegevens", "Access credentials", "Identifiants d'accès"),
    "marketing": labels("Marketingvoorkeuren", "Marketing preferences", "Préférences marketing"),
    "ticket": labels("Supportvragen", "Support tickets", "Demandes d'assistance"),
}


def _attribute(system: Any, name: str) -> Mapping[str, Any]:
    value = getattr(system, name, None) if system is not None else None
    return value if isinstance(value, Mapping) else {}


def _pick(table: Mapping[str, str], language: str) -> str | None:
    return table.get(language) or None


def system_title(
    system: Any,
    name: str,
    language: str,
    config_title: Mapping[str, str] | str | None = None,
) -> str:
    """The name a person reads for the configured system ``name``: the config's ``title`` →
    the type's ``titles[language]`` → ``titles["en"]`` → ``name``.

    ``system`` is the System instance or type, or ``None`` when it is not configured any
    more."""
    if isinstance(config_title, str) and config_title:
        return config_title
    if isinstance(config_title, Mapping) and _pick(config_title, language):
        return config_title[language]
    titles = _attribute(system, "titles")
    return _pick(titles, language) or _pick(titles, "en") or name


def category_labels(system: Any, category: str) -> Mapping[str, str]:
    """The category's labels: the system's ``categories`` → the core table → none."""
    own = _attribute(system, "categories").get(category)
    if isinstance(own, Mapping) and own:
        return own
    return CORE_CATEGORIES.get(category, {})


def category_label(system: Any, category: str, language: str) -> str:
    """The category's label in ``language`` (its raw name when nobody gave one)."""
    return _pick(category_labels(system, category), language) or str(category)


def field_info(system: Any, category: str, name: str) -> Field | None:
    """The field's :class:`Field`: the system's ``fields`` (``"category.field"`` then
    ``"field"``) → the core table → ``None``."""
    own = _attribute(system, "fields")
    for key in (f"{category}.{name}", name):
        found = own.get(key)
        if isinstance(found, Field):
            return found
    return CORE_FIELDS.get(name)


def field_label(system: Any, category: str, name: str, language: str) -> str:
    """The field's label in ``language`` (its raw name when nobody gave one)."""
    found = field_info(system, category, name)
    return (_pick(found.labels, language) if found else None) or str(name)


def field_kind(system: Any, category: str, name: str) -> str:
    """The field's kind (``"text"`` when nobody gave one)."""
    found = field_info(system, category, name)
    return found.kind if found else "text"


def unlabelled_field(system: Any, category: str, name: str) -> list[str]:
    """The languages of :data:`LANGUAGES` the field has no label in (none for a technical
    field, which no report shows)."""
    found = field_info(system, category, name)
    if found is not None and found.kind == "technical":
        return []
    return [lang for lang in LANGUAGES if not found or not _pick(found.labels, lang)]


def unlabelled_category(system: Any, category: str) -> list[str]:
    """The languages of :data:`LANGUAGES` the category has no label in."""
    found = category_labels(system, category)
    return [lang for lang in LANGUAGES if not _pick(found, lang)]
