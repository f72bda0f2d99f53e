"""What a recipient is to the controller, and where it is: roles, the EEA, transfer safeguards.

The one place that says which countries are in the European Economic Area (Art. 15(2) and
Chapter V GDPR: a transfer outside it needs an adequacy decision or an appropriate safeguard).
Cheap to import: ``dsr.toml`` validation uses it.
"""

from __future__ import annotations

#: What a recipient is to the controller (the supplier register and ``[[recipients]]``).
ROLES = (
    "processor",
    "recipient",
    "joint_controller",
    "carrier",
    "transport",
    "subcontractor",
)

#: The EU's 27 member states and Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2; the EU
#: writes Greece "EL", ISO "GR": both are accepted).
EEA = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU",
        "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "IS", "LI", "NO",
    }
)  # fmt: skip

#: Safeguards staff may name by a keyword; the report words them in the subject's language.
#: Any other text is shown as staff wrote it.
SAFEGUARDS = ("adequacy", "scc", "bcr")


def in_eea(country: str | None) -> bool:
    """Whether ``country`` (a two-letter code, any case) is in the EEA; unknown is not."""
    return bool(country) and country.strip().upper() in EEA  # type: ignore[union-attr]


def country_code(text: str | None) -> str | None:
    """A two-letter country code, upper-cased; ``None`` for empty. Raises :class:`ValueError`
    with a one-line message for anything else."""
    if text is None or not text.strip():
        return None
    code = text.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"a country is a two-letter ISO code (BE, NL, US...), not {text!r}")
    return code


def clean_safeguard(text: str | None) -> str | None:
    """The safeguard as stored: a keyword in lower case, other text with its spaces collapsed."""
    if text is None:
        return None
    clean = " ".join(text.split())
    if not clean:
        return None
    return clean.lower() if clean.lower() in SAFEGUARDS else clean


def needs_safeguard(country: str | None) -> bool:
    """A known country outside the EEA: a transfer there needs a safeguard (Art. 44-49)."""
    return bool(country) and not in_eea(country)
