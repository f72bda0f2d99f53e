"""The demo's systems, built from its own dsr.toml, label every category and field they
yield in nl, en and fr (issue 12); the CRM's carrier column is a recipient."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.systems import CORE_KEYS
from dsr_core.testing import make_context
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from dsr_plugins.demo import sample
from dsr_plugins.pbx import AsteriskCsvSystem
from dsr_plugins.techdossier import FolderDossierSystem
from tests.labels import assert_labelled, field_of

TODAY = date(2026, 12, 2)
JAN = Subject(
    "Jan Peeters",
    (
        Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),
        Identity(IdentityKind.PHONE, "0477 12 34 56"),
    ),
)
TYPES = {
    "sql-crm": SqlCrmSystem,
    "asterisk-csv": AsteriskCsvSystem,
    "techdossier-folder": FolderDossierSystem,
}


def test_every_demo_system_labels_what_it_yields(tmp_path: Path) -> None:
    sample.build(tmp_path, TODAY)
    config = tomllib.loads((tmp_path / "dsr.toml").read_text(encoding="utf-8"))
    systems = {}
    for name, table in config["systems"].items():
        own = {k: v for k, v in table.items() if k not in CORE_KEYS}
        systems[name] = TYPES[table["type"]](name, own, make_context(name, tmp_path, today=TODAY))
    keys = [k for s in systems.values() for k in s.locate(JAN)]
    subject = Subject(JAN.name, (*JAN.identities, *keys))
    seen = {}
    for name, system in systems.items():
        seen[name] = assert_labelled(system, system.access(subject, system.locate(subject)))
    assert ("contact", "carrier") in seen["crm"]
    carrier = field_of(systems["crm"], "contact", "carrier")
    assert carrier.kind == "recipient" and carrier.labels["en"] == "Mobile carrier"
    assert field_of(systems["crm"], "invoice", "number").labels["nl"] == "Factuurnummer"
    assert field_of(systems["crm"], "invoice", "amount").kind == "amount"
    assert ("call", "counterpart") in seen["pbx"]
    assert systems["pbx"].titles["nl"] == "Telefonie"
