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

from .database import Bound, anonymise_value
from .finder import CHUNK, Finder
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
    note: str = ""


class Eraser:
    """Erases one subject's rows inside the caller's transaction."""

    def __init__(self, finder: Finder) -> None:
        self.finder = finder
        self.db = finder.db
        self.context = finder.context
        self.holds: dict[tuple[str, str, Any], list[_Hold]] = defaultdict(list)
        self.outcomes: list[Outcome] = []

    def run(self, conn: Connection, anchors: dict[str, set[Any]]) -> list[Outcome]:
        bound = self.db.bound(conn)
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for b, row in self.finder.walk(conn, anchors):
            rows[b.name].append(row)
        for name in reversed(list(bound)):
            if rows.get(name):
                self._table(conn, bound[name], bound, rows[name])
        return self.outcomes

    # -- one table --------------------------------------------------------------------------
    def _table(
        self, conn: Connection, b: Bound, bound: dict[str, Bound], rows: list[dict[str, Any]]
    ) -> None:
        today = self.context.today()
        tmap = b.map
        deletes: list[_Plan] = []
        for row in rows:
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
                    self._kept(b, row, tmap.basis, until, detail)
                    continue
                action, note = tmap.after_keep, f"retention ended {until.isoformat()}"
            held = self._held(b, bound, row)
            legal = [h for h in held if h.until is not None]
            if legal and action == "delete":
                latest = max(legal, key=lambda h: h.until or today)
                reason = f"referenced by kept {latest.table} until {latest.until}"
                if tmap.anonymise:
                    self._anonymise(conn, b, row, f"{reason}: anonymised, not deleted", latest)
                else:
                    self._kept(
                        b, row, latest.basis, latest.until, f"referenced by kept {latest.table}"
                    )
                continue
            if action == "anonymise":
                self._anonymise(conn, b, row, note, max(legal, key=_until, default=None))
                continue
            deletes.append(_Plan(row, note))
        self._delete(conn, b, deletes)

    def _held(self, b: Bound, bound: dict[str, Bound], row: dict[str, Any]) -> list[_Hold]:
        """Holds registered by this row's remaining children."""
        found: list[_Hold] = []
        for child in self.db.mapping.children(b.name):
            col = bound[child.name].parent_key or b.key
            found += self.holds.get((b.name, col, row.get(col)), [])
        return found

    def _remains(self, b: Bound, row: dict[str, Any], hold: _Hold) -> None:
        """Tell the parent that this row stays (it cannot be deleted under it)."""
        if b.map.parent is None:
            return
        value = row.get(b.map.foreign_key or "")
        if value is not None:
            self.holds[(b.map.parent, b.parent_key or "", value)].append(hold)

    # -- the three outcomes -----------------------------------------------------------------
    def _kept(
        self, b: Bound, row: dict[str, Any], basis: str | None, until: date | None, detail: str
    ) -> None:
        self.outcomes.append(
            Outcome(_rid(b, row), b.map.category, Action.KEPT, basis, until, detail)
        )
        self._remains(b, row, _Hold(b.name, basis, until))

    def _anonymise(
        self, conn: Connection, b: Bound, row: dict[str, Any], note: str, hold: _Hold | None
    ) -> None:
        changes: dict[str, Any] = {}
        for col, rule in b.map.anonymise.items():
            new = anonymise_value(rule, b.col(col), row.get(col), self.context)
            if new != row.get(col):
                changes[col] = new
        if changes:
            conn.execute(sa.update(b.table).where(b.col(b.key) == row[b.key]).values(changes))
            action, detail = Action.ANONYMISED, note
        else:
            action, detail = Action.UNCHANGED, "already anonymised"
        self.outcomes.append(
            Outcome(
                _rid(b, row),
                b.map.category,
                action,
                detail=detail,
                fields={"anonymised": sorted(b.map.anonymise)},
            )
        )
        self._remains(b, row, hold or _Hold(b.name, None, None))

    def _delete(self, conn: Connection, b: Bound, plans: Sequence[_Plan]) -> None:
        """Delete in chunks; when a chunk is refused, row by row to find the refused rows."""
        for start in range(0, len(plans), CHUNK):
            chunk = plans[start : start + CHUNK]
            keys = [p.row[b.key] for p in chunk]
            try:
                with conn.begin_nested():
                    conn.execute(sa.delete(b.table).where(b.col(b.key).in_(keys)))
            except exc.IntegrityError:
                for plan in chunk:
                    self._delete_one(conn, b, plan)
                continue
            for plan in chunk:
                self._erased(b, plan)

    def _delete_one(self, conn: Connection, b: Bound, plan: _Plan) -> None:
        try:
            with conn.begin_nested():
                conn.execute(sa.delete(b.table).where(b.col(b.key) == plan.row[b.key]))
        except exc.IntegrityError:
            refused = "the database refused the delete: rows outside the mapping reference it"
            if b.map.anonymise:
                self._anonymise(conn, b, plan.row, f"{refused}; anonymised instead", None)
            else:
                self._kept(
                    b,
                    plan.row,
                    FK_BASIS,
                    self.context.today(),
                    f"{refused}; erase it by hand or map the referencing table",
                )
            return
        self._erased(b, plan)

    def _erased(self, b: Bound, plan: _Plan) -> None:
        self.outcomes.append(
            Outcome(_rid(b, plan.row), b.map.category, Action.ERASED, detail=plan.note)
        )


def _rid(b: Bound, row: dict[str, Any]) -> str:
    return f"{b.name}:{row[b.key]}"


def _until(hold: _Hold) -> date:
    return hold.until or date.min
