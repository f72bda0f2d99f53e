"""The sample controller ``dsr demo`` builds: Voxtra bvba, an IT and telephony provider.

Everything is written into one folder: a CRM (SQLite, twenty customers with their numbers,
contracts and invoices), an Asterisk call log (``Master.csv``), a technical dossier per customer
(notes, assets, credentials), and ``dsr.toml`` wiring them to the real built-in system types.
Dates are relative to the day the demo runs, so retention periods always have something to keep
and something to erase.
"""

from __future__ import annotations

import os
import random
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

MARKER = ".dsr-demo"
#: The one customer whose contract has ended (the demo's erasure request).
ENDED = 1002

FIRST = [
    "Jan",
    "An",
    "Bart",
    "Els",
    "Koen",
    "Lien",
    "Pieter",
    "Sofie",
    "Tom",
    "Griet",
    "Wim",
    "Ann",
    "Dirk",
    "Katrien",
    "Luc",
    "Nele",
    "Stijn",
    "Hilde",
    "Jens",
    "Marieke",
]
LAST = [
    "Peeters",
    "Claes",
    "Wouters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Goossens",
    "De Smet",
    "Dubois",
    "Lambert",
    "Vermeulen",
    "Hermans",
    "Aerts",
    "Desmet",
    "Pauwels",
    "Verhoeven",
    "Michiels",
    "Coppens",
]
CITIES = ["Gent", "Antwerpen", "Brugge", "Leuven", "Aalst", "Mechelen", "Kortrijk", "Hasselt"]


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    email: str
    mobile: str  # as the CRM holds it: national format with spaces
    city: str


def customers() -> list[Customer]:
    out = []
    for i in range(20):
        name = f"{FIRST[i]} {LAST[i]}"
        email = f"{FIRST[i].lower()}.{LAST[i].lower().replace(' ', '')}@example.be"
        mobile = f"04{77 + i % 20:02d} {12 + i:02d} {34 + i:02d} {56 + i:02d}"
        out.append(Customer(1001 + i, name, email, mobile, CITIES[i % len(CITIES)]))
    return out


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))


def build_crm(path: Path, today: date, people: list[Customer]) -> None:
    """A small CRM: customers, their numbers over time, contracts and invoices."""
    _private_file(path)
    db = sqlite3.connect(path)
    db.executescript(
        """
        PRAGMA foreign_keys = ON;
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, phone TEXT,
            street TEXT, city TEXT, vat TEXT, carrier TEXT,
            marketing_opt_out BOOLEAN NOT NULL DEFAULT 0,
            restricted BOOLEAN NOT NULL DEFAULT 0);
        CREATE TABLE phone_numbers (
            id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
            number TEXT NOT NULL, assigned_from DATE NOT NULL, assigned_to DATE);
        CREATE TABLE contracts (
            id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
            product TEXT NOT NULL, start_date DATE NOT NULL, end_date DATE);
        CREATE TABLE invoices (
            id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
            number TEXT NOT NULL, invoice_date DATE NOT NULL, amount NUMERIC NOT NULL);
        CREATE INDEX ix_customers_email ON customers(email);
        """
    )
    rng = random.Random(42)
    invoice_no = 1
    for c in people:
        db.execute(
            "INSERT INTO customers (id, name, email, phone, street, city, vat, carrier) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                c.id,
                c.name,
                c.email,
                c.mobile,
                f"Kerkstraat {c.id % 97}",
                c.city,
                f"BE0{c.id}{c.id % 1000:03d}" if c.id % 3 == 0 else None,
                "BelTel Wholesale" if c.id % 2 == 0 else "Numa Mobile",
            ),
        )
        db.execute(
            "INSERT INTO contracts (customer_id, product, start_date, end_date) "
            "VALUES (?, ?, ?, ?)",
            (
                c.id,
                rng.choice(["Managed IT Basic", "Hosted PBX 5 users", "Mobile 20 GB"]),
                (today - timedelta(days=900 + c.id % 300)).isoformat(),
                # An Claes (1002), who asks for erasure, left two months ago; others run on
                (today - timedelta(days=60)).isoformat() if c.id == ENDED else None,
            ),
        )
        for months_ago in (2, 14, 40, 130, 140):
            db.execute(
                "INSERT INTO invoices (customer_id, number, invoice_date, amount) "
                "VALUES (?, ?, ?, ?)",
                (
                    c.id,
                    f"F{invoice_no:06d}",
                    (today - timedelta(days=30 * months_ago)).isoformat(),
                    f"{rng.randint(25, 400)}.{rng.randint(0, 99):02d}",
                ),
            )
            invoice_no += 1
    # numbers over time: An Claes (1002) had 0486 11 22 33 until it went to Bart Wouters (1003)
    recycled = "0486 11 22 33"
    handover = today - timedelta(days=200)
    for c in people:
        db.execute(
            "INSERT INTO phone_numbers (customer_id, number, assigned_from, assigned_to) "
            "VALUES (?, ?, ?, NULL)",
            (c.id, c.mobile, (today - timedelta(days=1200)).isoformat()),
        )
    db.execute(
        "INSERT INTO phone_numbers (customer_id, number, assigned_from, assigned_to) "
        "VALUES (1002, ?, ?, ?)",
        (
            recycled,
            (today - timedelta(days=1100)).isoformat(),
            (handover - timedelta(days=30)).isoformat(),
        ),
    )
    db.execute(
        "INSERT INTO phone_numbers (customer_id, number, assigned_from, assigned_to) "
        "VALUES (1003, ?, ?, NULL)",
        (recycled, handover.isoformat()),
    )
    db.commit()
    db.close()


