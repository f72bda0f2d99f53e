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

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dsr_core.identities import InvalidIdentity, normalise_email, parse_phone
from dsr_core.model import Identity, IdentityKind
from dsr_core.systems import SystemContext

from .database import Bound, CrmDatabase
from .lookups import lookup, phone_tail
from .mapping import CrmMapping, PhonePeriod
from .rowkeys import Ident, match_any
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

    def new_in(self, seen: Probes) -> Probes:
        """The e-mails, numbers and VAT numbers not in ``seen`` (keys are left out)."""
        return Probes(
            emails=self.emails - seen.emails,
            phones=[p for p in self.phones if p not in seen.phones],
            vats=self.vats - seen.vats,
        )

    def absorb(self, other: Probes) -> None:
        """Count ``other``'s e-mails, numbers and VAT numbers as seen too."""
        self.emails |= other.emails
        self.phones += [p for p in other.phones if p not in self.phones]
        self.vats |= other.vats


@dataclass
class Matches:
    """Rows matched directly by an identity, and the anchors they make (table → idents)."""

    direct: dict[str, set[Ident]] = field(default_factory=lambda: defaultdict(set))
    anchors: dict[str, set[Ident]] = field(default_factory=lambda: defaultdict(set))

    def __bool__(self) -> bool:
        return any(self.anchors.values())

    def add(self, other: Matches) -> bool:
        """Merge ``other`` in; whether that added an anchor."""
        before = sum(len(v) for v in self.anchors.values())
        for name, idents in other.direct.items():
            self.direct[name] |= idents
        for name, idents in other.anchors.items():
            self.anchors[name] |= idents
        return sum(len(v) for v in self.anchors.values()) > before


@dataclass
class Fetched:
    """What one ``locate`` has read already, to compare again rather than read again: per
    table, the last digits of numbers looked up with the rows they returned, and the whole
    rows of keyed tables by ident."""

    phones: dict[str, tuple[set[str], list[dict[str, Any]]]] = field(default_factory=dict)
    rows: dict[str, dict[Ident, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))

    def keep(self, b: Bound, row: Mapping[str, Any]) -> None:
        if not b.key.content:  # identical rows of a keyless table are not told apart here
            self.rows[b.name][b.ident(row)] = dict(row)


