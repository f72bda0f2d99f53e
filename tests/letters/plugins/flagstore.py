"""A single-file plugin for the lift tests, loaded through ``--plugins-dir``.

System type ``flag-store``: rows in a JSON file, each with an ``email`` and a ``restricted``
flag that ``restrict`` sets and ``restrict(lift=True)`` clears (``unchanged`` when the flag
is already as asked). ``rectify`` writes the changes into the row and reports each field's old
and new value, as the sql-crm plugin does. ``fail_lift = "text"`` makes every lift fail
permanently with that text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dsr_core import hookimpl
from dsr_core.model import Action, Identity, IdentityKind, Outcome, RequestKind, Subject
from dsr_core.systems import PermanentError, System


class FlagStore(System):
    description = "rows with a restricted flag, for tests"
    kinds = frozenset({RequestKind.RESTRICTION, RequestKind.RECTIFICATION})
    config_keys = {"path": "", "fail_lift": ""}
    required_keys = frozenset({"path"})

    def __init__(self, name: str, config: Any, context: Any) -> None:
        super().__init__(name, config, context)
        self.path = context.resolve(self.config["path"])

    def _rows(self) -> list[dict[str, Any]]:
        return json.loads(self.path.read_text())

    def locate(self, subject: Subject) -> Sequence[Identity]:
        emails = subject.values(IdentityKind.EMAIL)
        return [
            Identity(IdentityKind.EMAIL, r["email"]) for r in self._rows() if r["email"] in emails
        ]

    def restrict(
        self, subject: Subject, keys: Sequence[Identity], *, lift: bool, dry_run: bool
    ) -> Iterator[Outcome]:
        if lift and self.config.get("fail_lift"):
            raise PermanentError(str(self.config["fail_lift"]))
        wanted = {k.value for k in keys}
        rows = self._rows()
        out = []
        for row in rows:
            if row["email"] not in wanted:
                continue
            target = not lift
            if row.get("restricted", False) == target:
                out.append(Outcome(str(row["id"]), "contact", Action.UNCHANGED))
                continue
            row["restricted"] = target
            action = Action.UNRESTRICTED if lift else Action.RESTRICTED
            out.append(Outcome(str(row["id"]), "contact", action))
        if not dry_run:
            self.path.write_text(json.dumps(rows))
        yield from out

    def rectify(
        self,
        subject: Subject,
        keys: Sequence[Identity],
        changes: Mapping[str, Any],
        *,
        dry_run: bool,
    ) -> Iterator[Outcome]:
        wanted = {k.value for k in keys}
        rows = self._rows()
        out = []
        for row in rows:
            if row["email"] not in wanted:
                continue
            diff = {f: {"old": row.get(f), "new": v} for f, v in changes.items() if row.get(f) != v}
            row.update({f: d["new"] for f, d in diff.items()})
            out.append(
                Outcome(str(row["id"]), "contact", Action.RECTIFIED, fields=diff)
                if diff
                else Outcome(str(row["id"]), "contact", Action.UNCHANGED)
            )
        if not dry_run:
            self.path.write_text(json.dumps(rows))
        yield from out


@hookimpl
def dsr_register_systems(register: Any) -> None:
    register("flag-store", FlagStore)
