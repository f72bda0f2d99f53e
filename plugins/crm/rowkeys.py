"""How one table's rows are told apart: a key (one or several columns), or their whole content.

A row's *ident* is the tuple of its key columns' values. Three forms:

``key`` (one column)
    the record id is ``TABLE:VALUE``, as it always was (``customers:42``).
``key`` (several columns: a composite primary key, or ``key = ["number", "valid_from"]``)
    the record id is ``TABLE:`` followed by the values as a compact JSON array
    (``number_history:["09 377 12 34","2021-02-01"]``): unambiguous whatever the values hold
    (commas, quotes, NULL), and read back by :meth:`RowKey.parse`.
*content* (a table without primary key and without ``key``)
    a row is identified by the values of all its columns that can be compared for equality
    (floating-point, JSON and, on server databases, unknown column types cannot, reliably,
    and are left out). Its
    record id is ``TABLE:#`` and a keyed hash of those values (stable per installation, no
    personal data in the id); a second identical row gets ``~2``, and so on.

Statements address rows by ``col = value`` on every ident column (``IS NULL`` for NULL), so a
delete removes exactly the rows meant, never every row sharing one column.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .values import plain, to_column_type

Ident = tuple[Any, ...]

#: Column types whose values cannot be compared reliably with ``=``.
_UNCOMPARABLE = (sa.Float, sa.JSON)


def comparable_columns(table: sa.Table, *, sqlite: bool) -> tuple[str, ...]:
    """The columns a row of a keyless table is identified by. A type SQLAlchemy does not
    know (``NullType``) is left out on server databases (PostgreSQL's ``xml`` or ``point``
    have no ``=``); on SQLite it is an untyped column, compared like any other."""
    skip = _UNCOMPARABLE if sqlite else (*_UNCOMPARABLE, sa.types.NullType)
    return tuple(c.name for c in table.columns if not isinstance(c.type, skip))


@dataclass(frozen=True, slots=True)
class RowKey:
    """The ident columns of one table and how idents become record ids and WHERE clauses."""

    table: str
    columns: tuple[str, ...]
    content: bool = False  # True: no key, the row's comparable columns identify it
    secret: bytes = field(default=b"", repr=False)  # the installation's key, never shown

    def of(self, row: Mapping[str, Any]) -> Ident:
        return tuple(row[c] for c in self.columns)

    def text(self, ident: Ident) -> str:
        """The part of the record id after ``TABLE:``."""
        if self.content:
            body = _canonical(ident)
            digest = hmac.new(self.secret or b"dsr-crm", body.encode(), hashlib.sha256)
            return "#" + digest.hexdigest()[:16]
        if len(self.columns) == 1:
            return str(plain(ident[0]))
        return _canonical(ident)

    def record_id(self, ident: Ident, copy: int = 1) -> str:
        """``TABLE:KEY``; ``copy`` numbers identical rows of a keyless table (``~2``...)."""
        suffix = f"~{copy}" if copy > 1 else ""
        return f"{self.table}:{self.text(ident)}{suffix}"

    def parse(self, text: str, table: sa.Table) -> Ident | None:
        """The ident written as ``text`` (a record id's key part), typed like the columns;
        None when it cannot be one (a keyless table's hash cannot be read back)."""
        if self.content:
            return None
        if len(self.columns) == 1:
            values: list[Any] = [text]
        else:
            try:
                values = json.loads(text)
            except ValueError:
                return None
            if not isinstance(values, list) or len(values) != len(self.columns):
                return None
        out: list[Any] = []
        for name, value in zip(self.columns, values, strict=True):
            if value is None:
                out.append(None)
                continue
            try:
                out.append(to_column_type(table.c[name], value))
            except (TypeError, ValueError, ArithmeticError):
                return None
        return tuple(out)

    def same(self, ident: Ident, other: Ident) -> bool:
        """Whether two idents name the same row (values compared as records show them)."""
        return [_loose(v) for v in ident] == [_loose(v) for v in other]

    # -- statements -------------------------------------------------------------------------
    def where(self, table: sa.Table, ident: Ident) -> Any:
        """The row with this ident (every copy of it, for a keyless table)."""
        return sa.and_(
            *(
                table.c[c].is_(None) if v is None else table.c[c] == v
                for c, v in zip(self.columns, ident, strict=True)
            )
        )

    def where_any(self, table: sa.Table, idents: Sequence[Ident]) -> Any:
        """Rows with any of these idents (keep ``idents`` to a chunk)."""
        return match_any(table, self.columns, idents)

    def order(self, table: sa.Table) -> list[Any]:
        return [table.c[c] for c in self.columns]


def match_any(table: sa.Table, columns: Sequence[str], values: Iterable[Ident]) -> Any:
    """Rows whose ``columns`` hold one of the value tuples (NULL matched with ``IS NULL``)."""
    values = list(values)
    if len(columns) == 1:
        col = table.c[columns[0]]
        plain_values = [v[0] for v in values if v[0] is not None]
        clauses = [col.in_(plain_values)] if plain_values else []
        if len(plain_values) < len(values):
            clauses.append(col.is_(None))
        return sa.or_(*clauses) if clauses else sa.false()
    if not values:
        return sa.false()
    return sa.or_(
        *(
            sa.and_(
                *(
                    table.c[c].is_(None) if v is None else table.c[c] == v
                    for c, v in zip(columns, value, strict=True)
                )
            )
            for value in values
        )
    )


def _canonical(ident: Ident) -> str:
    return json.dumps(
        [plain(v) for v in ident], ensure_ascii=False, separators=(",", ":"), default=str
    )


def _loose(value: Any) -> Any:
    value = plain(value)
    return value if value is None or isinstance(value, str) else str(value)
