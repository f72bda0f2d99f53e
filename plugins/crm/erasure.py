"""Erasure: delete, anonymise or keep each of the subject's rows, children before parents.

Per table, ``erase`` says what happens to a row:

``delete``
    The row is deleted (ERASED). If kept rows below it still reference it, it is anonymised
    instead when the table lists ``anonymise`` columns (ANONYMISED), else KEPT with the basis
    and latest until-date of those rows ("referenced by kept invoices"). If the database
    refuses the delete (a foreign key from a table the mapping does not cover), the same
    fallback applies, the row KEPT with a technical reason when nothing can be anonymised.
``anonymise``
    The listed columns are overwritten (ANONYMISED; UNCHANGED when already done).
``keep``
    KEPT with ``basis`` until ``date_column`` + ``keep_for`` (counted from the end of that
    year with ``keep_from = "end_of_year"``). Once that day has passed, ``after_keep``
    (``delete`` or ``anonymise``) applies instead.

All of it runs in the one transaction the caller holds; each delete runs in a savepoint so a
foreign-key refusal rolls back only that delete.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection

from dsr_core.model import Action, Outcome
from dsr_core.systems import PermanentError

from .database import Bound, anonymise_value
from .finder import CHUNK, Finder
from .rowkeys import Ident
from .values import as_date

#: The basis of a row kept only because the database refused its delete.
FK_BASIS = "technical hold: rows outside the mapping reference it (foreign key)"


@dataclass(frozen=True, slots=True)
class _Hold:
    """A row that stays, as seen by its parent: why, and until when (None: no legal duty)."""

    table: str
    basis: str | None
    until: date | None


@dataclass
class _Plan:
    """A row's fate once its children are done."""

    row: dict[str, Any]
    rid: str
    note: str = ""


