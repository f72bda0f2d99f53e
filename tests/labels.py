"""What a built-in system type declares for the access report (dsr_core/fields.py, issue 12):
a title, and for every category and field its records carry, labels in nl, en and fr and a
kind the report knows. Checked on the records the type really yields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dsr_core.fields import KINDS, Field
from dsr_core.model import Record

LANGUAGES = ("nl", "en", "fr")


def _complete(what: str, texts: Mapping[str, str]) -> None:
    missing = [lang for lang in LANGUAGES if not str(texts.get(lang, "")).strip()]
    assert not missing, f"{what}: no label in {missing}: {dict(texts)}"


def field_of(system: object, category: str, name: str) -> Field | None:
    """The system's declaration of a field: ``category.name`` wins over ``name``."""
    fields: Mapping[str, Field] = getattr(system, "fields", {})
    return fields.get(f"{category}.{name}") or fields.get(name)


def assert_labelled(system: object, records: Iterable[Record]) -> set[tuple[str, str]]:
    """Every category and field of ``records`` is declared by ``system`` with labels in the
    three languages and a known kind; returns the (category, field) pairs seen."""
    _complete(f"{type(system).__name__}.titles", getattr(system, "titles", {}))
    categories: Mapping[str, Mapping[str, str]] = getattr(system, "categories", {})
    seen: set[tuple[str, str]] = set()
    for record in records:
        assert record.category in categories, (
            f"category {record.category!r} of {record.record_id} has no labels"
        )
        _complete(f"category {record.category!r}", categories[record.category])
        for name in record.fields:
            declared = field_of(system, record.category, name)
            assert declared is not None, (
                f"field {record.category}.{name} of {record.record_id} is not declared"
            )
            _complete(f"field {record.category}.{name}", declared.labels)
            assert declared.kind in KINDS, f"field {name}: kind {declared.kind!r} not in KINDS"
            seen.add((record.category, name))
    assert seen, "no record to check: the test must produce some"
    return seen
