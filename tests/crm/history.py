"""A telephony CRM whose tables have no single-column key, on any database.

A landline (``+32 9 377 12 34``) was Anna's from 2015 to 2020 and is Bert's since February
2021: ``number_history`` records both assignments, keyed by ``(number, valid_from)`` (a
composite primary key, or no primary key at all with ``history_pk=False``, as many legacy
CRMs have it). ``call_notes`` hangs below a number assignment through both key columns (no
foreign-key constraint: the mapping links them). ``customer_tags`` is a link table without
any key, holding a duplicated row for Anna; ``newsletter`` is a parentless list without any
key, found by its e-mail column.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

TODAY = date(2025, 6, 1)
BASIS = "Art. 17(3)(b) GDPR; Belgian accounting law (10 years)"
LANDLINE = "+3293771234"


def tables(*, history_pk: bool) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    metadata = sa.MetaData()
    sa.Table(
        "customers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(120)),
        sa.Column("restricted", sa.Boolean, nullable=False, default=False),
    )
    sa.Table(
        "number_history",
        metadata,
        sa.Column("number", sa.String(40), nullable=False, primary_key=history_pk),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False, primary_key=history_pk),
        sa.Column("valid_to", sa.Date),
    )
    sa.Table(
        "call_notes",
        metadata,
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("note", sa.String(200)),
    )
    sa.Table(
        "invoices",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("invoice_date", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
    )
    sa.Table(
        "customer_tags",
        metadata,
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
    )
    sa.Table(
        "newsletter",
        metadata,
        sa.Column("email", sa.String(120), nullable=False),
        sa.Column("unsubscribed", sa.Boolean, nullable=False, default=False),
    )
    found = {t.name: t for t in metadata.sorted_tables}
    return metadata, found


ROWS: dict[str, list[dict[str, Any]]] = {
    "customers": [
        {"id": 1, "name": "Anna Maes", "email": "anna@example.be", "restricted": False},
        {"id": 2, "name": "Bert Smet", "email": "bert@example.be", "restricted": False},
    ],
    "number_history": [
        {
            "number": "09 377 12 34",
            "customer_id": 1,
            "valid_from": date(2015, 1, 1),
            "valid_to": date(2020, 12, 31),
        },
        {
            "number": "09 377 12 34",
            "customer_id": 2,
            "valid_from": date(2021, 2, 1),
            "valid_to": None,
        },
        {
            "number": "050 11 22 33",
            "customer_id": 1,
            "valid_from": date(2015, 1, 1),
            "valid_to": None,
        },
    ],
    "call_notes": [
        {"number": "09 377 12 34", "valid_from": date(2015, 1, 1), "note": "Anna: fax line"},
        {"number": "09 377 12 34", "valid_from": date(2021, 2, 1), "note": "Bert: new modem"},
    ],
    "invoices": [
        {
            "id": 1,
            "customer_id": 1,
            "invoice_date": date(2020, 6, 30),
            "amount": Decimal("30.00"),
        },
        {
            "id": 2,
            "customer_id": 2,
            "invoice_date": date(2024, 6, 30),
            "amount": Decimal("45.00"),
        },
    ],
    "customer_tags": [
        {"customer_id": 1, "tag": "vip"},
        {"customer_id": 1, "tag": "landline"},
        {"customer_id": 1, "tag": "landline"},  # a duplicate, as link tables without keys have
        {"customer_id": 2, "tag": "vip"},
    ],
    "newsletter": [
        {"email": "anna@example.be", "unsubscribed": False},
        {"email": "bert@example.be", "unsubscribed": False},
    ],
}

CONFIG: dict[str, Any] = {
    "root": "customers",
    "tables": {
        "customers": {
            "category": "contact",
            "identify": {"customer_id": "id", "email": "email"},
            "restricted": "restricted",
            "anonymise": {"name": {"value": "(erased)"}, "email": "null"},
        },
        "number_history": {
            "category": "contract",
            "parent": "customers",
            "foreign_key": "customer_id",
            "phone_period": {
                "number": "number",
                "valid_from": "valid_from",
                "valid_to": "valid_to",
            },
        },
        "call_notes": {
            "category": "message",
            "parent": "number_history",
            "foreign_key": ["number", "valid_from"],
        },
        "invoices": {
            "category": "invoice",
            "parent": "customers",
            "foreign_key": "customer_id",
            "erase": "keep",
            "keep_for": "10 years",
            "date_column": "invoice_date",
            "basis": BASIS,
        },
        "customer_tags": {
            "category": "marketing",
            "parent": "customers",
            "foreign_key": "customer_id",
        },
        "newsletter": {
            "category": "marketing",
            "identify": {"email": "email"},
            "opt_out": "unsubscribed",
        },
    },
}


def config(url: str, *, root: str = "customers", **tables: dict[str, Any] | None) -> dict[str, Any]:
    """The mapping for ``url``; ``tables`` replaces (or, with None, drops) tables."""
    result = copy.deepcopy(CONFIG)
    result["url"] = url
    result["root"] = root
    for name, table in tables.items():
        if table is None:
            result["tables"].pop(name, None)
        else:
            result["tables"][name] = table
    return result


def build(url: str, *, history_pk: bool) -> None:
    """Create the tables afresh at ``url`` (earlier ones dropped) and fill them."""
    metadata, found = tables(history_pk=history_pk)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            old = sa.MetaData()
            old.reflect(conn)
            old.drop_all(conn)
        metadata.create_all(engine)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                conn.execute(table.insert(), ROWS[table.name])
    finally:
        engine.dispose()


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: to compare database contents."""
    _, found = tables(history_pk=False)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: sorted((tuple(r) for r in conn.execute(sa.select(t))), key=repr)
                for name, t in found.items()
            }
    finally:
        engine.dispose()
