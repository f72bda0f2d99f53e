"""Words the notice templates need in each language: identity kinds, dates, regulation names."""

from __future__ import annotations

from datetime import date

from .message import Language

#: What the regulation is called in each language (Belgian usage).
REGULATION = {Language.NL: "AVG", Language.EN: "GDPR", Language.FR: "RGPD"}

_IDENTITY_LABELS: dict[Language, dict[str, str]] = {
    Language.NL: {
        "name": "naam",
        "email": "e-mailadres",
        "phone": "telefoonnummer",
        "customer_id": "klantnummer",
        "vat": "btw-nummer",
        "extension": "intern toestelnummer",
        "other": "andere identificatie",
    },
    Language.EN: {
        "name": "name",
        "email": "e-mail address",
        "phone": "phone number",
        "customer_id": "customer number",
        "vat": "VAT number",
        "extension": "internal extension",
        "other": "other identifier",
    },
    Language.FR: {
        "name": "nom",
        "email": "adresse e-mail",
        "phone": "numéro de téléphone",
        "customer_id": "numéro de client",
        "vat": "numéro de TVA",
        "extension": "poste interne",
        "other": "autre identifiant",
    },
}

_MONTHS = {
    Language.NL: (
        "januari februari maart april mei juni juli augustus september oktober november december"
    ).split(),
    Language.EN: (
        "January February March April May June July August September October November December"
    ).split(),
    Language.FR: (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split(),
}


def identity_label(kind: str, language: Language) -> str:
    """The word for an identity kind (or a rectified field named like one); else ``kind``."""
    return _IDENTITY_LABELS[language].get(kind, kind)


def long_date(day: date, language: Language) -> str:
    """``1 August 2025`` / ``1 augustus 2025`` / ``1er août 2025``."""
    month = _MONTHS[language][day.month - 1]
    number = "1er" if language is Language.FR and day.day == 1 else str(day.day)
    return f"{number} {month} {day.year}"
