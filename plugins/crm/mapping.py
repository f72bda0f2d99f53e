"""The ``sql-crm`` mapping: the ``[systems.NAME]`` table parsed and validated into plain values.

Nothing here touches the database: structure, types, unknown keys, erase modes, parent links
(cycles, missing ``foreign_key``) are checked when the system is constructed, each problem a
one-line :class:`~dsr_core.systems.ConfigError` naming ``systems.NAME`` and the key. Whether
the tables and columns exist can only be seen in the database: :mod:`.database` checks that.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dsr_core.errors import did_you_mean
from dsr_core.fields import KINDS
from dsr_core.systems import ConfigError

#: The subject identifiers a table can be searched by (``identify = { email = "email" }``).
IDENTIFY_KINDS = ("email", "phone", "vat", "customer_id")
#: What erasure does with a table's rows.
ERASE_MODES = ("delete", "anonymise", "keep")
#: What happens to a kept row once its until-date has passed.
AFTER_KEEP_MODES = ("delete", "anonymise")
#: How an anonymised column is overwritten.
ANONYMISE_HOWS = ("auto", "null", "hash", "empty")
#: Which rows a match in a child table's ``identify`` columns makes the subject's.
SCOPES = ("customer", "self")
#: Where a retention period starts counting.
KEEP_FROM = ("date", "end_of_year")

SYSTEM_KEYS: Mapping[str, str] = {
    "url": "SQLAlchemy database URL; relative SQLite paths resolve against the config folder",
    "root": "the customers table (default: the only table without a parent)",
    "schema": "database schema holding the tables (default: the connection's own)",
    "connect_timeout": "seconds to wait for a connection to a database server (default 10)",
    "tables": "the mapping: one [systems.NAME.tables.TABLE] table per mapped table",
    "active_contract": "a column of the root table, or an SQL boolean expression over it, "
    "true while the customer's contract runs (an erasure then waits for staff)",
}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

TABLE_KEYS = frozenset(
    {
        "category",
        "key",
        "parent",
        "foreign_key",
        "parent_key",
        "identify",
        "scope",
        "phone_period",
        "provided",
        "secret",
        "opt_out",
        "restricted",
        "erase",
        "anonymise",
        "keep_for",
        "keep_from",
        "date_column",
        "basis",
        "after_keep",
        "fields",
        "category_labels",
    }
)
#: What a column's entry under ``fields`` may say (labels for the access report).
FIELD_KEYS = frozenset({"kind", "nl", "en", "fr", "currency"})
#: The languages a label must be given in.
LANGUAGES = ("nl", "en", "fr")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.IGNORECASE)


# -- value types ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Duration:
    """A retention period: ``10 years``, ``18 months``, ``90 days``, ``2 weeks``."""

    amount: int
    unit: str  # day | week | month | year

    @classmethod
    def parse(cls, text: str) -> Duration | None:
        match = _DURATION.match(text)
        if not match:
            return None
        return cls(int(match.group(1)), match.group(2).lower())

    def after(self, start: date) -> date:
        """``start`` plus this period; a day that does not exist becomes the month's last."""
        if self.unit == "day":
            return start + timedelta(days=self.amount)
        if self.unit == "week":
            return start + timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "year" else 1)
        index = start.year * 12 + start.month - 1 + months
        year, month = divmod(index, 12)
        month += 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return date(year, month, day)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag column: ``value`` is what opting out / restricting writes, ``lifted`` what
    lifting a restriction writes (``not value`` for booleans)."""

    column: str
    value: Any = True
    lifted: Any = False


@dataclass(frozen=True, slots=True)
class PhonePeriod:
    """A table of number assignments: the number and the period it was the customer's."""

    number: str
    valid_from: str | None = None
    valid_to: str | None = None


