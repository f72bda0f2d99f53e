"""``active_contract`` in ``sql-crm``: does a located customer's contract still run?

The mapping names a column of the root table (true while the contract runs) or an SQL
boolean expression over the root table's row, written with the table's name, e.g.::

    active_contract = '''EXISTS (SELECT 1 FROM contracts
        WHERE contracts.customer_id = customers.id
        AND (contracts.end_date IS NULL OR contracts.end_date >= CURRENT_DATE))'''

The expression is the administrator's own SQL from ``dsr.toml`` (like the URL), never a value
from a request; it is asked read-only, for the customers ``locate`` found.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .database import Bound
from .mapping import CrmMapping
from .rowkeys import Ident

CHUNK = 500


def _test(mapping: CrmMapping, root: Bound) -> Any:
    column = mapping.active_column
    if column is not None:
        return root.col(column).is_(sa.true())
    return sa.literal_column(f"({mapping.active_contract})", sa.Boolean)


def active(
    conn: Connection, mapping: CrmMapping, bound: Mapping[str, Bound], customers: Collection[Ident]
) -> bool | None:
    """True when one of ``customers`` (idents of the root table) has an active contract;
    None when the mapping does not say how to tell."""
    if mapping.active_contract is None:
        return None
    root = bound[mapping.root]
    idents = list(customers)
    for start in range(0, len(idents), CHUNK):
        chunk = idents[start : start + CHUNK]
        stmt = (
            sa.select(sa.literal(1))
            .select_from(root.table)
            .where(root.key.where_any(root.table, chunk), _test(mapping, root))
            .limit(1)
        )
        if conn.execute(stmt).first() is not None:
            return True
    return False


def problem(conn: Connection, mapping: CrmMapping, bound: Mapping[str, Bound]) -> str | None:
    """The database's refusal of the expression, in one line (None: it runs)."""
    if mapping.active_contract is None or mapping.active_column is not None:
        return None
    root = bound[mapping.root]
    stmt = sa.select(sa.literal(1)).select_from(root.table).where(_test(mapping, root)).limit(0)
    try:
        with conn.begin_nested():
            conn.execute(stmt)
    except sa.exc.DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return f"systems.{mapping.system}.active_contract: the database refused it: {first}"
    return None
