"""Rectification: the corrections given with the request, validated, then applied.

A correction names a field and its new value. Fields are addressed as:

``column``
    a column of the root (customers) table: every root row of the subject;
``table.column``
    a column of a mapped table: the subject's rows of that table (when the table has
    ``identify`` and some of its rows matched the subject's own identities, only those: a
    company contact corrects their own contact row, not their colleagues');
``table:KEY.column``
    one row, by its key (the ``record_id`` an access export shows, plus ``.column``).

A nested table (``[customers] name = "..."`` in a TOML file) reads as ``customers.name``.
Every correction is checked before anything is written: the table must be mapped, the column
must exist and must not be a key, a foreign key or a customer id; e-mail addresses and phone
numbers are normalised (E.164); other values are converted to the column's type. A bad
correction is a one-line :class:`~dsr_core.systems.PermanentError` naming the field (never the
value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dsr_core.identities import InvalidIdentity, normalise_email, normalise_phone
from dsr_core.model import Action, Outcome
from dsr_core.systems import PermanentError

from .database import Bound, CrmDatabase
from .finder import Matches
from .values import plain, to_column_type


@dataclass(frozen=True, slots=True)
class Correction:
    """One validated correction."""

    field: str  # as given
    table: str
    key: str | None  # one row's key as text, or None for all the subject's rows
    column: str
    value: Any


def flatten(changes: Mapping[str, Any], tables: Mapping[str, Any]) -> dict[str, Any]:
    """``{"customers": {"name": ...}}`` → ``{"customers.name": ...}``; other keys as given."""
    flat: dict[str, Any] = {}
    for name, value in changes.items():
        if name in tables and isinstance(value, Mapping):
            for col, inner in value.items():
                flat[f"{name}.{col}"] = inner
        else:
            flat[str(name)] = value
    return flat


class Rectifier:
    """Validates and applies one request's corrections."""

    def __init__(self, db: CrmDatabase, country: str) -> None:
        self.db = db
        self.mapping = db.mapping
        self.country = country

    def fail(self, field: str, why: str) -> PermanentError:
        return PermanentError(f"systems.{self.mapping.system}: correction {field!r}: {why}")

    def parse(self, bound: Mapping[str, Bound], changes: Mapping[str, Any]) -> list[Correction]:
        """Validate every correction; the first problem raises."""
        if not changes:
            raise PermanentError(f"systems.{self.mapping.system}: no corrections given")
        out: list[Correction] = []
        seen: set[tuple[str, str | None, str]] = set()
        for field, value in flatten(changes, bound).items():
            table, key, column = self._address(field)
            if table not in bound:
                raise self.fail(field, f"table {table!r} is not mapped")
            b = bound[table]
            if column not in b.table.c:
                raise self.fail(field, f"no column {column!r} in {table}")
            fixed = {*b.foreign_key, *b.map.identify.get("customer_id", ())}
            if not b.key.content:
                fixed.update(b.key.columns)
            for child in self.mapping.children(table):
                fixed.update(bound[child.name].parent_key)
            if column in fixed:
                raise self.fail(field, "keys and customer ids cannot be corrected")
            if (table, key, column) in seen:
                raise self.fail(field, "given twice")
            seen.add((table, key, column))
            out.append(
                Correction(field, table, key, column, self._convert(field, b, column, value))
            )
        return out

    def _address(self, field: str) -> tuple[str, str | None, str]:
        head, dot, column = field.rpartition(".")
        if not dot:
            return self.mapping.root, None, field.strip()
        table, colon, key = head.partition(":")
        if not table or not column or (colon and not key):
            raise self.fail(field, "write 'column', 'table.column' or 'table:KEY.column'")
        return table.strip(), (key.strip() if colon else None), column.strip()

    def _convert(self, field: str, b: Bound, column: str, value: Any) -> Any:
        col = b.col(column)
        if value is None:
            if not col.nullable:
                raise self.fail(field, "the column cannot be empty")
            return None
        ident = b.map.identify
        phone_cols = set(ident.get("phone", ()))
        if b.map.phone_period:
            phone_cols.add(b.map.phone_period.number)
        try:
            if column in ident.get("email", ()):
                return normalise_email(str(value))
            if column in phone_cols:
                return normalise_phone(str(value), self.country)
        except InvalidIdentity:
            what = "e-mail address" if column in ident.get("email", ()) else "phone number"
            raise self.fail(field, f"not a valid {what}") from None
        length = getattr(col.type, "length", None)
        if isinstance(col.type, sa.String) and length and len(str(value)) > length:
            raise self.fail(field, f"longer than the column's {length} characters")
        try:
            return to_column_type(col, value)
        except (TypeError, ValueError, InvalidOperation):
            raise self.fail(field, f"not a valid value for a {col.type} column") from None

    # -- applying -----------------------------------------------------------------------------
    def apply(
        self,
        conn: Connection,
        bound: Mapping[str, Bound],
        corrections: list[Correction],
        scope: Mapping[str, list[tuple[dict[str, Any], str]]],
        matches: Matches,
    ) -> list[Outcome]:
        """Write the corrections to the subject's rows in ``scope`` (table → (row, record
        id) pairs)."""
        per_row: dict[tuple[str, str], dict[str, Any]] = {}
        rows_by_id: dict[tuple[str, str], dict[str, Any]] = {}
        for corr in corrections:
            b = bound[corr.table]
            targets = self._targets(b, corr, scope.get(corr.table, []), matches)
            for row, rid in targets:
                spot = (corr.table, rid)
                rows_by_id[spot] = row
                per_row.setdefault(spot, {})[corr.column] = corr.value
        outcomes: list[Outcome] = []
        for (table, rid), values in per_row.items():
            b = bound[table]
            row = rows_by_id[(table, rid)]
            diff = {c: v for c, v in values.items() if row.get(c) != v}
            if not diff:
                outcomes.append(Outcome(rid, b.map.category, Action.UNCHANGED))
                continue
            where = b.key.where(b.table, b.ident(row))
            conn.execute(sa.update(b.table).where(where).values(diff))
            fields = {c: {"old": plain(row.get(c)), "new": plain(v)} for c, v in diff.items()}
            outcomes.append(Outcome(rid, b.map.category, Action.RECTIFIED, fields=fields))
        return outcomes

    def _targets(
        self,
        b: Bound,
        corr: Correction,
        rows: list[tuple[dict[str, Any], str]],
        matches: Matches,
    ) -> list[tuple[dict[str, Any], str]]:
        if corr.key is not None:
            wanted = b.key.parse(corr.key, b.table)
            chosen = [
                (row, rid)
                for row, rid in rows
                if rid == f"{b.name}:{corr.key}"
                or (wanted is not None and b.key.same(b.ident(row), wanted))
            ]
            if not chosen:
                raise self.fail(corr.field, f"{corr.table}:{corr.key} is not the subject's")
            return chosen
        if not rows:
            raise self.fail(corr.field, f"the subject has no row in {corr.table}")
        own = matches.direct.get(b.name, set())
        if b.map.identify and b.name != self.mapping.root and own:
            mine = [(r, rid) for r, rid in rows if b.ident(r) in own]
            if mine:
                return mine
        return rows
