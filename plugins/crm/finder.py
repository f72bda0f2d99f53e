"""Finding the subject's rows: matching identities, then walking parent → child links.

*Matching* compares the subject's identities with the columns a table's ``identify`` maps:
e-mail addresses case-insensitively, phone numbers and VAT numbers after normalising both
sides (a cheap SQL filter on the last digits, then an exact comparison in Python), customer ids
by value. A match in a table makes an *anchor*: the matched row itself (a table without a
parent, or a child with ``scope = "self"``), or the row at the top of its parent chain (a child
with ``scope = "customer"``, the default: a contact's e-mail finds the company).

*Walking* yields every anchored row and, below it, every row of every child table whose foreign
key points at a row already found: parents before children, streamed, each row once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dsr_core.identities import InvalidIdentity, normalise_email, parse_phone
from dsr_core.model import Identity, IdentityKind
from dsr_core.systems import SystemContext

from .database import Bound, CrmDatabase
from .mapping import CrmMapping
from .values import as_date, normalise_vat

CHUNK = 500  # IN-list size
STREAM = 500  # rows fetched at a time
_SEPARATORS = (" ", ".", "/", "-", "(", ")")


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone identity: E.164 and the period it was the subject's (None: open)."""

    number: str
    valid_from: date | None
    valid_to: date | None

    def covers(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to

    def overlaps(self, start: date | None, end: date | None) -> bool:
        if self.valid_to is not None and start is not None and start > self.valid_to:
            return False
        return not (self.valid_from is not None and end is not None and end < self.valid_from)


@dataclass
class Probes:
    """The subject's identities, normalised for comparison with this system's columns."""

    emails: set[str] = field(default_factory=set)
    phones: list[Phone] = field(default_factory=list)
    vats: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    rows: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, identities: Iterable[Identity], system: str, country: str) -> Probes:
        probes = cls()
        seen_phones: set[Phone] = set()
        for ident in identities:
            if ident.system is not None and ident.system != system:
                continue
            if ident.kind == IdentityKind.EMAIL:
                try:
                    probes.emails.add(normalise_email(ident.value))
                except InvalidIdentity:
                    continue
            elif ident.kind == IdentityKind.PHONE:
                number = parse_phone(ident.value, country)
                if number is not None:
                    seen_phones.add(Phone(number, ident.valid_from, ident.valid_to))
            elif ident.kind == IdentityKind.VAT:
                vat = normalise_vat(ident.value, country)
                if vat:
                    probes.vats.add(vat)
            elif ident.kind == IdentityKind.CUSTOMER_ID:
                probes.customer_ids.add(ident.value.strip())
            elif ident.kind == IdentityKind.OTHER and ident.system == system:
                table, sep, key = ident.value.partition(":")
                if sep and key:
                    probes.rows[table].add(key)
        probes.phones = sorted(seen_phones, key=lambda p: (p.number, str(p.valid_from)))
        return probes

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones or self.vats or self.customer_ids or self.rows)


@dataclass
class Matches:
    """Rows matched directly by an identity, and the anchors they make (table → keys)."""

    direct: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    anchors: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))

    def __bool__(self) -> bool:
        return any(self.anchors.values())


