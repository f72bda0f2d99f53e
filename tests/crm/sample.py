"""A small sample CRM, built with SQLAlchemy Core on any database, and its ``sql-crm`` mapping.

Customers (a private customer, a company with two contacts, a customer holding a recycled
number), phone-number assignments with periods, contracts with lines (child of a child),
invoices older and newer than ten years, a newsletter list that is no child of anything, and
``support_tickets``: a table with a real foreign key to ``contracts`` that the mapping leaves
out, so deleting a ticketed contract is refused by the database.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

TODAY = date(2025, 6, 1)
BASIS = "Art. 17(3)(b) GDPR; Belgian accounting law (WIB 92 art. 315, 10 years)"

metadata = sa.MetaData()
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("email", sa.String(120), unique=True),
    sa.Column("phone", sa.String(40)),
    sa.Column("vat", sa.String(30)),
    sa.Column("street", sa.String(100)),
    sa.Column("city", sa.String(60)),
    sa.Column("is_company", sa.Boolean, nullable=False, default=False),
    sa.Column("marketing_opt_out", sa.Boolean, nullable=False, default=False),
    sa.Column("restricted", sa.Boolean, nullable=False, default=False),
    sa.Column("password_hash", sa.String(100)),
    sa.Column("created_on", sa.Date),
)
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("email", sa.String(120)),
    sa.Column("phone", sa.String(40)),
    sa.Column("newsletter", sa.Boolean, nullable=False, default=True),
)
phone_numbers = sa.Table(
    "phone_numbers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("number", sa.String(40), nullable=False),
    sa.Column("assigned_from", sa.Date, nullable=False),
    sa.Column("assigned_to", sa.Date),
)
contracts = sa.Table(
    "contracts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("product", sa.String(60), nullable=False),
    sa.Column("started_on", sa.Date),
    sa.Column("monthly_fee", sa.Numeric(10, 2)),
)
contract_lines = sa.Table(
    "contract_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
    sa.Column("description", sa.String(100)),
    sa.Column("quantity", sa.Integer),
)
invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
)
newsletter = sa.Table(
    "newsletter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(120), nullable=False),
    sa.Column("unsubscribed", sa.Boolean, nullable=False, default=False),
)
support_tickets = sa.Table(
    "support_tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
    sa.Column("summary", sa.String(100)),
)

ROWS: dict[sa.Table, list[dict[str, Any]]] = {
    customers: [
        {
            "id": 1,
            "name": "Jan Peeters",
            "email": "Jan.Peeters@Example.BE",
            "phone": "0477 12 34 56",
            "vat": None,
            "street": "Kerkstraat 1",
            "city": "Gent",
            "is_company": False,
            "marketing_opt_out": False,
            "restricted": False,
            "password_hash": "pbkdf2$600000$c2FsdA$aGFzaA",
            "created_on": date(2010, 3, 1),
        },
        {
            "id": 2,
            "name": "Acme bv",
            "email": "info@acme.be",
            "phone": "+32 2 511 22 33",
            "vat": "BE 0123.456.749",
            "street": "Industrieweg 5",
            "city": "Aalst",
            "is_company": True,
            "marketing_opt_out": False,
            "restricted": False,
            "password_hash": None,
            "created_on": date(2018, 1, 1),
        },
        {
            "id": 3,
            "name": "Els Wouters",
            "email": "els@example.org",
            "phone": "09 377 12 34",
            "vat": None,
            "street": "Dorp 3",
            "city": "Lokeren",
            "is_company": False,
            "marketing_opt_out": True,
            "restricted": False,
            "password_hash": None,
            "created_on": date(2016, 6, 1),
        },
    ],
    contacts: [
        {
            "id": 1,
            "customer_id": 2,
            "name": "An Claes",
            "email": "An.Claes@Acme.be",
            "phone": "0498 76 54 32",
            "newsletter": True,
        },
        {
            "id": 2,
            "customer_id": 2,
            "name": "Piet Janssens",
            "email": "piet@acme.be",
            "phone": "0032 468 11 22 33",
            "newsletter": True,
        },
    ],
    phone_numbers: [
        {
            "id": 1,
            "customer_id": 1,
            "number": "+32 477 12 34 56",
            "assigned_from": date(2016, 1, 1),
            "assigned_to": None,
        },
        {
            "id": 2,
            "customer_id": 1,
            "number": "09/377.12.34",
            "assigned_from": date(2010, 3, 1),
            "assigned_to": date(2015, 12, 31),
        },
        {
            "id": 3,
            "customer_id": 2,
            "number": "025112233",
            "assigned_from": date(2018, 1, 1),
            "assigned_to": None,
        },
        {
            "id": 4,
            "customer_id": 3,
            "number": "093771234",
            "assigned_from": date(2016, 6, 1),
            "assigned_to": None,
        },
    ],
    contracts: [
        {
            "id": 1,
            "customer_id": 1,
            "product": "Hosted PBX",
            "started_on": date(2016, 1, 1),
            "monthly_fee": Decimal("49.95"),
        },
        {
            "id": 2,
            "customer_id": 1,
            "product": "Managed IT",
            "started_on": date(2019, 5, 1),
            "monthly_fee": Decimal("120.00"),
        },
        {
            "id": 3,
            "customer_id": 2,
            "product": "Hosted PBX",
            "started_on": date(2018, 1, 1),
            "monthly_fee": Decimal("199.00"),
        },
    ],
    contract_lines: [
        {"id": 1, "contract_id": 1, "description": "extension", "quantity": 3},
        {"id": 2, "contract_id": 2, "description": "laptop support", "quantity": 2},
        {"id": 3, "contract_id": 3, "description": "extension", "quantity": 12},
    ],
    invoices: [
        {
            "id": 1,
            "customer_id": 1,
            "number": "F2013-001",
            "invoice_date": date(2013, 2, 15),
            "amount": Decimal("100.00"),
        },
        {
            "id": 2,
            "customer_id": 1,
            "number": "F2020-017",
            "invoice_date": date(2020, 3, 31),
            "amount": Decimal("149.85"),
        },
        {
            "id": 3,
            "customer_id": 1,
            "number": "F2024-101",
            "invoice_date": date(2024, 11, 30),
            "amount": Decimal("169.95"),
        },
        {
            "id": 4,
            "customer_id": 2,
            "number": "F2023-050",
            "invoice_date": date(2023, 6, 30),
            "amount": Decimal("1200.00"),
        },
    ],
    newsletter: [
        {"id": 1, "email": "jan.peeters@example.be", "unsubscribed": False},
        {"id": 2, "email": "someone@else.be", "unsubscribed": False},
    ],
    support_tickets: [{"id": 1, "contract_id": 2, "summary": "printer on floor 2"}],
}

CONFIG: dict[str, Any] = {
    "root": "customers",
    "tables": {
        "customers": {
            "category": "contact",
            "key": "id",
            "identify": {"customer_id": "id", "email": "email", "phone": "phone", "vat": "vat"},
            "provided": ["name", "email", "phone", "street", "city"],
            "secret": ["password_hash"],
            "opt_out": "marketing_opt_out",
            "restricted": "restricted",
            "erase": "delete",
            "anonymise": {
                "name": {"value": "(erased)"},
                "email": "hash",
                "phone": "null",
                "vat": "null",
                "street": "null",
                "city": "null",
                "password_hash": "null",
            },
        },
        "contacts": {
            "category": "contact",
            "parent": "customers",
            "foreign_key": "customer_id",
            "identify": {"email": "email", "phone": "phone"},
            "provided": ["name", "email", "phone"],
            "opt_out": {"column": "newsletter", "value": False},
        },
        "phone_numbers": {
            "category": "contract",
            "parent": "customers",
            "foreign_key": "customer_id",
            "phone_period": {
                "number": "number",
                "valid_from": "assigned_from",
                "valid_to": "assigned_to",
            },
            "erase": "delete",
        },
        "contracts": {"category": "contract", "parent": "customers", "foreign_key": "customer_id"},
        "contract_lines": {
            "category": "product",
            "parent": "contracts",
            "foreign_key": "contract_id",
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
        "newsletter": {
            "category": "marketing",
            "identify": {"email": "email"},
            "opt_out": "unsubscribed",
        },
    },
}


def config(url: str, **tables: dict[str, Any] | None) -> dict[str, Any]:
    """The sample mapping for ``url``; ``tables`` replaces (or, with None, drops) tables."""
    result = copy.deepcopy(CONFIG)
    result["url"] = url
    for name, table in tables.items():
        if table is None:
            result["tables"].pop(name, None)
        else:
            result["tables"][name] = table
    return result


def build(url: str, *, schema: bool = True) -> None:
    """Fill the database at ``url`` with the sample rows (any earlier rows removed); with
    ``schema``, create the tables first."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _foreign_keys)
    try:
        if schema:
            metadata.create_all(engine)
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
            for table in metadata.sorted_tables:
                conn.execute(table.insert(), ROWS[table])
    finally:
        engine.dispose()


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every sample table, in key order: to compare database contents."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(t.c.id))]
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def row(url: str, table: sa.Table, key: int) -> dict[str, Any] | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.select(table).where(table.c.id == key)).mappings().first()
            return dict(found) if found else None
    finally:
        engine.dispose()


def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")
