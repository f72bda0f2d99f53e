"""Objection and restriction: setting the mapped flag columns on the subject's rows.

``opt_out`` columns take their ``value`` on objection (OPTED_OUT; UNCHANGED when already
set). ``restricted`` columns take ``value`` on restriction and ``lifted`` when it is lifted
(RESTRICTED / UNRESTRICTED / UNCHANGED).
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dsr_core.model import Action, Outcome

from .finder import Finder
from .mapping import Flag, TableMap
from .rowkeys import Ident
from .values import plain, same_flag


def flag_of(tmap: TableMap, which: str) -> Flag | None:
    return tmap.opt_out if which == "opt_out" else tmap.restricted


def flagged_tables(tables: Mapping[str, TableMap], which: str) -> list[str]:
    """The tables mapping a flag column of this kind (``opt_out`` or ``restricted``)."""
    return [name for name, t in tables.items() if flag_of(t, which) is not None]


def set_flags(
    finder: Finder,
    conn: Connection,
    anchors: dict[str, set[Ident]],
    which: str,
    *,
    lift: bool,
    action: Action,
) -> list[Outcome]:
    """Set (or, with ``lift``, clear) the flag on every one of the subject's flagged rows."""
    tables = flagged_tables(finder.mapping.tables, which)
    rows = list(finder.walk(conn, anchors, only=tables))
    outcomes: list[Outcome] = []
    for b, row, rid in rows:
        flag = flag_of(b.map, which)
        if flag is None:
            continue
        wanted = flag.lifted if lift else flag.value
        if same_flag(row.get(flag.column), wanted):
            outcomes.append(Outcome(rid, b.map.category, Action.UNCHANGED))
            continue
        where = b.key.where(b.table, b.ident(row))
        conn.execute(sa.update(b.table).where(where).values({flag.column: wanted}))
        fields = {flag.column: plain(wanted)}
        outcomes.append(Outcome(rid, b.map.category, action, fields=fields))
    return outcomes