class Finder:
    """Matching and walking for one ``sql-crm`` system."""

    def __init__(self, db: CrmDatabase, context: SystemContext) -> None:
        self.db = db
        self.mapping: CrmMapping = db.mapping
        self.context = context

    # -- matching -------------------------------------------------------------------------
    def match(self, conn: Connection, identities: Iterable[Identity]) -> Matches:
        """The rows the identities match, and the anchors they make."""
        bound = self.db.bound(conn)
        probes = Probes.of(identities, self.mapping.system, self.context.country)
        found = Matches()
        if not probes:
            return found
        for name, b in bound.items():
            keys = self._match_table(conn, b, probes)
            if name == self.mapping.root and "customer_id" not in b.map.identify:
                keys |= self._by_values(conn, b, b.key, probes.customer_ids)
            for raw in probes.rows.get(name, ()):
                keys |= self._by_values(conn, b, b.key, {raw})
            if keys:
                found.direct[name] |= keys
        for name, keys in found.direct.items():
            b = bound[name]
            if b.map.parent is None or b.map.scope == "self" or name in probes.rows:
                found.anchors[name] |= keys
            else:
                top, top_keys = self._ascend(conn, bound, name, keys)
                found.anchors[top] |= top_keys
        return found

    def _match_table(self, conn: Connection, b: Bound, probes: Probes) -> set[Any]:
        keys: set[Any] = set()
        ident = b.map.identify
        for col in ident.get("email", ()):
            if probes.emails:
                column = b.col(col)
                expr = sa.func.lower(sa.func.trim(column))
                keys |= self._scalars(conn, b, expr.in_(sorted(probes.emails)))
        phone_cols = list(ident.get("phone", ()))
        if b.map.phone_period and b.map.phone_period.number not in phone_cols:
            phone_cols.append(b.map.phone_period.number)  # who held the number, and when
        for col in phone_cols:
            keys |= self._match_phones(conn, b, col, probes.phones)
        for col in ident.get("vat", ()):
            keys |= self._match_vats(conn, b, col, probes.vats)
        for col in ident.get("customer_id", ()):
            keys |= self._by_values(conn, b, col, probes.customer_ids)
        return keys

    def _scalars(self, conn: Connection, b: Bound, where: Any) -> set[Any]:
        return set(conn.execute(sa.select(b.col(b.key)).where(where)).scalars())

    def _by_values(self, conn: Connection, b: Bound, col: str, raw: set[str]) -> set[Any]:
        values = _typed(b.col(col), raw)
        if not values:
            return set()
        return self._scalars(conn, b, b.col(col).in_(values))

    def _match_phones(
        self, conn: Connection, b: Bound, col: str, phones: Sequence[Phone]
    ) -> set[Any]:
        if not phones:
            return set()
        today = self.context.today()
        period = (
            b.map.phone_period if b.map.phone_period and b.map.phone_period.number == col else None
        )
        tails = sorted({p.number[-7:] for p in phones})
        compact = _stripped(b.col(col))
        cols = [b.col(b.key), b.col(col)]
        if period is not None:
            cols += [b.col(c) for c in (period.valid_from, period.valid_to) if c]
        stmt = sa.select(*cols).where(sa.or_(*(compact.like(f"%{tail}") for tail in tails)))
        keys: set[Any] = set()
        for row in conn.execute(stmt).mappings().all():
            number = parse_phone(str(row[col]), self.context.country)
            if number is None:
                continue
            for phone in phones:
                if phone.number != number:
                    continue
                if period is None:
                    hit = phone.covers(today)  # a plain column holds today's number
                else:
                    start = as_date(row[period.valid_from]) if period.valid_from else None
                    end = as_date(row[period.valid_to]) if period.valid_to else None
                    if phone.valid_from is None and phone.valid_to is None:
                        hit = Phone(number, start, end).covers(today)
                    else:
                        hit = phone.overlaps(start, end)
                if hit:
                    keys.add(row[b.key])
        return keys

    def _match_vats(self, conn: Connection, b: Bound, col: str, vats: set[str]) -> set[Any]:
        if not vats:
            return set()
        tails = sorted({v[-7:] for v in vats})
        compact = sa.func.upper(_stripped(b.col(col)))
        stmt = sa.select(b.col(b.key), b.col(col)).where(
            sa.or_(*(compact.like(f"%{tail}") for tail in tails))
        )
        country = self.context.country
        return {
            key
            for key, value in conn.execute(stmt).all()
            if value is not None and normalise_vat(str(value), country) in vats
        }

    def _ascend(
        self, conn: Connection, bound: dict[str, Bound], name: str, keys: set[Any]
    ) -> tuple[str, set[Any]]:
        """From rows of ``name`` up to the rows of the top table they belong to."""
        while (parent := bound[name].map.parent) is not None:
            b, p = bound[name], bound[parent]
            fk = b.col(b.map.foreign_key or "")
            refs: set[Any] = set()
            for chunk in _chunks(sorted(keys, key=str)):
                refs |= set(conn.execute(sa.select(fk).where(b.col(b.key).in_(chunk))).scalars())
            refs.discard(None)
            keys = set()
            for chunk in _chunks(sorted(refs, key=str)):
                where = p.col(b.parent_key or p.key).in_(chunk)
                keys |= self._scalars(conn, p, where)
            name = parent
        return name, keys

    # -- walking --------------------------------------------------------------------------
    def walk(
        self,
        conn: Connection,
        anchors: dict[str, set[Any]],
        *,
        only: Iterable[str] | None = None,
    ) -> Iterator[tuple[Bound, dict[str, Any]]]:
        """Every anchored row and every row below one, parents first, each once.

        Each query's rows are streamed and fully read before the next query runs. With
        ``only``, walks just those tables (and the tables above them, to reach them).
        """
        bound = self.db.bound(conn)
        wanted: set[str] | None = None
        if only is not None:
            wanted = set()
            for start in only:
                current: str | None = start
                while current is not None and current not in wanted:
                    wanted.add(current)
                    current = self.mapping.tables[current].parent
        # values of the columns children refer to, per (table, column)
        refs: dict[tuple[str, str], set[Any]] = defaultdict(set)
        for name, b in bound.items():
            if wanted is not None and name not in wanted:
                continue
            needed = {(c.name, bound[c.name].parent_key or "") for c in self.mapping.children(name)}
            selectors: list[Any] = []
            own = sorted(anchors.get(name, ()), key=str)
            selectors += [b.col(b.key).in_(chunk) for chunk in _chunks(own)]
            if b.map.parent is not None:
                parent_vals = sorted(refs.get((b.map.parent, b.parent_key or ""), ()), key=str)
                fk = b.col(b.map.foreign_key or "")
                selectors += [fk.in_(chunk) for chunk in _chunks(parent_vals)]
            seen: set[Any] = set()
            for where in selectors:
                stmt = sa.select(b.table).where(where).order_by(b.col(b.key))
                result = conn.execute(stmt.execution_options(yield_per=STREAM)).mappings()
                for row in result:
                    key = row[b.key]
                    if key in seen:
                        continue
                    seen.add(key)
                    for _child, col in needed:
                        if row[col] is not None:
                            refs[(name, col)].add(row[col])
                    yield b, dict(row)


def _stripped(column: sa.Column[Any]) -> Any:
    """The column as text without the separators phone and VAT numbers are written with."""
    expr: Any = column if isinstance(column.type, sa.String) else sa.cast(column, sa.String(64))
    for sep in _SEPARATORS:
        expr = sa.func.replace(expr, sep, "")
    return expr


def _typed(column: sa.Column[Any], raw: Iterable[str]) -> list[Any]:
    """Identity values converted to the column's type; values that cannot be are dropped."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    out: list[Any] = []
    for value in raw:
        if kind is int:
            text = value.strip()
            if text.lstrip("-").isdigit():
                out.append(int(text))
        elif kind is str:
            out.append(value)
        else:
            try:
                out.append(kind(value))
            except (TypeError, ValueError, ArithmeticError):
                continue
    return out


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
