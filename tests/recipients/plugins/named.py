"""A single-file plugin for the recipients tests: system type ``test-named``.

Its records come from a JSON file (rows with ``email`` and ``fields``, like ``test-store``);
it declares, as a plugin does on ``System.fields`` (docs/plugins.md, the System contract), that
its ``carrier`` field names a recipient (kind ``recipient``) and that ``note`` is plain text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dsr_core import hookimpl
from dsr_core.model import Action, Identity, IdentityKind, Outcome, Record, RequestKind, Subject
from dsr_core.systems import System

try:
    from dsr_core.fields import Field
except ImportError:  # the shared fields module lands with another change: the same shape

    @dataclass(frozen=True, slots=True)
    class Field:  # type: ignore[no-redef]
        labels: Mapping[str, str] = field(default_factory=dict)
        kind: str = "text"
        currency: str = "EUR"


def _labels(nl: str, en: str, fr: str) -> dict[str, str]:
    return {"nl": nl, "en": en, "fr": fr}


class Named(System):
    description = "records in a JSON file whose carrier field names a recipient, for tests"
    kinds = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.ERASURE})
    config_keys = {"path": ""}
    required_keys = frozenset({"path"})
    fields = {
        "carrier": Field(_labels("Operator", "Carrier", "Opérateur"), kind="recipient"),
        "note": Field(_labels("Notitie", "Note", "Note")),
    }

    def __init__(self, name: str, config: Any, context: Any) -> None:
        super().__init__(name, config, context)
        self.path = context.resolve(self.config["path"])

    def _rows(self, subject: Subject) -> list[dict[str, Any]]:
        emails = set(subject.values(IdentityKind.EMAIL))
        rows = json.loads(self.path.read_text())
        return [r for r in rows if r.get("email") in emails]

    def locate(self, subject: Subject) -> Sequence[Identity]:
        return [Identity(IdentityKind.EMAIL, r["email"]) for r in self._rows(subject)][:1]

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        for row in self._rows(subject):
            yield Record(self.name, row.get("category", "contact"), str(row["id"]), row["fields"])

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        for row in self._rows(subject):  # the file is left as it is: these tests only report
            yield Outcome(str(row["id"]), row.get("category", "contact"), Action.ERASED)


@hookimpl
def dsr_register_systems(register: Any) -> None:
    register("test-named", Named)
