"""Erasure's anonymisation is irreversible: nobody holding dsr's keys can test a candidate.

Before, an "anonymised" value was ``anon-`` and an HMAC of the original under the installation
key kept in dsr's own database: with that key anyone could confirm a guessed e-mail address or
number. Now erasure tokens are keyed with a random secret made for the step and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import shutil
from datetime import date
from pathlib import Path

from dsr_core.model import Action, Identity, IdentityKind, Subject
from dsr_core.testing import make_context
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from dsr_plugins.pbx import AsteriskCsvSystem
from tests.crm import sample

KEY = b"dsr-test-key"  # the installation key make_context gives every test system
TOKEN = re.compile(r"(?:anon|pseud)-[0-9a-f]{16}")
FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "asterisk-22.10"
MOBILE_FORMS = ("+32477123456", "0477123456", "32477123456", "0032477123456", "+32 477 12 34 56")
LANDLINE_FORMS = ("+3293771234", "093771234", "003293771234", "09/377.12.34")
JAN = Subject(
    "Jan Peeters",
    (
        Identity(IdentityKind.PHONE, "+32477123456"),
        Identity(IdentityKind.PHONE, "+3293771234"),
    ),
)


def _keyed(value: str) -> str:
    """The token the old code made: what anyone with the installation key can recompute."""
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:16]


# -- sql-crm ------------------------------------------------------------------------------------
def _crm(tmp_path: Path) -> SqlCrmSystem:
    context = make_context("crm", tmp_path, today=sample.TODAY)
    return SqlCrmSystem("crm", sample.config("sqlite:///crm.sqlite3"), context)


def test_sql_crm_anonymised_email_cannot_be_tested_and_a_rerun_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    sample.build(url)
    subject = Subject("Jan Peeters", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))
    first = _crm(tmp_path)
    try:
        outcomes = {
            o.record_id: o for o in first.erase(subject, first.locate(subject), dry_run=False)
        }
    finally:
        first.close()
    assert outcomes["customers:1"].action == Action.ANONYMISED
    email = sample.row(url, sample.customers, 1)["email"]
    assert email.startswith("anon-")
    for candidate in ("Jan.Peeters@Example.BE", "jan.peeters@example.be"):
        assert _keyed(candidate) not in email, "the token must not be recomputable from the key"
    # A second run (a new step: a new context, a new random key) finds nothing more to do.
    by_id = Subject("?", (Identity(IdentityKind.CUSTOMER_ID, "1", system="crm"),))
    second = _crm(tmp_path)
    try:
        again = list(second.erase(by_id, second.locate(by_id), dry_run=False))
    finally:
        second.close()
    assert again, "the customer is still found by its id"
    assert not [o for o in again if o.action in (Action.ERASED, Action.ANONYMISED)]
    assert sample.row(url, sample.customers, 1)["email"] == email


# -- asterisk-csv on the real Asterisk 22.10 files --------------------------------------------
def _pbx(folder: Path) -> AsteriskCsvSystem:
    return AsteriskCsvSystem(
        "pbx",
        {"path": "Master.csv", "after_retention": "anonymise", "keep_calls_for": "1 day"},
        make_context("pbx", folder, today=date(2027, 6, 1)),
    )


def test_asterisk_csv_tokens_are_consistent_in_one_erasure_and_not_recomputable(tmp_path):
    folder = tmp_path / "cdr-csv"
    shutil.copytree(FIXTURES / "E-21col-all", folder)
    system = _pbx(folder)
    outcomes = list(system.erase(JAN, system.locate(JAN), dry_run=False))
    assert outcomes and {o.action for o in outcomes} == {Action.ANONYMISED}
    text = (folder / "Master.csv").read_text(encoding="utf-8")
    for form in (*MOBILE_FORMS, *LANDLINE_FORMS):
        assert form not in text
    tokens = set(TOKEN.findall(text))
    # One token per number of the subject, on every call line of this erasure.
    assert len(tokens) == 2 and all(t.startswith("anon-") for t in tokens)
    digests = {t.partition("-")[2] for t in tokens}
    assert digests.isdisjoint({_keyed(form) for form in (*MOBILE_FORMS, *LANDLINE_FORMS)})
    # Re-running (a new step) changes nothing: the numbers are gone.
    before = (folder / "Master.csv").read_bytes()
    rerun = _pbx(folder)
    assert list(rerun.erase(JAN, rerun.locate(JAN), dry_run=False)) == []
    assert (folder / "Master.csv").read_bytes() == before


def test_two_erasures_give_unrelated_tokens(tmp_path):
    first, second = make_context("x", tmp_path), make_context("x", tmp_path)
    assert first.anonymise("+32477123456") == first.anonymise("+32477123456")
    assert first.anonymise("+32477123456") != second.anonymise("+32477123456")
    assert first.pseudonymise("+32477123456") == second.pseudonymise("+32477123456")
    assert first.pseudonymise("+32477123456").startswith("pseud-")
