"""One realistic installation of Voxtra bvba, built for the end-to-end tests.

- a CRM on PostgreSQL: customers (private people and the company Peeters Bouw BV), the
  company's contact persons, invoices, and ``number_history(number, customer_id, valid_from,
  valid_to)`` whose primary key is ``(number, valid_from)``: the landline 09 377 12 34 belonged
  to Marc De Vos until 30 November 2026 and is Jan Peeters' from 1 December 2026;
- the Asterisk 22.10 call log ``A-18col-gmt`` (``Master.csv`` with ``ACME.csv`` and
  ``cust 42.csv`` beside it) copied as it is from ``../shared/fixtures``; every call in it
  was made on 2 December 2026, so all landline calls fall in Jan's period;
- technical dossiers: Jan's (1001), the company's with the colleague's mailbox (1002) and the
  previous holder's (1003);
- ``dsr.toml`` wiring them to the built-in ``sql-crm``, ``asterisk-csv`` and
  ``techdossier-folder`` types, notices written to a file outbox.

The subject, Jan Peeters, is a private customer (1001) *and* the contact person of Peeters Bouw
BV (contact 501), reached on his mobile 0477 12 34 56 in both rows.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "asterisk-22.10"
CALL_LOG = FIXTURES / "A-18col-gmt"
SCENARIOS = FIXTURES / "scenarios.py"

#: The call log's mode: Asterisk (its own user) writes it, staff's group reads it.
CALL_LOG_MODE = 0o640

JAN = 1001
COMPANY = 1002
MARC = 1003  # the landline's previous holder
BAKERY = 1004  # a customer who is the other party of many of Jan's calls
JAN_CONTACT = 501
COLLEAGUE = 502

JAN_EMAIL = "jan.peeters@example.be"
JAN_WORK_EMAIL = "jan@peetersbouw.be"
JAN_MOBILE = "0477 12 34 56"
LANDLINE = "09 377 12 34"
COLLEAGUE_PHONE = "0486 55 44 33"
MARC_EMAIL = "marc.devos@example.be"

SCHEMA = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT UNIQUE,
    phone TEXT,
    street TEXT,
    city TEXT,
    vat TEXT,
    marketing_opt_out BOOLEAN NOT NULL DEFAULT false,
    restricted BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    job_title TEXT,
    wants_newsletter BOOLEAN NOT NULL DEFAULT true,
    restricted BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    number TEXT NOT NULL UNIQUE,
    invoice_date DATE NOT NULL,
    amount NUMERIC(10, 2) NOT NULL
);
CREATE TABLE number_history (
    number TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    valid_from DATE NOT NULL,
    valid_to DATE,
    PRIMARY KEY (number, valid_from)
);
"""