def _csv_field(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace('"', '""') + '"'


def _cdr_line(
    src: str, dst: str, name: str, start: datetime, billsec: int, uid: int, answered: bool
) -> str:
    answer = start + timedelta(seconds=3) if answered else None
    end = (answer or start) + timedelta(seconds=billsec if answered else 20)
    duration = int((end - start).total_seconds())
    fmt = "%Y-%m-%d %H:%M:%S"
    fields: list[str | int] = [
        "voxtra",
        src,
        dst,
        "from-internal",
        f'"{name}" <{src}>',
        "PJSIP/trunk-0000a1",
        "PJSIP/ext-0000b2",
        "Dial",
        f"PJSIP/{dst}@trunk,60",
        start.strftime(fmt),
        answer.strftime(fmt) if answer else "",
        end.strftime(fmt),
        duration,
        billsec if answered else 0,
        "ANSWERED" if answered else "NO ANSWER",
        "DOCUMENTATION",
        f"{int(start.timestamp())}.{uid}",
        "",
        "",
        f"{int(start.timestamp())}.{uid}",
        uid,
    ]
    return ",".join(_csv_field(f) for f in fields) + "\n"


def build_pbx(path: Path, today: date, people: list[Customer]) -> int:
    """An Asterisk ``Master.csv`` over the past two years; returns the number of lines."""
    _private_file(path)
    rng = random.Random(7)
    helpdesk = "092345678"
    start_day = datetime.combine(today - timedelta(days=730), datetime.min.time())
    lines = []
    uid = 1
    recycled_an = "0486112233"
    handover = today - timedelta(days=200)
    for day in range(0, 730, 3):
        moment = start_day + timedelta(days=day, hours=9 + day % 8, minutes=day % 60)
        for c in rng.sample(people, 3):
            number = c.mobile.replace(" ", "")
            # numbers appear in the forms real trunks write them
            written = rng.choice([number, "0032" + number[1:], "+32" + number[1:]])
            if rng.random() < 0.5:
                lines.append(
                    _cdr_line(written, helpdesk, c.name, moment, rng.randint(20, 900), uid, True)
                )
            else:
                lines.append(
                    _cdr_line(
                        helpdesk,
                        written,
                        "Voxtra helpdesk",
                        moment,
                        rng.randint(10, 600),
                        uid,
                        rng.random() < 0.8,
                    )
                )
            uid += 1
            moment += timedelta(minutes=17)
        if day % 9 == 0:  # the recycled number: An's calls before the handover, Bart's after
            who = "An Claes" if moment.date() < handover else "Bart Wouters"
            lines.append(
                _cdr_line(recycled_an, helpdesk, who, moment, rng.randint(30, 300), uid, True)
            )
            uid += 1
    lines.insert(len(lines) // 2, '"voxtra","0477","092345678","from-internal"\n')  # truncated
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.writelines(lines)
    return len(lines)


def build_dossiers(root: Path, people: list[Customer]) -> None:
    """One folder per customer id: notes, assets and credentials."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for c in people[:6]:
        folder = root / str(c.id)
        (folder / "notes").mkdir(parents=True, exist_ok=True, mode=0o700)
        (folder / "notes" / "intake.md").write_text(
            f"# Intake {c.name}\n\nKantoor in {c.city}. Printer: Brother MFC-L2710DW.\n"
            "Back-up naar NAS elke nacht om 02:00.\n",
            encoding="utf-8",
        )
        (folder / "assets.toml").write_text(
            '[[asset]]\nid = "nas-01"\nname = "Synology DS220+"\nserial = "2080PCN12345"\n'
            '\n[[asset]]\nid = "fw-01"\nname = "Fortigate 40F"\nadmin_password = "Fw!2024-demo"\n',
            encoding="utf-8",
        )
        (folder / "credentials.toml").write_text(
            f'[[credential]]\nid = "mail"\nname = "Mailbox"\nusername = "{c.email}"\n'
            'password = "Zomer2024!demo"\nurl = "https://outlook.office.com"\n',
            encoding="utf-8",
        )


CONFIG = """# dsr demo: a sample controller built by `dsr demo`. Safe to edit and to run again.

[controller]
name = "Voxtra bvba"
email = "privacy@voxtra.example"
address = "Industrieweg 12, 9000 Gent"
country = "BE"
timezone = "Europe/Brussels"
language = "nl"
technical_staff = ["demo-tech"]

[store]
url = "sqlite:///dsr.sqlite3"   # the demo's own database, beside this file

[notices]
transport = "file"
outbox = "outbox"

[systems.crm]
type = "sql-crm"
url = "sqlite:///crm.sqlite3"
root = "customers"
# while this holds, an erasure waits for staff (dsr request run ID --confirm-active)
active_contract = '''EXISTS (SELECT 1 FROM contracts WHERE contracts.customer_id = customers.id
  AND (contracts.end_date IS NULL OR contracts.end_date >= CURRENT_DATE))'''
purposes = ["Klantenbeheer, facturatie en support"]
legal_basis = ["Uitvoering van de overeenkomst (art. 6.1.b AVG)",
               "Wettelijke verplichting: boekhouding (art. 6.1.c AVG)"]
retention = ["Klantgegevens: duur van de overeenkomst",
             "Facturen: zolang de boekhoudwet het vereist, 7 jaar (art. III.86 WER)"]
source = ["De klant zelf, bij het sluiten van de overeenkomst"]

[systems.crm.tables.customers]
category = "contact"
identify = { customer_id = "id", email = "email", phone = "phone", vat = "vat" }
provided = ["name", "email", "phone", "street", "city", "vat"]
opt_out = "marketing_opt_out"
restricted = "restricted"
erase = "delete"

# the carrier receives the customer's number to route their calls: a recipient (Art. 19 AVG)
[systems.crm.tables.customers.fields.carrier]
kind = "recipient"
nl = "Mobiele operator"
en = "Mobile carrier"
fr = "Opérateur mobile"

[systems.crm.tables.customers.anonymise]
name = { value = "(gewist)" }
email = "hash"
phone = "null"
street = "null"
city = "null"
vat = "null"

[systems.crm.tables.phone_numbers]
category = "contract"
parent = "customers"
foreign_key = "customer_id"
phone_period = { number = "number", valid_from = "assigned_from", valid_to = "assigned_to" }

[systems.crm.tables.contracts]
category = "contract"
parent = "customers"
foreign_key = "customer_id"

[systems.crm.tables.invoices]
category = "invoice"
parent = "customers"
foreign_key = "customer_id"
erase = "keep"
keep_for = "7 years"
date_column = "invoice_date"
basis = "Art. 17(3)(b) AVG; boekhoudwet: 7 jaar (art. III.86 WER)"
fields = { number = { nl = "Factuurnummer", en = "Invoice number", fr = "Numéro de facture" } }

[systems.pbx]
type = "asterisk-csv"
path = "pbx/Master.csv"
keep_calls_for = "12 months"
retention_basis = "Art. 17(3)(b) AVG; facturatie van telefonie (12 maanden)"
after_retention = "delete"
purposes = ["Telefonie: gesprekken doorschakelen en factureren"]
legal_basis = ["Uitvoering van de overeenkomst (art. 6.1.b AVG)"]
retention = ["Oproepgegevens: 12 maanden voor facturatie"]
source = ["Gegenereerd door uw gebruik van onze telefoniedienst"]

[systems.pbx.instructions]
rectification = "Een oproeplog wordt niet verbeterd: pas de klantgegevens in het CRM aan."
restriction = "Zet het nummer op de lijst 'beperkt' in de telefooncentrale: de oproepen blijven \
bewaard voor de facturatie, maar worden niet meer gebruikt voor rapporten."
objection = "Oproepgegevens worden niet gebruikt voor direct marketing: niets te doen."

[systems.dossier]
type = "techdossier-folder"
root = "dossiers"
customer_id_from = "crm"
on_termination = "erase"   # the privacy statement: gone at once when the contract ends
purposes = ["Technisch beheer van uw IT-omgeving"]
legal_basis = ["Uitvoering van de overeenkomst (art. 6.1.b AVG)"]
retention = ["Tot het einde van de overeenkomst; daarna onmiddellijk gewist"]
source = ["Onze technici, bij interventies"]

[systems.dossier.instructions]
rectification = "Verbeter de gegevens in de map van de klant onder dossiers/ (contact.json)."
restriction = "Zet in de map van de klant een bestand BEPERKT met de datum: technici werken \
het dossier dan enkel nog bij op vraag van de klant."
objection = "Technische dossiers worden niet gebruikt voor direct marketing: niets te doen."
"""


def build(folder: Path, today: date) -> dict[str, object]:
    """Write the sample controller into ``folder``; returns what was made."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / MARKER).write_text("made by dsr demo\n", encoding="utf-8")
    people = customers()
    build_crm(folder / "crm.sqlite3", today, people)
    calls = build_pbx(folder / "pbx" / "Master.csv", today, people)
    build_dossiers(folder / "dossiers", people)
    config = folder / "dsr.toml"
    _private_file(config)
    config.write_text(CONFIG, encoding="utf-8")
    return {"customers": len(people), "calls": calls, "config": config}