@dataclass(frozen=True, slots=True)
class AnonymiseRule:
    """How one column is anonymised: ``auto`` (NULL if nullable, else a token for text),
    ``null``, ``hash`` (``context.anonymise``: an irreversible token), ``empty`` (``""``) or
    a fixed ``value``."""

    how: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class ColumnLabel:
    """What a table's ``fields`` entry says of a column for the access report: its kind
    (dsr_core.fields.KINDS), its labels in nl, en and fr, an amount's currency; what it leaves
    out comes from the usual column names (:mod:`.labels`)."""

    kind: str | None = None
    labels: Mapping[str, str] | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class TableMap:
    """One mapped table."""

    name: str
    category: str
    key: tuple[str, ...] | None = None  # None: the primary key, or every column without one
    parent: str | None = None
    foreign_key: tuple[str, ...] | None = None
    parent_key: tuple[str, ...] | None = None
    identify: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    scope: str = "customer"
    phone_period: PhonePeriod | None = None
    provided: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    opt_out: Flag | None = None
    restricted: Flag | None = None
    erase: str = "delete"
    anonymise: Mapping[str, AnonymiseRule] = field(default_factory=dict)
    keep_for: Duration | None = None
    keep_from: str = "date"
    date_column: str | None = None
    basis: str | None = None
    after_keep: str = "delete"
    fields: Mapping[str, ColumnLabel] = field(default_factory=dict)
    category_labels: Mapping[str, str] | None = None

    def columns(self) -> set[str]:
        """Every column of this table the mapping names (``key`` only when given)."""
        cols: set[str] = set(self.provided) | set(self.secret) | set(self.anonymise)
        cols.update(self.fields)
        for names in self.identify.values():
            cols.update(names)
        cols.update(self.key or ())
        cols.update(self.foreign_key or ())
        if self.date_column:
            cols.add(self.date_column)
        if self.phone_period:
            cols.update(
                c
                for c in (
                    self.phone_period.number,
                    self.phone_period.valid_from,
                    self.phone_period.valid_to,
                )
                if c
            )
        for flag in (self.opt_out, self.restricted):
            if flag:
                cols.add(flag.column)
        return cols

    def keep_until(self, start: date) -> date:
        """The until-date of a kept row whose ``date_column`` holds ``start``."""
        assert self.keep_for is not None
        if self.keep_from == "end_of_year":
            start = date(start.year, 12, 31)
        return self.keep_for.after(start)


@dataclass(frozen=True, slots=True)
class CrmMapping:
    """The whole mapping; ``tables`` is in parents-before-children order."""

    system: str
    url: str
    root: str
    tables: Mapping[str, TableMap]
    schema: str | None = None
    connect_timeout: float = 10.0
    #: True while the customer's contract runs: a root column, or an SQL boolean expression
    active_contract: str | None = None

    @property
    def active_column(self) -> str | None:
        """``active_contract`` when it names a column of the root table (not an expression)."""
        text = self.active_contract
        return text if text is not None and _IDENTIFIER.match(text) else None

    def children(self, name: str) -> list[TableMap]:
        return [t for t in self.tables.values() if t.parent == name]

    def top(self, name: str) -> str:
        """The parentless table above ``name`` (``name`` itself when it has no parent)."""
        while (parent := self.tables[name].parent) is not None:
            name = parent
        return name

    def descendants(self, name: str) -> set[str]:
        found: set[str] = set()
        todo = [name]
        while todo:
            for child in self.children(todo.pop()):
                found.add(child.name)
                todo.append(child.name)
        return found


