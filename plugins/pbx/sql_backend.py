"""The SQL side of ``asterisk-sql``: reading, matching and erasing rows with SQLAlchemy.

Two kinds of table:

* ``cdr``, one row per call, in the legacy layout (``calldate``; FreePBX's ``asteriskcdrdb``
  adds did, cnum, cnam, outbound_cnum, outbound_cnam, dst_cnam, recordingfile...) or in
  Asterisk's own (``start``, ``answer``, ``end``);
* FreePBX's ``cel`` (channel event log), one row per event, with names and numbers too.

Rows are selected by the *spellings* of the subject's numbers (``src IN (...) OR dst IN
(...)``, served by indexes; see :func:`~.numbers.textual_forms`) and extensions, then confirmed
in Python by exact E.164 comparison and validity period. Columns are read without SQLAlchemy
type processing, so that one malformed value is one unparseable row, reported, not a failed
run. A row is deleted or updated by its primary key, or, when the table has none (the stock
cdr table has none), by the values of all its columns. Each table's changes run in one
transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from dsr_core.model import Action, CheckResult, Identity, Outcome, Record, Subject
from dsr_core.systems import ConfigError, PermanentError, TransientError

from .calls import (
    Call,
    ParseError,
    derive_answer_end,
    iso,
    parse_int,
    parse_stamp,
    parse_warnings,
)
from .config import ConfigReader
from .erasure import decide, outcome
from .matching import Match, Matcher, scrub_patterns
from .numbers import join_clid, replace_numbers, split_clid
from .records import call_fields, cel_fields
from .thirdparty import is_withheld

if TYPE_CHECKING:
    from .asterisk_sql import AsteriskSqlSystem

log = structlog.get_logger("dsr_plugins.pbx")

CDR_CALLERS = ("src", "cnum", "outbound_cnum")
CDR_CALLEES = ("dst", "did")
CDR_NAMES = ("cnam", "outbound_cnam", "dst_cnam")
CDR_FREE_TEXT = ("channel", "dstchannel", "lastdata", "recordingfile")
#: Free text set by the dial plan: it may hold anything, so it is blanked on anonymisation.
BLANKED = ("userfield",)
CEL_CALLERS = ("cid_num", "cid_ani")
CEL_CALLEES = ("cid_dnid", "exten", "cid_rdnis")
CEL_NAMES = ("cid_name",)
CEL_FREE_TEXT = ("channame", "appdata", "peer", "extra")
#: Columns whose lookups must be index-served for check() to call the system healthy; the
#: other searched columns without an index are reported too, as a warning.
ESSENTIAL_INDEXES = {"cdr": ("src", "dst"), "cel": ("cid_num", "exten")}
EXAMPLES = 20
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass
class TableInfo:
    """A reflected table and how to read it."""

    kind: str  # cdr | cel
    name: str
    schema: str | None
    layout: str  # calldate | start | cel
    columns: dict[str, str]  # lower-case name → actual name
    primary_key: list[str]
    indexed: set[str]
    sa_table: Any = None

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def callers(self) -> tuple[str, ...]:
        names = CDR_CALLERS if self.kind == "cdr" else CEL_CALLERS
        return tuple(c for c in names if c in self.columns)

    @property
    def callees(self) -> tuple[str, ...]:
        names = CDR_CALLEES if self.kind == "cdr" else CEL_CALLEES
        return tuple(c for c in names if c in self.columns)

    @property
    def searched(self) -> tuple[str, ...]:
        return self.callers + self.callees

    @property
    def category(self) -> str:
        return "call" if self.kind == "cdr" else "call_event"


@dataclass
class RowHit:
    row: dict[str, Any]  # lower-case column → value
    call: Call
    match: Match
    record_id: str


@dataclass
class RowError:
    row: dict[str, Any]
    record_id: str
    reason: str
    may_be_subject: bool


@dataclass
class TableScan:
    table: TableInfo
    hits: list[RowHit] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _split_name(value: str) -> tuple[str | None, str]:
    if "." in value:
        schema, name = value.split(".", 1)
        return schema, name
    return None, value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class SqlCallLog:
    """The work of one ``asterisk-sql`` system."""

    def __init__(self, system: AsteriskSqlSystem, reader: ConfigReader) -> None:
        self.system = system
        self.name = system.name
        self.context = system.context
        raw_url = reader.string("url")
        assert raw_url is not None  # required
        try:
            url = make_url(raw_url)
        except (sa_exc.ArgumentError, ValueError):
            raise reader.error("url", "is not a database URL") from None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            if not url.database.startswith("file:"):
                url = url.set(database=str(self.context.resolve(url.database)))
        self.url = url
        self.shown_url = url.render_as_string(hide_password=True)
        for key, default in (("table", "cdr"), ("cel_table", None)):
            value = reader.string(key, default)
            if value is not None and not _IDENTIFIER.match(value):
                raise reader.error(key, "must be a table name (letters, digits, _)")
        self.table_name = reader.string("table", "cdr") or "cdr"
        self.cel_name = reader.string("cel_table", None)
        self.layout = reader.choice(
            "layout", {"auto": "auto", "calldate": "calldate", "start": "start"}, "auto"
        )
        self.search = reader.choice("search", {"indexed": "indexed", "full": "full"}, "indexed")
        self.source_tz = reader.timezone()
        self.retention = reader.retention()
        self.extensions = reader.extensions()
        self.region = reader.region()
        self.third_parties = reader.third_parties()
        try:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        except (sa_exc.ArgumentError, ImportError) as exc:
            raise ConfigError(
                f"systems.{self.name}: url cannot be used ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:120]})"
            ) from None
        self._tables: dict[str, TableInfo] = {}
        self._summary: dict[str, Any] = {}

    def close(self) -> None:
        self.engine.dispose()

    def _missing_sqlite_file(self) -> str | None:
        """The path of a SQLite database file that does not exist (connecting would create
        an empty one), else None."""
        database = self.url.database
        if self.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
            return None
        if database.startswith("file:") or Path(database).exists():
            return None
        return database

    # -- errors -----------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> Exception:
        """The core's error for a database error; the message holds no parameters."""
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).splitlines() or [""])[0][:200]
        message = f"systems.{self.name}: {type(orig).__name__}: {first}"
        if isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError):
            return TransientError(message)
        return PermanentError(message)

    # -- tables -----------------------------------------------------------------------------
    def _table(self, kind: str) -> TableInfo:
        if kind in self._tables:
            return self._tables[kind]
        missing = self._missing_sqlite_file()
        if missing:
            raise PermanentError(f"systems.{self.name}: database file {missing} not found")
        full_name = self.table_name if kind == "cdr" else self.cel_name
        assert full_name is not None
        schema, name = _split_name(full_name)
        try:
            inspector = sa.inspect(self.engine)
            if not inspector.has_table(name, schema=schema):
                raise PermanentError(
                    f"systems.{self.name}: table {full_name} not found in {self.shown_url}"
                )
            columns = {c["name"].lower(): c["name"] for c in inspector.get_columns(name, schema)}
            pk = inspector.get_pk_constraint(name, schema).get("constrained_columns") or []
            indexes = inspector.get_indexes(name, schema)
        except sa_exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None
        indexed = {c.lower() for c in pk[:1]}
        for index in indexes:
            names = [n for n in index.get("column_names") or [] if n]
            if names:
                indexed.add(names[0].lower())
        layout = self._layout(kind, columns, full_name)
        info = TableInfo(kind, name, schema, layout, columns, [p.lower() for p in pk], indexed)
        info.sa_table = sa.table(name, *[sa.column(c) for c in columns.values()], schema=schema)
        self._tables[kind] = info
        return info

    def _layout(self, kind: str, columns: dict[str, str], full_name: str) -> str:
        if kind == "cel":
            needed = {"eventtime", "cid_num"}
            layout = "cel"
        else:
            layout = self.layout
            if layout == "auto":
                layout = "calldate" if "calldate" in columns else "start"
            needed = {"src", "dst", "calldate" if layout == "calldate" else "start"}
        missing = sorted(needed - set(columns))
        if missing:
            raise PermanentError(
                f"systems.{self.name}: table {full_name} has no column {missing[0]} "
                f"(layout {layout})"
            )
        return layout

    def _kinds(self) -> list[str]:
        return ["cdr", "cel"] if self.cel_name else ["cdr"]

    # -- reading ----------------------------------------------------------------------------
    def _query(self, table: TableInfo, matcher: Matcher) -> Any:
        t = table.sa_table
        values = matcher.sql_values()
        conditions = [t.c[table.columns[c]].in_(values) for c in table.searched]
        if self.search == "full":
            texts = [*table.searched, "clid"] if "clid" in table.columns else table.searched
            for number in matcher.nsns:
                pattern = "%" + "%".join(number) + "%"
                conditions += [t.c[table.columns[c]].like(pattern) for c in texts]
        return sa.select(t).where(sa.or_(*conditions))

    def _call(self, table: TableInfo, row: dict[str, Any]) -> Call:
        tz, target = self.source_tz, self.context.timezone
        if table.kind == "cel":
            start = parse_stamp(row.get("eventtime"), "event", tz, target)
            if start is None:
                raise ParseError("event time is empty")
            return Call(
                start=start,
                answer=None,
                end=None,
                duration=None,
                billsec=None,
                disposition="",
                callers=tuple((c, _text(row.get(c))) for c in table.callers),
                callees=tuple((c, _text(row.get(c))) for c in table.callees),
                caller_name=_text(row.get("cid_name")).strip(),
                ident=_text(row.get("uniqueid")),
                withheld=is_withheld(
                    (_text(row.get(c)) for c in table.callers), (_text(row.get("cid_name")),)
                ),
                extra={
                    "event": _text(row.get("eventtype")),
                    "context": _text(row.get("context")),
                    "application": _text(row.get("appname")),
                    "uniqueid": _text(row.get("uniqueid")),
                    "linkedid": _text(row.get("linkedid")),
                },
            )
        column = "calldate" if table.layout == "calldate" else "start"
        start = parse_stamp(row.get(column), "start", tz, target)
        if start is None:
            raise ParseError("start time is empty")
        duration = parse_int(row.get("duration"), "duration")
        billsec = parse_int(row.get("billsec"), "billsec")
        disposition = _text(row.get("disposition")).strip()
        if table.layout == "start":
            answer = parse_stamp(row.get("answer"), "answer", tz, target)
            end = parse_stamp(row.get("end"), "end", tz, target)
        else:
            answer, end = derive_answer_end(start, duration, billsec, disposition)
        clid_name, clid_number = split_clid(_text(row.get("clid")))
        callers = [("src", _text(row.get("src"))), ("clid", clid_number)]
        callers += [(c, _text(row.get(c))) for c in table.callers if c != "src"]
        ident = _text(row.get("uniqueid")).strip()
        if _text(row.get("sequence")).strip():
            ident = f"{ident}-{_text(row.get('sequence')).strip()}"
        extra: dict[str, Any] = {
            "accountcode": _text(row.get("accountcode")),
            "uniqueid": _text(row.get("uniqueid")),
            "linkedid": _text(row.get("linkedid")),
            "did": _text(row.get("did")),
            "recordingfile": _text(row.get("recordingfile")),
            "userfield": _text(row.get("userfield")),
            "peeraccount": _text(row.get("peeraccount")),
            "sequence": _text(row.get("sequence")),
        }
        return Call(
            start=start,
            answer=answer,
            end=end,
            duration=duration,
            billsec=billsec,
            disposition=disposition,
            callers=tuple(callers),
            callees=tuple((c, _text(row.get(c))) for c in table.callees),
            caller_name=_text(row.get("cnam")).strip() or clid_name,
            ident=ident,
            withheld=is_withheld((v for _, v in callers), (clid_name, _text(row.get("cnam")))),
            extra=extra,
        )

    def _record_id(self, table: TableInfo, row: dict[str, Any], seen: dict[str, int]) -> str:
        if table.primary_key:
            return f"{table.name}:" + ",".join(_text(row.get(p)) for p in table.primary_key)
        content = repr(sorted((k, _text(v)) for k, v in row.items())).encode()
        key = self.context.secret_key or b"dsr-pbx"
        digest = hmac.new(key, content, hashlib.sha256).hexdigest()[:16]
        ident = _text(row.get("uniqueid")).strip() or "row"
        if _text(row.get("sequence")).strip():
            ident = f"{ident}-{_text(row.get('sequence')).strip()}"
        base = f"{table.name}:{ident}:{digest}"
        seen[base] = seen.get(base, 0) + 1
        return base if seen[base] == 1 else f"{base}#{seen[base]}"

    def _scan(self, conn: Any, table: TableInfo, matcher: Matcher) -> TableScan:
        result = TableScan(table)
        seen: dict[str, int] = {}
        rows = conn.execute(self._query(table, matcher)).mappings()
        for mapping in rows:
            row = {k.lower(): v for k, v in mapping.items()}
            record_id = self._record_id(table, row, seen)
            try:
                call = self._call(table, row)
            except ParseError as exc:
                holds = any(
                    _text(row.get(c)).strip() in matcher.extensions
                    or matcher.display(_text(row.get(c))) in matcher.phones
                    for c in table.searched
                )
                result.errors.append(RowError(row, record_id, str(exc), holds))
                continue
            match = matcher.match(call)
            if match is not None:
                result.hits.append(RowHit(row, call, match, record_id))
        self._note(result)
        return result

    def _scans(self, matcher: Matcher) -> Iterator[TableScan]:
        for kind in self._kinds():
            table = self._table(kind)
            try:
                with self.engine.connect() as conn:
                    scanned = self._scan(conn, table, matcher)
            except sa_exc.SQLAlchemyError as exc:
                raise self._fail(exc) from None
            yield scanned

    def _note(self, result: TableScan) -> None:
        entry = {
            "table": result.table.label,
            "matched": len(result.hits),
            "parse_errors": len(result.errors),
        }
        self._summary.setdefault("tables", []).append(entry)
        examples = self._summary.setdefault("parse_error_rows", [])
        for error in result.errors[:EXAMPLES]:
            examples.append(
                {"table": result.table.label, "row": error.record_id, "reason": error.reason}
            )
        self._summary["parse_errors"] = self._summary.get("parse_errors", 0) + len(result.errors)
        log.info("pbx.sql_scan", system=self.name, **entry)
        if result.errors:
            log.warning(
                "pbx.unreadable_rows",
                system=self.name,
                table=result.table.label,
                count=len(result.errors),
                reason=result.errors[0].reason,
            )

    def _start(self, operation: str) -> None:
        self._summary = {"operation": operation, "tables": [], "parse_errors": 0}

    def unreadable(self) -> list[str]:
        """The rows the last call found (by the subject's numbers) but could not read: table,
        row id and reason; never their content."""
        return parse_warnings(
            self._summary.get("parse_error_rows", []),
            self._summary.get("tables", []),
            "table",
            each=lambda e: (
                f"table {e['table']} row {e['row']}: cannot be read ({e['reason']}); left as it is"
            ),
            more=lambda t, shown: (
                f"table {t['table']}: {t['parse_errors']} rows cannot be read "
                f"(the first {shown} are listed)"
            ),
        )

    def summary(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self._summary.items()}

    def _matcher(self, subject: Subject, keys: Sequence[Identity] = ()) -> Matcher:
        identities = list(keys) if keys else list(subject.identities)
        return Matcher(identities, self.extensions, self.region, self.name)

    # -- the operations ---------------------------------------------------------------------
    def locate(self, subject: Subject) -> list[Identity]:
        self._start("locate")
        matcher = self._matcher(subject)
        if not matcher:
            return []
        found: dict[tuple[object, ...], Identity] = {}
        for scanned in self._scans(matcher):
            for hit in scanned.hits:
                for owned in hit.match.owned:
                    found.setdefault(owned.identity.key, owned.identity)
                    if owned.kind == "extension":
                        customer = matcher.customer_identity(owned)
                        if customer is not None:
                            found.setdefault(customer.key, customer)
        return list(found.values())

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        self._start("access")
        matcher = self._matcher(subject, keys)
        if not matcher:
            return
        for scanned in self._scans(matcher):
            table = scanned.table
            for hit in scanned.hits:
                build = cel_fields if table.kind == "cel" else call_fields
                fields = build(hit.call, hit.match, self.third_parties, self.region)
                yield Record(
                    system=self.name,
                    category=table.category,
                    record_id=hit.record_id,
                    fields=fields,
                    source=table.label,
                    provided_by_subject=True,
                )

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        self._start("erase-dry-run" if dry_run else "erase")
        matcher = self._matcher(subject, keys)
        if not matcher:
            return
        outcomes: list[Outcome] = []
        for kind in self._kinds():
            table = self._table(kind)
            try:
                outcomes += self._erase_table(table, matcher, dry_run=dry_run)
            except sa_exc.SQLAlchemyError as exc:
                raise self._fail(exc) from None
        counts: dict[str, int] = {}
        for result in outcomes:
            counts[str(result.action)] = counts.get(str(result.action), 0) + 1
        self._summary["outcomes"] = counts
        log.info("pbx.erase", system=self.name, dry_run=dry_run, **counts)
        yield from outcomes

    def _erase_table(self, table: TableInfo, matcher: Matcher, *, dry_run: bool) -> list[Outcome]:
        """Plan and (unless ``dry_run``) apply the erasure of one table, in one transaction."""
        today = self.context.today()
        outcomes: list[Outcome] = []
        context = self.engine.connect() if dry_run else self.engine.begin()
        with context as conn:
            scanned = self._scan(conn, table, matcher)
            t = table.sa_table
            for hit in scanned.hits:
                decision = decide(hit.call.day, today, self.retention)
                summary = {"start": iso(hit.call.start), "direction": hit.match.direction}
                changed: list[str] = []
                if decision.action == Action.ERASED and not dry_run:
                    conn.execute(sa.delete(t).where(self._where(table, hit.row)))
                elif decision.action == Action.ANONYMISED:
                    values = self._anonymised(table, hit, matcher)
                    changed = sorted(values)
                    if values and not dry_run:
                        real = {table.columns[c]: v for c, v in values.items()}
                        conn.execute(sa.update(t).where(self._where(table, hit.row)).values(real))
                detail = ""
                if hit.call.extra.get("recordingfile"):
                    detail = "the call was recorded: the recording file is not erased by this "
                    detail += "system; remove it by hand"
                result = outcome(
                    hit.record_id,
                    table.category,
                    decision,
                    self.retention,
                    fields=summary,
                    anonymised=changed,
                )
                if detail and decision.action != Action.KEPT:
                    result = Outcome(
                        result.record_id,
                        result.category,
                        result.action,
                        result.basis,
                        result.until,
                        f"{result.detail}; {detail}",
                        result.fields,
                    )
                outcomes.append(result)
            for error in scanned.errors:
                if error.may_be_subject:
                    outcomes.append(
                        Outcome(
                            error.record_id,
                            table.category,
                            Action.UNCHANGED,
                            detail=f"row of {table.label} may hold the subject's number but "
                            f"cannot be read ({error.reason}): left as it is; review by hand",
                            fields={"table": table.label, "reason": error.reason},
                        )
                    )
        return outcomes

    def _where(self, table: TableInfo, row: dict[str, Any]) -> Any:
        t = table.sa_table
        names = table.primary_key or list(table.columns)
        clauses = []
        for name in names:
            column = t.c[table.columns[name]]
            value = row.get(name)
            clauses.append(column.is_(None) if value is None else column == value)
        return sa.and_(*clauses)

    def _anonymised(self, table: TableInfo, hit: RowHit, matcher: Matcher) -> dict[str, Any]:
        """Column → new value: the subject's numbers become keyed hashes, names are blanked,
        free text is scrubbed of the subject's numbers; times and durations stay."""

        def pseudonymise(raw: str) -> str:
            return self.context.anonymise(matcher.display(raw) or raw)

        row = hit.row
        changes: dict[str, Any] = {}
        for column in table.searched:
            if column in hit.match.fields:
                changes[column] = pseudonymise(_text(row.get(column)).strip())
        names = CDR_NAMES if table.kind == "cdr" else CEL_NAMES
        for column in (*names, *BLANKED):
            if column in table.columns and _text(row.get(column)):
                changes[column] = ""
        if table.kind == "cdr" and "clid" in table.columns:
            _, number = split_clid(_text(row.get("clid")))
            if "clid" in hit.match.fields:
                number = pseudonymise(number.strip())
            clid = join_clid("", number)
            if clid != _text(row.get("clid")):
                changes["clid"] = clid
        patterns = scrub_patterns(hit.match, pseudonymise)
        free = CDR_FREE_TEXT if table.kind == "cdr" else CEL_FREE_TEXT
        for column in free:
            if column in table.columns and row.get(column) is not None:
                value = _text(row.get(column))
                scrubbed = replace_numbers(value, patterns)
                if scrubbed != value:
                    changes[column] = scrubbed
        return changes

    # -- health -----------------------------------------------------------------------------
    def _probe(self, table: TableInfo) -> str | None:
        try:
            return _probe_rows(self, table)
        except sa_exc.SQLAlchemyError:
            return None  # reported by the other checks

    def check(self) -> CheckResult:
        problems: list[str] = []
        ok = True
        details: dict[str, Any] = {"url": self.shown_url, "tables": []}
        missing = self._missing_sqlite_file()
        if missing:
            return CheckResult(False, (f"database file {missing} not found",), details)
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa_exc.SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None) or exc
            first = (str(orig).splitlines() or [""])[0][:200]
            return CheckResult(False, (f"cannot connect to {self.shown_url}: {first}",), details)
        self._tables.clear()
        for kind in self._kinds():
            try:
                table = self._table(kind)
            except (PermanentError, TransientError) as exc:
                problems.append(str(exc).removeprefix(f"systems.{self.name}: "))
                ok = False
                continue
            details["tables"].append({"table": table.label, "layout": table.layout})
            try:
                with self.engine.connect() as conn:
                    t = table.sa_table
                    conn.execute(sa.select(t).where(sa.false()).limit(1)).fetchall()
            except sa_exc.SQLAlchemyError as exc:
                orig = getattr(exc, "orig", None) or exc
                first = (str(orig).splitlines() or [""])[0][:200]
                problems.append(f"table {table.label} cannot be read: {first}")
                ok = False
                continue
            unknown = self._probe(table)
            if unknown:
                problems.append(f"table {table.label}: no row can be read ({unknown})")
                ok = False
            missing = [c for c in table.searched if c not in table.indexed]
            essential = [c for c in missing if c in ESSENTIAL_INDEXES[kind]]
            if missing:
                statements = "; ".join(
                    f"CREATE INDEX {table.name}_{c}_idx ON {table.label} ({c})" for c in missing
                )
                problems.append(
                    f"table {table.label}: no index on {', '.join(missing)}: finding a "
                    f"subject's calls scans the whole table (add: {statements})"
                )
                ok = ok and not essential
        return CheckResult(ok, tuple(problems), details)


PROBE_ROWS = 50


def _probe_rows(backend: SqlCallLog, table: TableInfo) -> str | None:
    """Why none of the first :data:`PROBE_ROWS` rows of ``table`` can be read, or None (the
    table is empty, or one of them can)."""
    first: str | None = None
    with backend.engine.connect() as conn:
        for mapping in conn.execute(sa.select(table.sa_table).limit(PROBE_ROWS)).mappings():
            row = {k.lower(): v for k, v in mapping.items()}
            try:
                backend._call(table, row)
                return None
            except ParseError as exc:
                first = first or str(exc)
    return f"the first rows: {first}" if first else None
