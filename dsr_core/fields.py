"""Display names, field labels and field kinds: what the access report needs to show a
system's records in the subject's language (docs/plugins.md, the System contract)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: how the report shows a value; JSON/CSV always keep the raw value
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
    """How one field of a record is labelled and shown."""

    labels: Mapping[str, str]  # {"nl": "Duur", "en": "Duration", "fr": "Durée"}
    kind: str = "text"  # one of KINDS
    currency: str = "EUR"  # for kind "amount"


def labels(nl: str, en: str, fr: str) -> dict[str, str]:
    """A label in each of the languages the subject may read."""
    return {"nl": nl, "en": en, "fr": fr}