class Finder:
    """Matching and walking for one ``sql-crm`` system."""

    def __init__(self, db: CrmDatabase, context: SystemContext) -> None:
        self.db = db
        self.mapping: CrmMapping = db.mapping
        self.context = context

    # -- matching -------------------------------------------------------------------------
    def match(
        self,
        conn: Connection,
        identities: Iterable[Identity],
        *,
        tables: set[str] | None = None,
    ) -> Matches:
        """The rows the identities match, and the anchors they make. With ``tables``, only
        those tables are searched by e-mail, phone and VAT columns (customer ids and rows
        named by their key are looked up in every table)."""
        return self.match_probes(conn, self.probes(identities), tables=tables)

    def probes(self, identities: Iterable[Identity]) -> Probes:
        return Probes.of(identities, self.mapping.system, self.context.country)

    def match_probes(
        self,
        conn: Connection,
        probes: Probes,
        *,
        tables: set[str] | None = None,
        fetched: Fetched | None = None,
    ) -> Matches:
        """:meth:`match` for identities already normalised; ``fetched`` keeps the rows read
        by phone number across calls (one ``locate``)."""
        bound = self.db.bound(conn)
        found = Matches()
        if not probes:
            return found
        for name, b in bound.items():
            search = tables is None or name in tables
            idents = self._match_table(conn, b, probes, search, fetched)
            if name == self.mapping.root and "customer_id" not in b.map.identify:
                idents |= self._by_idents(conn, b, probes.customer_ids, fetched)
            idents |= self._by_idents(conn, b, probes.rows.get(name, set()), fetched)
            if idents:
                found.direct[name] |= idents
        for name, idents in found.direct.items():
            b = bound[name]
            if b.map.parent is None or b.map.scope == "self" or name in probes.rows:
                found.anchors[name] |= idents
            else:
                top, top_idents = self._ascend(conn, bound, name, idents, fetched)
                found.anchors[top] |= top_idents
        return found

    def located(
        self,
        conn: Connection,
        identities: Sequence[Identity],
        keys: Sequence[Identity],
        *,
        verify: bool = True,
    ) -> Matches | None:
        """The anchors ``locate`` returned in ``keys`` (customer ids and ``TABLE:KEY`` rows of
        this system), looked up by key: the identities are not matched again. A keyless
        table's row (``TABLE:#hash``) is found again by its ``identify`` columns, in that
        table only. Without ``verify``, ids that are a table's key become anchors without a
        statement (a walk from a row that is gone finds nothing). None when ``keys`` hold no
        such anchor (no locate result to use)."""
        system = self.mapping.system
        own = [
            k
            for k in keys
            if k.system == system and k.kind in (IdentityKind.CUSTOMER_ID, IdentityKind.OTHER)
        ]
        if not own:
            return None
        trusted: dict[str, set[Ident]] = defaultdict(set)
        if not verify:
            own = [k for k in own if not self._trust(conn, k, trusted)]
        found = self.match(conn, own, tables=set()) if own else Matches()
        for table, idents in trusted.items():
            found.direct[table] |= idents
            found.anchors[table] |= idents
        hashed: dict[str, set[str]] = defaultdict(set)
        for k in own:
            table, _, key = k.value.partition(":")
            if k.kind == IdentityKind.OTHER and key.startswith("#"):
                hashed[table].add(key.split("~", 1)[0])
        if hashed:
            bound = self.db.bound(conn)
            again = self.match(conn, [*identities, *keys], tables=set(hashed))
            for table, texts in hashed.items():
                if table not in bound:
                    continue
                rows = {
                    i for i in again.anchors.get(table, ()) if bound[table].key.text(i) in texts
                }
                found.direct[table] |= rows
                found.anchors[table] |= rows
        return found

    def _trust(self, conn: Connection, key: Identity, trusted: dict[str, set[Ident]]) -> bool:
        """Add the row ``key`` names by its table's key to ``trusted``; False when it names
        none that way (a customer number that is not the key, a keyless table's hash)."""
        bound = self.db.bound(conn)
        if key.kind == IdentityKind.CUSTOMER_ID:
            table, text = self.mapping.root, key.value.strip()
            b = bound.get(table)
            if b is None or list(b.map.identify.get("customer_id", b.key.columns)) != list(
                b.key.columns
            ):
                return False
        else:
            table, _, text = key.value.partition(":")
            b = bound.get(table)
        if b is None or b.key.content or not text:
            return False
        ident = b.key.parse(text, b.table)
        if ident is None:
            return False
        trusted[table].add(ident)
        return True

    def _match_table(
        self, conn: Connection, b: Bound, probes: Probes, search: bool, fetched: Fetched | None
    ) -> set[Ident]:
        """Rows matched by the customer-id columns and, with ``search``, by the e-mail,
        phone and VAT columns."""
        idents: set[Ident] = set()
        ident = b.map.identify
        for col in ident.get("customer_id", ()):
            values = _typed(b.col(col), probes.customer_ids)
            if values:
                idents |= self._idents(conn, b, b.col(col).in_(values), fetched)
        if not search:
            return idents
        emails = list(ident.get("email", ()))
        if emails and probes.emails:
            wanted = sorted(probes.emails)
            where = sa.or_(*(self._lookup(b, col, "email").in_(wanted) for col in emails))
            idents |= self._idents(conn, b, where, fetched)
        phone_cols = list(ident.get("phone", ()))
        if b.map.phone_period and b.map.phone_period.number not in phone_cols:
            phone_cols.append(b.map.phone_period.number)  # who held the number, and when
        idents |= self._match_phones(conn, b, phone_cols, probes.phones, fetched)
        for col in ident.get("vat", ()):
            idents |= self._match_vats(conn, b, col, probes.vats)
        return idents

    def _lookup(self, b: Bound, col: str, kind: str) -> Any:
        return lookup(b.table, col, kind, self.db.url.get_backend_name())

    def _idents(
        self, conn: Connection, b: Bound, where: Any, fetched: Fetched | None = None
    ) -> set[Ident]:
        """The idents of the rows ``where`` selects; with ``fetched``, the whole rows are
        read and kept there (the walk for locate's identities needs them next)."""
        if fetched is None:
            stmt = sa.select(*b.key.order(b.table)).where(where)
            return {tuple(row) for row in conn.execute(stmt)}
        found: set[Ident] = set()
        for row in conn.execute(sa.select(b.table).where(where)).mappings():
            fetched.keep(b, row)
            found.add(b.ident(row))
        return found

    def _by_idents(
        self, conn: Connection, b: Bound, texts: set[str], fetched: Fetched | None = None
    ) -> set[Ident]:
        """Rows named by their key as text (a record id's part after ``TABLE:``)."""
        parsed = {b.key.parse(text, b.table) for text in texts}
        idents = sorted((i for i in parsed if i is not None), key=repr)
        found: set[Ident] = set()
        for chunk in _chunks(idents, len(b.key.columns)):
            found |= self._idents(conn, b, b.key.where_any(b.table, chunk), fetched)
        return found

    def _select(self, b: Bound, *names: str | None) -> Any:
        """A SELECT of the key columns and ``names`` (each once)."""
        wanted = dict.fromkeys([*b.key.columns, *(n for n in names if n)])
        return sa.select(*(b.col(n) for n in wanted))

    def _match_phones(
        self,
        conn: Connection,
        b: Bound,
        cols: Sequence[str],
        phones: Sequence[Phone],
        fetched: Fetched | None,
    ) -> set[Ident]:
        """Rows whose phone columns hold one of the numbers: one statement for all of the
        table's phone columns (equality on the indexed last digits), then the whole number
        compared in Python. Rows ``fetched`` earlier for the same last digits are compared
        again instead of being read again (a number found with its periods)."""
        if not phones or not cols:
            return set()
        today = self.context.today()
        pp = b.map.phone_period
        period = pp if pp is not None and pp.number in cols else None
        covered, rows = (
            fetched.phones.setdefault(b.name, (set(), [])) if fetched is not None else (set(), [])
        )
        tails = sorted({phone_tail(p.number) for p in phones} - covered)
        if tails:
            extra = (period.valid_from, period.valid_to) if period is not None else ()
            what = sa.select(b.table) if fetched is not None else self._select(b, *cols, *extra)
            stmt = what.where(sa.or_(*(self._lookup(b, col, "phone").in_(tails) for col in cols)))
            new = [dict(row) for row in conn.execute(stmt).mappings()]
            if fetched is not None:
                for row in new:
                    fetched.keep(b, row)
            rows += new
            covered.update(tails)
        idents: set[Ident] = set()
        for row in rows:
            for col in cols:
                if row[col] is None:
                    continue
                number = parse_phone(str(row[col]), self.context.country)
                if number is None:
                    continue
                dated = period if period is not None and period.number == col else None
                if any(self._phone_hit(phone, number, dated, row, today) for phone in phones):
                    idents.add(b.ident(row))
                    break
        return idents

    @staticmethod
    def _phone_hit(
        phone: Phone, number: str, period: PhonePeriod | None, row: Any, today: date
    ) -> bool:
        if phone.number != number:
            return False
        if period is None:
            return phone.covers(today)  # a plain column holds today's number
        start = as_date(row[period.valid_from]) if period.valid_from else None
        end = as_date(row[period.valid_to]) if period.valid_to else None
        if phone.valid_from is None and phone.valid_to is None:
            return Phone(number, start, end).covers(today)
        return phone.overlaps(start, end)

    def _match_vats(self, conn: Connection, b: Bound, col: str, vats: set[str]) -> set[Ident]:
        if not vats:
            return set()
        tails = sorted({v[-7:] for v in vats})
        compact = sa.func.upper(_stripped(b.col(col)))
        stmt = self._select(b, col).where(sa.or_(*(compact.like(f"%{tail}") for tail in tails)))
        country = self.context.country
        return {
            b.ident(row)
            for row in conn.execute(stmt).mappings()
            if row[col] is not None and normalise_vat(str(row[col]), country) in vats
        }

    def _ascend(
        self,
        conn: Connection,
        bound: dict[str, Bound],
        name: str,
        idents: set[Ident],
        fetched: Fetched | None = None,
    ) -> tuple[str, set[Ident]]:
        """From rows of ``name`` up to the rows of the top table they belong to (rows
        ``fetched`` already are not read again)."""
        while (parent := bound[name].map.parent) is not None:
            b, p = bound[name], bound[parent]
            have = fetched.rows.get(name, {}) if fetched is not None else {}
            refs = {
                ref
                for ident in idents
                if ident in have
                and None not in (ref := tuple(have[ident][c] for c in b.foreign_key))
            }
            fk = [b.col(c) for c in b.foreign_key]
            rest = sorted((i for i in idents if i not in have), key=repr)
            for chunk in _chunks(rest, len(b.key.columns)):
                stmt = sa.select(*fk).where(b.key.where_any(b.table, chunk))
                refs |= {tuple(r) for r in conn.execute(stmt) if None not in tuple(r)}
            idents = set()
            if fetched is not None and b.parent_key == p.key.columns:
                known = fetched.rows.get(parent, {})
                idents = {ref for ref in refs if ref in known}
                refs -= idents
            for chunk in _chunks(sorted(refs, key=repr), len(b.parent_key)):
                idents |= self._idents(conn, p, match_any(p.table, b.parent_key, chunk), fetched)
            name = parent
        return name, idents

    # -- walking --------------------------------------------------------------------------
    def walk(
        self,
        conn: Connection,
        anchors: dict[str, set[Ident]],
        *,
        only: Iterable[str] | None = None,
        known: Fetched | None = None,
    ) -> Iterator[tuple[Bound, dict[str, Any], str]]:
        """Every anchored row and every row below one, parents first, each once, with its
        record id (identical rows of a keyless table are yielded each, numbered).

        Each query's rows are streamed and fully read before the next query runs. With
        ``only``, walks just those tables (and the tables above them, to reach them). Anchored
        rows ``known`` already (read by the same locate) are not read again.
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
        # values of the columns children refer to, per (table, columns)
        refs: dict[tuple[str, tuple[str, ...]], set[Ident]] = defaultdict(set)
        for name, b in bound.items():
            if wanted is not None and name not in wanted:
                continue
            needed = {bound[c.name].parent_key for c in self.mapping.children(name)}
            width = len(b.key.columns)
            selectors: list[Any] = []
            own = sorted(anchors.get(name, ()), key=repr)
            cached = known.rows.get(name, {}) if known is not None else {}
            if own and all(ident in cached for ident in own):
                selectors.append([cached[ident] for ident in own])
            else:
                selectors += [b.key.where_any(b.table, chunk) for chunk in _chunks(own, width)]
            if b.map.parent is not None:
                parent_vals = sorted(refs.get((b.map.parent, b.parent_key), ()), key=repr)
                selectors += [
                    match_any(b.table, b.foreign_key, chunk)
                    for chunk in _chunks(parent_vals, len(b.foreign_key))
                ]
            seen: Counter[Ident] = Counter()
            for where in selectors:
                if isinstance(where, list):
                    rows: Iterable[Mapping[str, Any]] = where
                else:
                    stmt = sa.select(b.table).where(where).order_by(*b.key.order(b.table))
                    rows = _rows(conn, stmt)
                here: Counter[Ident] = Counter()
                for row in rows:
                    ident = b.ident(row)
                    here[ident] += 1
                    if here[ident] <= seen[ident]:
                        continue  # already yielded through another selector
                    seen[ident] += 1
                    for cols in needed:
                        value = tuple(row[c] for c in cols)
                        if None not in value:
                            refs[(name, cols)].add(value)
                    yield b, dict(row), b.key.record_id(ident, seen[ident])


def _rows(conn: Connection, stmt: Any) -> Iterator[Any]:
    """The rows of ``stmt``, never more than :data:`STREAM` of them in memory at once.

    A subject's rows usually fit in one page: they are read in one statement. Only when there
    are more, the statement runs again streamed (a server-side cursor where the driver has
    one), which costs several round trips per statement."""
    page = conn.execute(stmt.limit(STREAM + 1)).mappings().all()
    if len(page) <= STREAM:
        yield from page
        return
    del page
    yield from conn.execute(stmt.execution_options(yield_per=STREAM)).mappings()


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


def _chunks(values: list[Any], width: int = 1) -> Iterator[list[Any]]:
    """``values`` in slices small enough for one statement (``width`` parameters each)."""
    size = max(1, CHUNK // max(1, width))
    for start in range(0, len(values), size):
        yield values[start : start + size]