CUSTOMERS: list[dict[str, Any]] = [
    dict(id=JAN, kind="private", name="Jan Peeters", email=JAN_EMAIL, phone=JAN_MOBILE,
         street="Kerkstraat 12", city="9000 Gent", vat=None),
    dict(id=COMPANY, kind="company", name="Peeters Bouw BV", email="info@peetersbouw.be",
         phone="09 222 33 44", street="Industrieweg 5", city="9031 Drongen",
         vat="BE0456.789.123"),
    dict(id=MARC, kind="private", name="Marc De Vos", email=MARC_EMAIL, phone="0470 99 88 77",
         street="Molenstraat 3", city="9050 Gentbrugge", vat=None),
    dict(id=BAKERY, kind="company", name="Bakkerij Janssens", email="info@bakkerij-janssens.be",
         phone="02 555 12 34", street="Markt 1", city="1000 Brussel", vat="BE0111.222.333"),
]  # fmt: skip
CONTACTS: list[dict[str, Any]] = [
    dict(id=JAN_CONTACT, customer_id=COMPANY, name="Jan Peeters", email=JAN_WORK_EMAIL,
         phone=JAN_MOBILE, job_title="zaakvoerder"),
    dict(id=COLLEAGUE, customer_id=COMPANY, name="Sarah Claes", email="sarah@peetersbouw.be",
         phone=COLLEAGUE_PHONE, job_title="boekhouding"),
]  # fmt: skip
INVOICES: list[dict[str, Any]] = [
    dict(id=1, customer_id=JAN, number="F2019-0031", invoice_date="2019-03-31", amount="49.95"),
    dict(id=2, customer_id=JAN, number="F2026-0412", invoice_date="2026-10-31", amount="64.20"),
    dict(id=3, customer_id=COMPANY, number="F2025-0977", invoice_date="2025-12-31",
         amount="1250.00"),
    dict(id=4, customer_id=COMPANY, number="F2026-0413", invoice_date="2026-10-31",
         amount="310.50"),
    dict(id=5, customer_id=MARC, number="F2026-0300", invoice_date="2026-08-31", amount="38.00"),
    dict(id=6, customer_id=BAKERY, number="F2026-0350", invoice_date="2026-09-30",
         amount="99.00"),
]  # fmt: skip
NUMBER_HISTORY: list[dict[str, Any]] = [
    # the landline: Marc's until 30 November 2026, Jan's from the next day (same number twice:
    # only (number, valid_from) tells the rows apart)
    dict(number=LANDLINE, customer_id=MARC, valid_from="2012-03-01", valid_to="2026-11-30"),
    dict(number=LANDLINE, customer_id=JAN, valid_from="2026-12-01", valid_to=None),
    dict(number=JAN_MOBILE, customer_id=JAN, valid_from="2015-04-01", valid_to=None),
    dict(number="0470 99 88 77", customer_id=MARC, valid_from="2018-06-15", valid_to=None),
    dict(number="09 222 33 44", customer_id=COMPANY, valid_from="2010-01-01", valid_to=None),
]

CONFIG = """
[controller]
name = "Voxtra bvba"
email = "privacy@voxtra.example"
address = "Industrieweg 12, 9000 Gent"
country = "BE"
timezone = "Europe/Brussels"
language = "en"

[notices]
transport = "file"
outbox = "outbox"

[systems.crm]
type = "sql-crm"
url = "${CRM_DATABASE_URL}"
root = "customers"

[systems.crm.tables.customers]
category = "contact"
identify = { customer_id = "id", email = "email", phone = "phone", vat = "vat" }
provided = ["name", "email", "phone", "street", "city", "vat"]
opt_out = "marketing_opt_out"
restricted = "restricted"
erase = "delete"

[systems.crm.tables.customers.anonymise]
name = { value = "(erased)" }
email = "hash"
phone = "null"
street = "null"
city = "null"
vat = "null"

[systems.crm.tables.contacts]
category = "contact"
parent = "customers"
foreign_key = "customer_id"
identify = { email = "email", phone = "phone" }
scope = "self"
provided = ["name", "email", "phone"]
opt_out = { column = "wants_newsletter", value = false }
restricted = "restricted"

[systems.crm.tables.invoices]
category = "invoice"
parent = "customers"
foreign_key = "customer_id"
erase = "keep"
keep_for = "10 years"
date_column = "invoice_date"
basis = "Art. 17(3)(b) GDPR; Belgian accounting law (10 years)"

[systems.crm.tables.number_history]
category = "contract"
parent = "customers"
foreign_key = "customer_id"
key = ["number", "valid_from"]
phone_period = { number = "number", valid_from = "valid_from", valid_to = "valid_to" }

[systems.pbx]
type = "asterisk-csv"
path = "pbx/Master.csv"
timezone = "UTC"                 # the fixture was written with usegmtime=yes
after_retention = "delete"
instructions = "A call log is not corrected or restricted: see the CRM."

[systems.dossier]
type = "techdossier-folder"
root = "dossiers"
customer_id_from = "crm"
"""

