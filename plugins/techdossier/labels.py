"""What the access report calls a technical dossier's records and their fields (nl, en, fr).

A dossier is free-form: the keys of ``assets.toml`` and ``credentials.toml`` and Hudu's asset
field labels are the controller's own words. The usual ones have labels in the three
languages (:data:`COMMON`, :data:`HUDU`); any other key is shown as written, in every
language (:class:`DossierFields`): ``admin_password`` as "Admin password", Hudu's asset field
``field:VLANs`` as "VLANs".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from dsr_core.fields import Field, labels

TITLES: Mapping[str, str] = labels("Technisch dossier", "Technical file", "Dossier technique")

CATEGORIES: Mapping[str, Mapping[str, str]] = {
    "contact": labels("Contactgegevens", "Contact details", "Coordonnées"),
    "asset": labels("Apparatuur en software", "Equipment and software", "Équipements et logiciels"),
    "credential": labels("Toegangsgegevens", "Login credentials", "Identifiants"),
    "dossier_note": labels("Notities", "Notes", "Notes"),
    "dossier_file": labels("Bestanden", "Files", "Fichiers"),
}


def _f(nl: str, en: str, fr: str, kind: str = "text") -> Field:
    return Field(labels(nl, en, fr), kind)


_ID = _f("Interne sleutel", "Internal key", "Clé interne", "technical")

#: Keys both dossier types (and the folder's usual TOML keys) share.
COMMON: Mapping[str, Field] = {
    "id": _ID,
    "name": _f("Naam", "Name", "Nom"),
    "email": _f("E-mailadres", "E-mail address", "Adresse e-mail"),
    "emails": _f("E-mailadressen", "E-mail addresses", "Adresses e-mail"),
    "phone": _f("Telefoonnummer", "Phone number", "Numéro de téléphone", "phone"),
    "phones": _f("Telefoonnummers", "Phone numbers", "Numéros de téléphone"),
    "serial": _f("Serienummer", "Serial number", "Numéro de série"),
    "model": _f("Model", "Model", "Modèle"),
    "manufacturer": _f("Fabrikant", "Manufacturer", "Fabricant"),
    "location": _f("Locatie", "Location", "Emplacement"),
    "ip": _f("IP-adres", "IP address", "Adresse IP"),
    "ip_address": _f("IP-adres", "IP address", "Adresse IP"),
    "installed": _f("Geïnstalleerd op", "Installed on", "Installé le", "date"),
    "purchased": _f("Aangekocht op", "Purchased on", "Acheté le", "date"),
    "warranty_until": _f("Garantie tot", "Warranty until", "Garantie jusqu'au", "date"),
    "username": _f("Gebruikersnaam", "Username", "Nom d'utilisateur"),
    "password": _f("Wachtwoord", "Password", "Mot de passe"),
    "admin_password": _f("Beheerderswachtwoord", "Admin password", "Mot de passe admin"),
    "otp_secret": _f("Geheim voor eenmalige codes", "One-time code secret", "Secret OTP"),
    "url": _f("Webadres", "Web address", "Adresse web"),
    "description": _f("Omschrijving", "Description", "Description"),
    "notes": _f("Notities", "Notes", "Notes"),
    "value": _f("Waarde", "Value", "Valeur"),
    # notes/*.md and other files
    "file": _f("Bestand", "File", "Fichier"),
    "title": _f("Titel", "Title", "Titre"),
    "text": _f("Tekst", "Text", "Texte"),
    "modified": _f("Laatst gewijzigd", "Last changed", "Modifié le", "datetime"),
    "size": _f("Grootte (bytes)", "Size (bytes)", "Taille (octets)", "number"),
}

#: Fields of Hudu's companies, assets, asset passwords and articles (Hudu API).
HUDU: Mapping[str, Field] = {
    **COMMON,
    "contact.name": _f("Bedrijfsnaam", "Company name", "Nom de l'entreprise"),
    "nickname": _f("Korte naam", "Short name", "Nom court"),
    "id_number": _f("Klantnummer", "Customer number", "Numéro de client"),
    "company_type": _f("Soort bedrijf", "Company type", "Type d'entreprise"),
    "address_line_1": _f("Adres", "Address", "Adresse"),
    "address_line_2": _f("Adres (vervolg)", "Address (continued)", "Adresse (suite)"),
    "city": _f("Gemeente", "City", "Commune"),
    "state": _f("Provincie", "State or province", "Province"),
    "zip": _f("Postcode", "Postcode", "Code postal"),
    "country_name": _f("Land", "Country", "Pays"),
    "phone_number": _f("Telefoonnummer", "Phone number", "Numéro de téléphone", "phone"),
    "fax_number": _f("Faxnummer", "Fax number", "Numéro de fax", "phone"),
    "website": _f("Website", "Website", "Site web"),
    "archived": _f("Gearchiveerd", "Archived", "Archivé", "boolean"),
    "created_at": _f("Aangemaakt op", "Created at", "Créé le", "datetime"),
    "updated_at": _f("Gewijzigd op", "Updated at", "Modifié le", "datetime"),
    "company_name": _f("Bedrijf", "Company", "Entreprise"),
    "parent_company_name": _f("Moederbedrijf", "Parent company", "Société mère"),
    "asset_type": _f("Soort", "Type", "Type"),
    "primary_mail": _f("E-mailadres", "E-mail address", "Adresse e-mail"),
    "primary_serial": _f("Serienummer", "Serial number", "Numéro de série"),
    "primary_model": _f("Model", "Model", "Modèle"),
    "primary_manufacturer": _f("Fabrikant", "Manufacturer", "Fabricant"),
    "password_type": _f("Soort wachtwoord", "Password type", "Type de mot de passe"),
    "password_folder_name": _f("Map", "Folder", "Dossier"),
    "login_url": _f("Aanmeldadres", "Login address", "Adresse de connexion"),
    "content": _f("Inhoud", "Content", "Contenu"),
    "draft": _f("Concept", "Draft", "Brouillon", "boolean"),
    "enable_sharing": _f("Gedeeld", "Shared", "Partagé", "boolean"),
    "share_url": _f("Deellink", "Share link", "Lien de partage"),
    **{
        name: _ID
        for name in (
            "company_id",
            "asset_layout_id",
            "parent_company_id",
            "passwordable_id",
            "passwordable_type",
            "password_folder_id",
            "folder_id",
            "slug",
            "object_type",
            "full_url",
            "cards",
            "integrations",
        )
    },
}

_WORDS = re.compile(r"[_\s]+")
#: Hudu's asset fields are exported as ``field:<label>`` (hudu.py).
ASSET_FIELD = "field:"


class DossierFields(Mapping[str, Field]):
    """The declared fields, and for any other key (``category.key`` or ``key``) the key as
    written, in every language: in a free-form dossier the key is the controller's label."""

    def __init__(self, declared: Mapping[str, Field]) -> None:
        self._declared = dict(declared)

    def __getitem__(self, key: str) -> Field:
        if key in self._declared:
            return self._declared[key]
        category, dot, bare = key.partition(".")
        name = bare if dot and category in CATEGORIES else key
        if name in self._declared:
            return self._declared[name]
        label = name.removeprefix(ASSET_FIELD).strip()
        label = _WORDS.sub(" ", label).strip()
        if not label:
            raise KeyError(key)
        label = label[0].upper() + label[1:]
        return Field(labels(label, label, label))

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self[key]
        except KeyError:
            return False
        return True


FOLDER_FIELDS: Mapping[str, Field] = DossierFields(COMMON)
HUDU_FIELDS: Mapping[str, Field] = DossierFields(HUDU)
