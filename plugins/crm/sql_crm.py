"""The ``sql-crm`` system type: a CRM in any SQL database, described by a table mapping.

See ``plugins/crm/README.md`` for the configuration. This module ties the pieces together:
:mod:`.mapping` (config), :mod:`.database` (engine, reflection, errors), :mod:`.finder`
(locate and access), :mod:`.erasure`, :mod:`.rectification` and :mod:`.flags`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import structlog
from sqlalchemy.engine import Connection

from dsr_core.fields import Field
from dsr_core.identities import InvalidIdentity, normalise_email, parse_phone
from dsr_core.model import (
    Action,
    CheckResult,
    Identity,
    IdentityKind,
    Outcome,
    Record,
    RequestKind,
    Subject,
)
from dsr_core.systems import (
    ManualStep,
    PermanentError,
    System,
    SystemContext,
    SystemError_,
    TransientError,
)

from . import contract, labels
from .database import CrmDatabase
from .erasure import Eraser
from .finder import Fetched, Finder, Matches
from .flags import flagged_tables, set_flags
from .lookups import Advice, advice
from .mapping import SYSTEM_KEYS, parse_mapping
from .rectification import Rectifier
from .values import as_date, normalise_vat, plain

log = structlog.get_logger(__name__)
_MAX_ROUNDS = 10  # locate's rounds of matching what the rows found say (a safety bound)


def _within(found: Matches, pinned: Matches) -> Matches:
    """``found`` less the customers the subject's own identities did not find (see
    ``SqlCrm._pinned``): their anchors and the rows matched with them go."""
    kept = Matches()
    for table, idents in found.anchors.items():
        kept.anchors[table] |= idents & pinned.anchors.get(table, set())
    for table, idents in found.direct.items():
        kept.direct[table] |= idents & (
            pinned.direct.get(table, set()) | pinned.anchors.get(table, set())
        )
    kept.add(pinned)
    return kept


class SqlCrmSystem(System):
    """A CRM held in a SQL database, found and changed through a configured table mapping."""

    kinds = frozenset(k for k in RequestKind if k.is_gdpr)
    description = "a CRM in any SQL database (SQLAlchemy URL), described by a table mapping"
    config_keys = SYSTEM_KEYS
    required_keys = frozenset({"url", "tables"})
    #: The report's labels: the usual category words and column names; an instance adds what
    #: its mapping says (``fields``, ``category_labels``, the columns' roles).
    titles: ClassVar[Mapping[str, str]] = labels.TITLES
    categories: ClassVar[Mapping[str, Mapping[str, str]]] = labels.CATEGORIES
    fields: ClassVar[Mapping[str, Field]] = labels.COLUMNS

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        super().__init__(name, config, context)
        self.mapping = parse_mapping(name, self.config)
        self.categories = labels.mapping_categories(self.mapping)  # type: ignore[misc]
        self.fields = {**labels.COLUMNS, **labels.mapping_fields(self.mapping)}  # type: ignore[misc]
        self.db = CrmDatabase(self.mapping, context)
        self.finder = Finder(self.db, context)

    def close(self) -> None:
        """Release the database connections."""
        self.db.close()

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _transaction(self, dry_run: bool) -> Iterator[Connection]:
        """One transaction: committed at the end, rolled back on error or on a dry run."""
        with self.db.connect() as conn:
            trans = conn.begin()
            try:
                yield conn
            except BaseException:
                trans.rollback()
                raise
            with self.db.errors():
                if dry_run:
                    trans.rollback()
                else:
                    trans.commit()

    def _match(
        self,
        conn: Connection,
        subject: Subject,
        keys: Sequence[Identity],
        *,
        verify: bool = True,
    ) -> Matches:
        """The subject's rows: the anchors ``locate`` returned in ``keys``, looked up by key
        (with ``verify``, checked to exist first); only without them (a caller that did not
        locate) the identities are matched."""
        located = self.finder.located(conn, subject.identities, keys, verify=verify)
        if located is not None:
            return located
        return self.finder.match(conn, [*subject.identities, *keys])

    def _log(self, what: str, outcomes: Sequence[Outcome], **extra: Any) -> None:
        counts = Counter(str(o.action) for o in outcomes)
        log.info(f"sql-crm.{what}", system=self.name, outcomes=dict(counts), **extra)

    def _manual(self, subject: Subject, keys: Sequence[Identity], what: str) -> ManualStep:
        """A manual task naming the subject's customer records (ids only)."""
        try:
            with self.db.connect() as conn:
                anchors = self._match(conn, subject, keys).anchors
                bound = self.db.bound(conn)
            ids = sorted(bound[t].key.record_id(i) for t, idents in anchors.items() for i in idents)
        except SystemError_:
            ids = []
        where = f" ({', '.join(ids[:10])})" if ids else ""
        return ManualStep(f"systems.{self.name}: {what} by hand in the CRM{where}")

    # -- health ---------------------------------------------------------------------------
    def check(self) -> CheckResult:
        try:
            with self.db.connect() as conn:
                problems = self.db.problems(conn)
                unmapped = self.db.unmapped_references(conn)
                advice = [] if problems else self._index_advice(conn)
                refused = (
                    None if problems else contract.problem(conn, self.mapping, self.db.bound(conn))
                )
                problems += [refused] if refused else []
        except (TransientError, PermanentError) as err:
            return CheckResult(ok=False, problems=(str(err),))
        details = {
            "dialect": self.db.url.get_backend_name(),
            "tables": len(self.mapping.tables),
            "unmapped_references": unmapped,
            "unindexed_lookups": [f"{a.table}.{a.column}" for a in advice],
        }
        # a lookup without its index is slow, not wrong: reported, the system stays healthy
        lines = (*problems, *(a.line() for a in advice))
        return CheckResult(ok=not problems, problems=lines, details=details)

    def _index_advice(self, conn: Connection) -> list[Advice]:
        """The e-mail and phone lookups no index serves, with the statement to create one."""
        found: list[Advice] = []
        with self.db.errors():
            for b in self.db.bound(conn).values():
                wanted = [("email", col) for col in b.map.identify.get("email", ())]
                phones = list(b.map.identify.get("phone", ()))
                if b.map.phone_period and b.map.phone_period.number not in phones:
                    phones.append(b.map.phone_period.number)
                wanted += [("phone", col) for col in phones]
                for kind, col in wanted:
                    item = advice(conn, b.table, col, kind)
                    if item is not None:
                        found.append(item)
        return found

    # -- locate / access ------------------------------------------------------------------
    def locate(self, subject: Subject) -> Sequence[Identity]:
        """The subject's customers, and what their rows say about the subject.

        The e-mails, numbers and VAT numbers read from the rows found are matched in turn
        (another customer or a newsletter row with the same address) until nothing new
        appears, so one call returns all the system can find. Those this system returned
        before (``source`` its name) are not matched again: the customer ids and rows
        returned with them (matched by key) stand for what they found. Locating again with
        its own results therefore finds the same, by key lookups only.
        """
        own = [i for i in subject.identities if self._derived(i)]
        seen = self.finder.probes(own)
        probes = self.finder.probes(i for i in subject.identities if not self._derived(i))
        matches = Matches()
        found: list[Identity] = []
        fetched = Fetched()
        with self.db.connect() as conn:
            pinned = self._pinned(conn, subject, fetched)
            for _ in range(_MAX_ROUNDS):
                seen.absorb(probes)
                new = self.finder.match_probes(conn, probes, fetched=fetched)
                if pinned is not None:
                    new, pinned = _within(new, pinned), None
                grown = matches.add(new)
                if not matches:
                    return []
                if not grown and found:
                    break  # the same rows: what they say was matched already
                found = self._identities(conn, matches, fetched)
                probes = self.finder.probes(found).new_in(seen)
                if not probes:
                    break
        return found

    def _pinned(self, conn: Connection, subject: Subject, fetched: Fetched) -> Matches | None:
        """What the request's own e-mails, customer ids and VAT numbers find, when it also
        gives a number without a period; else None.

        A number the subject gives may have moved on to another customer (recycled, ported):
        the history then names its holder today, not the subject. When the subject's other
        identities find their customers here, the number finds no one else; the subject's
        own history rows give its period (``phone_period``)."""
        given = [i for i in subject.identities if i.source == "request"]
        numbers = [
            i
            for i in given
            if i.kind == IdentityKind.PHONE and i.valid_from is None and i.valid_to is None
        ]
        others = [
            i
            for i in given
            if i.kind in (IdentityKind.EMAIL, IdentityKind.CUSTOMER_ID, IdentityKind.VAT)
        ]
        if not numbers or not others:
            return None
        found = self.finder.match_probes(conn, self.finder.probes(others), fetched=fetched)
        return found if found else None

    def _derived(self, identity: Identity) -> bool:
        """An identity this system's own locate read from a customer's row."""
        derived = (IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.VAT)
        return identity.source == self.name and identity.kind in derived

    def _identities(
        self, conn: Connection, matches: Matches, known: Fetched | None = None
    ) -> list[Identity]:
        found: dict[tuple[Any, ...], Identity] = {}

        def add(ident: Identity) -> None:
            found.setdefault(ident.key, ident)

        name, country = self.name, self.context.country
        dated: set[str] = set()
        anchored = {t for t, keys in matches.anchors.items() if keys}
        periods = {n for n, t in self.mapping.tables.items() if t.phone_period}
        walk = self.finder.walk(conn, matches.anchors, only=anchored | periods, known=known)
        for b, row, rid in walk:
            ident = b.ident(row)
            period = b.map.phone_period
            if ident in matches.anchors.get(b.name, ()):
                cid_cols = b.map.identify.get("customer_id", ())
                cid = row[cid_cols[0]] if cid_cols else b.key.text(ident)
                if b.name == self.mapping.root and cid is not None:
                    add(Identity(IdentityKind.CUSTOMER_ID, str(cid), system=name, source=name))
                else:
                    add(Identity(IdentityKind.OTHER, rid, system=name, source=name))
                for kind, cols in b.map.identify.items():
                    for col in cols:
                        if period is not None and col == period.number:
                            continue  # reported with its period below
                        ident = _identity(kind, row.get(col), country, name)
                        if ident is not None:
                            add(ident)
            if period is not None and row.get(period.number) is not None:
                number = parse_phone(str(row[period.number]), country)
                if number is not None:
                    start = as_date(row.get(period.valid_from)) if period.valid_from else None
                    end = as_date(row.get(period.valid_to)) if period.valid_to else None
                    add(Identity(IdentityKind.PHONE, number, start, end, source=name))
                    dated.add(number)
        # a number with assignment periods is reported with them only, not also as open-ended
        return [
            i
            for i in found.values()
            if not (
                i.kind == IdentityKind.PHONE
                and i.value in dated
                and i.valid_from is None
                and i.valid_to is None
            )
        ]

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        with self.db.connect() as conn:
            matches = self._match(conn, subject, keys, verify=False)
            for b, row, rid in self.finder.walk(conn, matches.anchors):
                yield Record(
                    system=self.name,
                    category=b.map.category,
                    record_id=rid,
                    fields={col: plain(value) for col, value in row.items()},
                    source=b.name,
                    provided_by_subject=bool(b.map.provided),
                    secret_fields=frozenset(b.map.secret),
                )

    # -- changing -------------------------------------------------------------------------
    def active_contract(self, subject: Subject, keys: Sequence[Identity]) -> bool | None:
        """Whether a customer ``locate`` found has a running contract (``active_contract`` in
        the mapping); None when the mapping does not say."""
        if self.mapping.active_contract is None:
            return None
        with self.db.connect() as conn, self.db.errors():
            anchors = self._match(conn, subject, keys).anchors
            customers = anchors.get(self.mapping.root, set())
            return contract.active(conn, self.mapping, self.db.bound(conn), customers)

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        with self._transaction(dry_run) as conn:
            matches = self._match(conn, subject, keys, verify=False)
            outcomes = Eraser(self.finder).run(conn, matches.anchors) if matches else []
        self._log("erase", outcomes, dry_run=dry_run)
        yield from outcomes

    def rectify(
        self,
        subject: Subject,
        keys: Sequence[Identity],
        changes: Mapping[str, Any],
        *,
        dry_run: bool,
    ) -> Iterator[Outcome]:
        rectifier = Rectifier(self.db, self.context.country)
        with self._transaction(dry_run) as conn:
            bound = self.db.bound(conn)
            corrections = rectifier.parse(bound, changes)
            # the identity match, not only the keys: it tells which rows of a table with
            # ``identify`` matched the subject's own identities (a contact's own row)
            matches = self.finder.match(conn, [*subject.identities, *keys])
            outcomes: list[Outcome] = []
            if matches:
                tables = {c.table for c in corrections}
                scope: dict[str, list[tuple[dict[str, Any], str]]] = {t: [] for t in tables}
                for b, row, rid in self.finder.walk(conn, matches.anchors, only=tables):
                    if b.name in tables:
                        scope[b.name].append((row, rid))
                outcomes = rectifier.apply(conn, bound, corrections, scope, matches)
        self._log("rectify", outcomes, dry_run=dry_run, fields=sorted(changes))
        yield from outcomes

    def restrict(
        self, subject: Subject, keys: Sequence[Identity], *, lift: bool, dry_run: bool
    ) -> Iterator[Outcome]:
        what = "lift the restriction" if lift else "mark the subject's records restricted"
        action = Action.UNRESTRICTED if lift else Action.RESTRICTED
        yield from self._flags(
            subject, keys, "restricted", what, lift=lift, action=action, dry_run=dry_run
        )

    def object(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        what = "stop direct marketing to the subject (set the opt-out)"
        outcomes = self._flags(
            subject, keys, "opt_out", what, lift=False, action=Action.OPTED_OUT, dry_run=dry_run
        )
        yield from outcomes

    def _flags(
        self,
        subject: Subject,
        keys: Sequence[Identity],
        which: str,
        what: str,
        *,
        lift: bool,
        action: Action,
        dry_run: bool,
    ) -> list[Outcome]:
        if not flagged_tables(self.mapping.tables, which):
            raise self._manual(subject, keys, f"no {which} column is mapped: {what}")
        with self._transaction(dry_run) as conn:
            matches = self._match(conn, subject, keys)
            outcomes = (
                set_flags(self.finder, conn, matches.anchors, which, lift=lift, action=action)
                if matches
                else []
            )
        if matches and not outcomes:
            missing = f"none of the subject's rows has a {which} column: {what}"
            raise self._manual(subject, keys, missing)
        self._log(which, outcomes, dry_run=dry_run, lift=lift)
        return outcomes


def _identity(kind: str, value: Any, country: str, system: str) -> Identity | None:
    """An identity from a row's identifying column (None for customer ids and bad values)."""
    if value is None or not str(value).strip():
        return None
    text = str(value)
    if kind == "email":
        try:
            return Identity(IdentityKind.EMAIL, normalise_email(text), source=system)
        except InvalidIdentity:
            return None
    if kind == "phone":
        number = parse_phone(text, country)
        return Identity(IdentityKind.PHONE, number, source=system) if number else None
    if kind == "vat":
        vat = normalise_vat(text, country)
        return Identity(IdentityKind.VAT, vat, source=system) if vat else None
    return None