DOSSIERS: dict[str, dict[str, str]] = {
    str(JAN): {
        "subject.toml": (
            f'name = "Jan Peeters"\nemails = ["{JAN_EMAIL}"]\nphones = ["{JAN_MOBILE}"]\n'
        ),
        "notes/2026-11-04-visit.md": (
            "# Visit at home\n\nNew Fritz!Box installed, Wi-Fi moved to the attic.\n"
        ),
        "assets.toml": '[[asset]]\nid = "router"\nname = "Fritz!Box 7590"\nserial = "FB7590X1"\n',
        "credentials.toml": (
            '[[credential]]\nid = "wifi"\nname = "Home Wi-Fi"\nwifi_psk = "Kerk12-thuis!"\n'
        ),
    },
    str(COMPANY): {
        "subject.toml": (
            'name = "Peeters Bouw BV"\nemails = ["info@peetersbouw.be"]\n'
            'phones = ["09 222 33 44"]\n'
        ),
        "notes/network.md": "# Office network\n\nFortigate 40F, VLAN 20 for the yard cameras.\n",
        "credentials.toml": (
            '[[credential]]\nid = "sarah-mail"\nname = "Mailbox Sarah Claes"\n'
            'username = "sarah@peetersbouw.be"\npassword = "Boekhouding-2026"\n'
        ),
    },
    str(MARC): {
        "subject.toml": f'name = "Marc De Vos"\nemails = ["{MARC_EMAIL}"]\n',
        "notes/intake.md": "# Intake\n\nOld landline moved to a mobile subscription.\n",
    },
}


@dataclass(frozen=True)
class Installation:
    folder: Path
    config: Path
    crm_url: str
    master: Path
    dossiers: Path
    outbox: Path

    @property
    def pbx(self) -> Path:
        return self.master.parent


def build_crm(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.exec_driver_sql(statement)
            for table, rows in (
                ("customers", CUSTOMERS),
                ("contacts", CONTACTS),
                ("invoices", INVOICES),
                ("number_history", NUMBER_HISTORY),
            ):
                cols = list(rows[0])
                conn.execute(
                    sa.text(
                        f"INSERT INTO {table} ({', '.join(cols)}) "
                        f"VALUES ({', '.join(_param(table, c) for c in cols)})"
                    ),
                    rows,
                )
    finally:
        engine.dispose()


def _param(table: str, column: str) -> str:
    if column in ("invoice_date", "valid_from", "valid_to"):
        return f"CAST(:{column} AS DATE)"
    if column == "amount":
        return f"CAST(:{column} AS NUMERIC)"
    return f":{column}"


def build(folder: Path, crm_url: str) -> Installation:
    """Write the installation into ``folder`` with the CRM at ``crm_url`` (empty database)."""
    build_crm(crm_url)
    assert (CALL_LOG / "Master.csv").is_file(), f"the Asterisk fixture is missing: {CALL_LOG}"
    pbx = folder / "pbx"
    pbx.mkdir(parents=True)
    for source in sorted(CALL_LOG.glob("*.csv")):
        shutil.copyfile(source, pbx / source.name)  # as it is: no edit, no re-encoding
        (pbx / source.name).chmod(CALL_LOG_MODE)
    dossiers = folder / "dossiers"
    for customer_id, files in DOSSIERS.items():
        for name, text in files.items():
            path = dossiers / customer_id / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    config = folder / "dsr.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return Installation(
        folder=folder,
        config=config,
        crm_url=crm_url,
        master=pbx / "Master.csv",
        dossiers=dossiers,
        outbox=folder / "outbox",
    )


# -- what a user would look at -----------------------------------------------------------------


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every CRM table, as plain values, ordered by the primary key."""
    order = {
        "customers": "id",
        "contacts": "id",
        "invoices": "id",
        "number_history": "number, valid_from",
    }
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: [
                    {k: _plain(v) for k, v in row._mapping.items()}
                    for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {key}"))
                ]
                for table, key in order.items()
            }
    finally:
        engine.dispose()


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is not None and type(value).__name__ == "Decimal":
        return str(value)
    return value


def rows_of(tables: dict[str, list[dict[str, Any]]], table: str, **where: Any) -> list[dict]:
    return [r for r in tables[table] if all(r[k] == v for k, v in where.items())]


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