class Eraser:
    """Erases one subject's rows inside the caller's transaction."""

    def __init__(self, finder: Finder) -> None:
        self.finder = finder
        self.db = finder.db
        self.context = finder.context
        self.holds: dict[tuple[str, tuple[str, ...], Ident], list[_Hold]] = defaultdict(list)
        self.outcomes: list[Outcome] = []

    def run(self, conn: Connection, anchors: dict[str, set[Ident]]) -> list[Outcome]:
        bound = self.db.bound(conn)
        rows: dict[str, list[_Plan]] = defaultdict(list)
        for b, row, rid in self.finder.walk(conn, anchors):
            rows[b.name].append(_Plan(row, rid))
        for name in reversed(list(bound)):
            if rows.get(name):
                self._table(conn, bound[name], bound, rows[name])
        return self.outcomes

    # -- one table --------------------------------------------------------------------------
    def _table(
        self, conn: Connection, b: Bound, bound: dict[str, Bound], rows: list[_Plan]
    ) -> None:
        today = self.context.today()
        tmap = b.map
        deletes: list[_Plan] = []
        for plan in rows:
            row = plan.row
            action, note = tmap.erase, ""
            if action == "keep":
                start = as_date(row.get(tmap.date_column or ""))
                counted = start if start is not None else today
                until = tmap.keep_until(counted)
                if until >= today:
                    detail = (
                        f"{tmap.date_column} {start.isoformat()}, kept {tmap.keep_for}"
                        if start is not None
                        else f"no {tmap.date_column}: kept {tmap.keep_for} from today"
                    )
                    self._kept(b, plan, tmap.basis, until, detail)
                    continue
                action, note = tmap.after_keep, f"retention ended {until.isoformat()}"
            held = self._held(b, bound, row)
            legal = [h for h in held if h.until is not None]
            if legal and action == "delete":
                latest = max(legal, key=lambda h: h.until or today)
                reason = f"referenced by kept {latest.table} until {latest.until}"
                if tmap.anonymise:
                    self._anonymise(conn, b, plan, f"{reason}: anonymised, not deleted", latest)
                else:
                    self._kept(
                        b, plan, latest.basis, latest.until, f"referenced by kept {latest.table}"
                    )
                continue
            if action == "anonymise":
                self._anonymise(conn, b, plan, note, max(legal, key=_until, default=None))
                continue
            deletes.append(_Plan(row, plan.rid, note))
        self._delete(conn, b, deletes)

    def _held(self, b: Bound, bound: dict[str, Bound], row: dict[str, Any]) -> list[_Hold]:
        """Holds registered by this row's remaining children."""
        found: list[_Hold] = []
        for child in self.db.mapping.children(b.name):
            cols = bound[child.name].parent_key
            found += self.holds.get((b.name, cols, tuple(row.get(c) for c in cols)), [])
        return found

    def _remains(self, b: Bound, row: dict[str, Any], hold: _Hold) -> None:
        """Tell the parent that this row stays (it cannot be deleted under it)."""
        if b.map.parent is None:
            return
        value = tuple(row.get(c) for c in b.foreign_key)
        if None not in value:
            self.holds[(b.map.parent, b.parent_key, value)].append(hold)

    # -- the three outcomes -----------------------------------------------------------------
    def _kept(
        self, b: Bound, plan: _Plan, basis: str | None, until: date | None, detail: str
    ) -> None:
        self.outcomes.append(Outcome(plan.rid, b.map.category, Action.KEPT, basis, until, detail))
        self._remains(b, plan.row, _Hold(b.name, basis, until))

    def _anonymise(
        self, conn: Connection, b: Bound, plan: _Plan, note: str, hold: _Hold | None
    ) -> None:
        row = plan.row
        changes: dict[str, Any] = {}
        for col, rule in b.map.anonymise.items():
            new = anonymise_value(rule, b.col(col), row.get(col), self.context)
            if new != row.get(col):
                changes[col] = new
        if changes:
            where = b.key.where(b.table, b.ident(row))
            conn.execute(sa.update(b.table).where(where).values(changes))
            action, detail = Action.ANONYMISED, note
        else:
            action, detail = Action.UNCHANGED, "already anonymised"
        self.outcomes.append(
            Outcome(
                plan.rid,
                b.map.category,
                action,
                detail=detail,
                fields={"anonymised": sorted(b.map.anonymise)},
            )
        )
        self._remains(b, row, hold or _Hold(b.name, None, None))

    def _delete(self, conn: Connection, b: Bound, plans: Sequence[_Plan]) -> None:
        """Delete in chunks; when a chunk is refused, row by row to find the refused rows.

        Never more rows than planned are deleted: a statement that would (a key that stopped
        being unique since the check) raises, which rolls the whole erasure back."""
        budget = _Budget(b, len(plans), self.db.mapping.system)
        width = len(b.key.columns)
        for start in range(0, len(plans), max(1, CHUNK // width)):
            chunk = plans[start : start + max(1, CHUNK // width)]
            idents = list(dict.fromkeys(b.ident(p.row) for p in chunk))
            try:
                with conn.begin_nested():
                    stmt = sa.delete(b.table).where(b.key.where_any(b.table, idents))
                    budget.spend(conn.execute(stmt).rowcount)
            except exc.IntegrityError:
                for plan in chunk:
                    self._delete_one(conn, b, plan, budget)
                continue
            for plan in chunk:
                self._erased(b, plan)

    def _delete_one(self, conn: Connection, b: Bound, plan: _Plan, budget: _Budget) -> None:
        try:
            with conn.begin_nested():
                stmt = sa.delete(b.table).where(b.key.where(b.table, b.ident(plan.row)))
                budget.spend(conn.execute(stmt).rowcount)
        except exc.IntegrityError:
            refused = "the database refused the delete: rows outside the mapping reference it"
            if b.map.anonymise:
                self._anonymise(conn, b, plan, f"{refused}; anonymised instead", None)
            else:
                self._kept(
                    b,
                    plan,
                    FK_BASIS,
                    self.context.today(),
                    f"{refused}; erase it by hand or map the referencing table",
                )
            return
        self._erased(b, plan)

    def _erased(self, b: Bound, plan: _Plan) -> None:
        self.outcomes.append(Outcome(plan.rid, b.map.category, Action.ERASED, detail=plan.note))


@dataclass
class _Budget:
    """How many rows of a table the erasure may still delete."""

    b: Bound
    left: int
    system: str

    def spend(self, rowcount: int) -> None:
        if rowcount < 0:  # the driver does not say
            return
        self.left -= rowcount
        if self.left < 0:
            raise PermanentError(
                f"systems.{self.system}: a delete in {self.b.name} matched more rows than the "
                f"subject's: nothing was erased; check that its key identifies one row"
            )


def _until(hold: _Hold) -> date:
    return hold.until or date.min