# -- parsing ----------------------------------------------------------------------------------
class _Parser:
    """Reads one system's config; every error is one line naming the full key."""

    def __init__(self, system: str) -> None:
        self.system = system

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"systems.{self.system}{where}: {message}")

    def string(self, where: str, value: Any, *, what: str = "a non-empty string") -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"must be {what}, not {_show(value)}")
        return value.strip()

    def strings(self, where: str, value: Any) -> tuple[str, ...]:
        """A column name or a list of them."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(where, f"must be a column name or a list of them, not {_show(value)}")
        out = tuple(self.string(where, item, what="a column name") for item in items)
        if len(set(out)) != len(out):
            raise self.fail(where, "lists a column twice")
        return out

    def table(self, where: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"must be a table, not {_show(value)}")
        return value

    def choice(self, where: str, value: Any, choices: tuple[str, ...]) -> str:
        if value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise self.fail(where, f"must be one of {allowed}, not {_show(value)}")
        return str(value)

    def unknown(self, where: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                raise self.fail(where, f"unknown key {key!r}{hint}")

    # -- pieces ---------------------------------------------------------------------------
    def flag(self, where: str, value: Any) -> Flag:
        if isinstance(value, str):
            return Flag(self.string(where, value))
        data = self.table(where, value)
        self.unknown(where, data, frozenset({"column", "value", "lifted"}))
        if "column" not in data:
            raise self.fail(where, "needs 'column'")
        column = self.string(f"{where}.column", data["column"], what="a column name")
        flag_value = data.get("value", True)
        if isinstance(flag_value, bool) and "lifted" not in data:
            return Flag(column, flag_value, not flag_value)
        if "lifted" not in data:
            raise self.fail(where, "a non-boolean 'value' needs 'lifted' (the value without it)")
        if data["lifted"] == flag_value:
            raise self.fail(where, "'lifted' must differ from 'value'")
        return Flag(column, flag_value, data["lifted"])

    def phone_period(self, where: str, value: Any) -> PhonePeriod:
        data = self.table(where, value)
        self.unknown(where, data, frozenset({"number", "valid_from", "valid_to"}))
        if "number" not in data:
            raise self.fail(where, "needs 'number' (the column holding the phone number)")
        cols = {
            k: self.string(f"{where}.{k}", data[k], what="a column name")
            for k in ("number", "valid_from", "valid_to")
            if k in data
        }
        return PhonePeriod(cols["number"], cols.get("valid_from"), cols.get("valid_to"))

    def identify(self, where: str, value: Any) -> dict[str, tuple[str, ...]]:
        data = self.table(where, value)
        self.unknown(where, data, frozenset(IDENTIFY_KINDS))
        if not data:
            raise self.fail(where, "is empty: map at least one identifying column")
        return {kind: self.strings(f"{where}.{kind}", cols) for kind, cols in data.items()}

    def texts(self, where: str, data: Mapping[str, Any]) -> dict[str, str] | None:
        """The labels in ``data`` (``nl``, ``en``, ``fr``): all three, or none."""
        given = [lang for lang in LANGUAGES if lang in data]
        if not given:
            return None
        missing = [lang for lang in LANGUAGES if lang not in data]
        if missing:
            raise self.fail(where, f"gives labels without {missing[0]!r}: give nl, en and fr")
        return {
            lang: self.string(f"{where}.{lang}", data[lang], what="a label") for lang in LANGUAGES
        }

    def column_label(self, where: str, value: Any) -> ColumnLabel:
        if isinstance(value, str):
            return ColumnLabel(kind=self.kind(where, value))
        data = self.table(where, value)
        self.unknown(where, data, FIELD_KEYS)
        if not data:
            raise self.fail(where, "is empty: give a kind, or labels in nl, en and fr")
        kind = self.kind(f"{where}.kind", data["kind"]) if "kind" in data else None
        currency = None
        if "currency" in data:
            currency = self.string(f"{where}.currency", data["currency"], what="a currency code")
            if not _CURRENCY.match(currency):
                raise self.fail(
                    f"{where}.currency", f"must be a currency code such as 'EUR', not {currency!r}"
                )
            if kind not in (None, "amount"):
                raise self.fail(f"{where}.currency", "only applies to kind 'amount'")
        return ColumnLabel(kind, self.texts(where, data), currency)

    def kind(self, where: str, value: Any) -> str:
        if value not in KINDS:
            hint = did_you_mean(str(value), KINDS) if isinstance(value, str) else ""
            allowed = ", ".join(repr(k) for k in KINDS)
            raise self.fail(where, f"must be one of {allowed}, not {_show(value)}{hint}")
        return str(value)

    def fields(self, where: str, value: Any) -> dict[str, ColumnLabel]:
        data = self.table(where, value)
        return {
            self.string(where, col, what="a column name"): self.column_label(f"{where}.{col}", spec)
            for col, spec in data.items()
        }

    def category_labels(self, where: str, value: Any) -> dict[str, str]:
        data = self.table(where, value)
        self.unknown(where, data, frozenset(LANGUAGES))
        texts = self.texts(where, data)
        if texts is None:
            raise self.fail(where, "needs nl, en and fr")
        return texts

    def anonymise(self, where: str, value: Any) -> dict[str, AnonymiseRule]:
        if isinstance(value, list):
            return {col: AnonymiseRule("auto") for col in self.strings(where, value)}
        data = self.table(where, value)
        rules: dict[str, AnonymiseRule] = {}
        for col, how in data.items():
            self.string(where, col, what="a column name")
            spot = f"{where}.{col}"
            if isinstance(how, str):
                rules[col] = AnonymiseRule(self.choice(spot, how, ANONYMISE_HOWS))
            elif isinstance(how, Mapping):
                self.unknown(spot, how, frozenset({"value"}))
                if "value" not in how:
                    raise self.fail(spot, "a table here needs 'value' (the fixed replacement)")
                rules[col] = AnonymiseRule("value", how["value"])
            else:
                allowed = ", ".join(repr(h) for h in ANONYMISE_HOWS)
                raise self.fail(spot, f"must be one of {allowed} or {{ value = ... }}")
        if not rules:
            raise self.fail(where, "is empty")
        return rules

    def table_map(self, name: str, data: Any) -> TableMap:
        where = f".tables.{name}"
        data = self.table(where, data)
        self.unknown(where, data, TABLE_KEYS)
        if "category" not in data:
            raise self.fail(where, "'category' is required (contact, invoice, marketing, ...)")
        category = self.string(f"{where}.category", data["category"])
        if not _CATEGORY.match(category):
            raise self.fail(f"{where}.category", f"must be a lower-case word, not {category!r}")
        col = {
            k: self.string(f"{where}.{k}", data[k], what="a column name")
            for k in ("date_column",)
            if k in data
        }
        cols = {
            k: self.strings(f"{where}.{k}", data[k])
            for k in ("key", "foreign_key", "parent_key")
            if k in data
        }
        parent = self.string(f"{where}.parent", data["parent"]) if "parent" in data else None
        if parent is not None and "foreign_key" not in cols:
            raise self.fail(where, "'foreign_key' is required with 'parent'")
        if "parent_key" in cols and len(cols["parent_key"]) != len(cols["foreign_key"]):
            raise self.fail(
                f"{where}.parent_key", "must name as many columns as 'foreign_key', in its order"
            )
        if parent is None:
            for k in ("foreign_key", "parent_key", "scope"):
                if k in data:
                    raise self.fail(f"{where}.{k}", "only applies to a table with a 'parent'")
        scope = self.choice(f"{where}.scope", data.get("scope", "customer"), SCOPES)
        identify = (
            self.identify(f"{where}.identify", data["identify"]) if "identify" in data else {}
        )
        if "scope" in data and not identify:
            raise self.fail(f"{where}.scope", "only applies to a table with 'identify'")
        erase = self.choice(f"{where}.erase", data.get("erase", "delete"), ERASE_MODES)
        anonymise = (
            self.anonymise(f"{where}.anonymise", data["anonymise"]) if "anonymise" in data else {}
        )
        after_keep = self.choice(
            f"{where}.after_keep", data.get("after_keep", "delete"), AFTER_KEEP_MODES
        )
        keep_from = self.choice(f"{where}.keep_from", data.get("keep_from", "date"), KEEP_FROM)
        keep_for: Duration | None = None
        basis: str | None = None
        keep_keys = ("keep_for", "date_column", "basis", "keep_from", "after_keep")
        if erase == "keep":
            for k in ("keep_for", "date_column", "basis"):
                if k not in data:
                    raise self.fail(where, f"erase = 'keep' needs {k!r}")
            text = self.string(f"{where}.keep_for", data["keep_for"])
            keep_for = Duration.parse(text)
            if keep_for is None:
                raise self.fail(
                    f"{where}.keep_for", f"must read like '10 years' or '6 months', not {text!r}"
                )
            basis = self.string(f"{where}.basis", data["basis"])
        else:
            for k in keep_keys:
                if k in data:
                    raise self.fail(f"{where}.{k}", "only applies with erase = 'keep'")
        if erase == "anonymise" and not anonymise:
            raise self.fail(where, "erase = 'anonymise' needs 'anonymise' (the columns)")
        if after_keep == "anonymise" and not anonymise:
            raise self.fail(where, "after_keep = 'anonymise' needs 'anonymise' (the columns)")
        for fixed in (*cols.get("key", ()), *cols.get("foreign_key", ())):
            if fixed in anonymise:
                raise self.fail(f"{where}.anonymise", f"cannot anonymise key column {fixed!r}")
        for cid in identify.get("customer_id", ()):
            if cid in anonymise:
                raise self.fail(f"{where}.anonymise", f"cannot anonymise customer id {cid!r}")
        return TableMap(
            name=name,
            category=category,
            key=cols.get("key"),
            parent=parent,
            foreign_key=cols.get("foreign_key"),
            parent_key=cols.get("parent_key"),
            identify=identify,
            scope=scope,
            phone_period=(
                self.phone_period(f"{where}.phone_period", data["phone_period"])
                if "phone_period" in data
                else None
            ),
            provided=self.strings(f"{where}.provided", data["provided"])
            if "provided" in data
            else (),
            secret=self.strings(f"{where}.secret", data["secret"]) if "secret" in data else (),
            opt_out=self.flag(f"{where}.opt_out", data["opt_out"]) if "opt_out" in data else None,
            restricted=(
                self.flag(f"{where}.restricted", data["restricted"])
                if "restricted" in data
                else None
            ),
            erase=erase,
            anonymise=anonymise,
            keep_for=keep_for,
            keep_from=keep_from,
            date_column=col.get("date_column"),
            basis=basis,
            after_keep=after_keep,
            fields=self.fields(f"{where}.fields", data["fields"]) if "fields" in data else {},
            category_labels=(
                self.category_labels(f"{where}.category_labels", data["category_labels"])
                if "category_labels" in data
                else None
            ),
        )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _ordered(parser: _Parser, tables: dict[str, TableMap]) -> dict[str, TableMap]:
    """``tables`` parents first (config order kept otherwise); refuses unknown parents and
    cycles."""
    for table in tables.values():
        if table.parent is not None and table.parent not in tables:
            raise parser.fail(
                f".tables.{table.name}.parent", f"names {table.parent!r}, which is not mapped"
            )
    ordered: dict[str, TableMap] = {}
    for name in tables:
        path: list[str] = []
        current: str | None = name
        while current is not None and current not in ordered:
            if current in path:
                cycle = " -> ".join([*path[path.index(current) :], current])
                raise parser.fail(f".tables.{name}.parent", f"parent links form a cycle: {cycle}")
            path.append(current)
            current = tables[current].parent
        for table_name in reversed(path):
            ordered[table_name] = tables[table_name]
    return ordered


def _agree(parser: _Parser, tables: Mapping[str, TableMap]) -> None:
    """Tables of one category must not label the category, or a column, differently: the
    report has one label per category and per column of a category."""
    categories: dict[str, tuple[str, Mapping[str, str]]] = {}
    columns: dict[tuple[str, str], tuple[str, ColumnLabel]] = {}
    for table in tables.values():
        if table.category_labels is not None:
            seen = categories.setdefault(table.category, (table.name, table.category_labels))
            if seen[1] != table.category_labels:
                raise parser.fail(
                    f".tables.{table.name}.category_labels",
                    f"differs from table {seen[0]!r}'s for category {table.category!r}",
                )
        for column, spec in table.fields.items():
            known = columns.setdefault((table.category, column), (table.name, spec))
            if known[1] != spec:
                raise parser.fail(
                    f".tables.{table.name}.fields.{column}",
                    f"differs from table {known[0]!r}'s {column!r} (category {table.category!r} "
                    "has one label per column)",
                )


def parse_mapping(system: str, config: Mapping[str, Any]) -> CrmMapping:
    """Validate a ``sql-crm`` config (core keys already removed) into a :class:`CrmMapping`."""
    parser = _Parser(system)
    url = parser.string(".url", config.get("url"), what="a database URL")
    raw_tables = parser.table(".tables", config.get("tables"))
    if not raw_tables:
        raise parser.fail(".tables", "maps no table")
    parsed = {str(name): parser.table_map(str(name), data) for name, data in raw_tables.items()}
    tables = _ordered(parser, parsed)
    _agree(parser, tables)
    tops = [t.name for t in tables.values() if t.parent is None]
    if "root" in config:
        root = parser.string(".root", config["root"], what="a table name")
        if root not in tables:
            raise parser.fail(".root", f"names {root!r}, which is not mapped under 'tables'")
        if tables[root].parent is not None:
            raise parser.fail(".root", f"{root!r} has a parent: the root table cannot")
    elif len(tops) == 1:
        root = tops[0]
    else:
        raise parser.fail(".root", f"is required: several tables have no parent ({tops[0]}, ...)")
    for top in tops:
        if top == root:
            continue
        members = {top} | CrmMapping(system, url, root, tables).descendants(top)
        if not any(tables[m].identify for m in members):
            raise parser.fail(
                f".tables.{top}", "has no parent and nothing under it has 'identify': unreachable"
            )
    schema = parser.string(".schema", config["schema"]) if "schema" in config else None
    timeout = config.get("connect_timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise parser.fail(".connect_timeout", f"must be a positive number, not {_show(timeout)}")
    active = (
        parser.string(".active_contract", config["active_contract"], what="a column or an SQL test")
        if "active_contract" in config
        else None
    )
    if active is not None and ";" in active:
        raise parser.fail(".active_contract", "must be one SQL expression, without ';'")
    return CrmMapping(system, url, root, tables, schema, float(timeout), active)
