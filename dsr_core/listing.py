"""Which requests a list shows, in which order, how many: one SQL text for both paths.

``dsr request list`` and ``dsr due`` filter and page in the database, so 10,000 requests cost
what one page does. The text uses named parameters (``:name``), which both the stdlib
``sqlite3`` module (the light path, :mod:`dsr_core.store.lite`) and SQLAlchemy's ``text()``
(the full path, :mod:`dsr_core.requests`) take as they are.

"Most urgent first" is the stored due day (``requests.due_on``, recomputed on every clock
event), paused requests (no due day while the clock stands still) after the running ones,
then the id. Overdue and "due within" compare the same stored day with today; a request
answered (``answers``) is never overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .model import RequestKind, RequestState

#: Rows a list shows on a terminal unless ``--limit`` says otherwise.
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class Listing:
    which: str  # "open", "overdue" or "all"
    today: date
    due_within: int | None = None
    #: At most this many (None: every one).
    limit: int | None = None
    #: Only requests with a deadline (GDPR requests; not a contract's end): ``dsr due``.
    clock_only: bool = False

    def _where(self) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        terms = []
        if self.which in ("open", "overdue"):
            states = [s.value for s in RequestState if s.is_open]
            params.update({f"s{i}": s for i, s in enumerate(states)})
            terms.append(f"state IN ({', '.join(f':s{i}' for i in range(len(states)))})")
        if self.which == "overdue":
            # an answer that went out ends the clock: met, or late, but no longer overdue
            terms.append("due_on < :today AND id NOT IN (SELECT request_id FROM answers)")
            params["today"] = self.today
        if self.clock_only:
            kinds = [k.value for k in RequestKind if k.is_gdpr]
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
            terms.append(f"kind IN ({', '.join(f':k{i}' for i in range(len(kinds)))})")
        if self.due_within is not None:
            terms.append("due_on <= :due_by")
            params["due_by"] = self.today + timedelta(days=self.due_within)
        return (f"WHERE {' AND '.join(terms)}" if terms else ""), params

    def _order(self) -> str:
        if self.which == "all":
            return "ORDER BY id"
        return "ORDER BY CASE WHEN due_on IS NULL THEN 1 ELSE 0 END, due_on, id"

    def select(self, columns: str = "*") -> tuple[str, dict[str, Any]]:
        """The page: ``columns`` of the requests shown, in order."""
        where, params = self._where()
        limit = ""
        if self.limit is not None:
            limit = " LIMIT :limit"
            params["limit"] = self.limit
        return f"SELECT {columns} FROM requests {where} {self._order()}{limit}", params

    def count(self) -> tuple[str, dict[str, Any]]:
        """How many requests the listing has in all (beyond the page too)."""
        where, params = self._where()
        return f"SELECT count(*) FROM requests {where}", params  # noqa: S608 - fixed text

    def ids(self) -> tuple[str, dict[str, Any]]:
        """The ids of the requests the listing has in all, for the pauses of a page."""
        where, params = self._where()
        return f"SELECT id FROM requests {where}", params  # noqa: S608 - fixed text
