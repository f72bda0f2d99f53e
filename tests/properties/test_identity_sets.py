"""Every system type fed random identity sets (issue 10).

A subject's identities come from the request and from every system's ``locate``: the same
number given without a period and found with one, twice, with overlapping, adjacent, open or
even inverted periods (bad source data), e-mail addresses in any case, names, customer ids
qualified for this system or another, extensions. No system may fail on any such set, and a
PBX matches what its documentation says:

    a call is the subject's iff its day lies in the union of the periods of the identities
    whose number is on the call (an identity without a period covers every day), or it holds
    an extension the config maps to one of the subject's customer ids, within both periods.

Each system's data is built once per module; ``locate`` runs twice (as the engine does, with
what the first round found), then ``access`` and a dry-run ``erase``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_core.model import Identity, IdentityKind, Period, RequestKind, Subject
from dsr_core.plugins import PluginHost
from dsr_core.systems import ManualStep, PermanentError, System
from dsr_core.testing import make_context
from tests.pbx.samples import asterisk_line, freeswitch_line, write_lines
from tests.pbx.sqlsamples import cdr_row, cdr_table, insert

CHECKS = settings(
    max_examples=int(os.environ.get("DSR_PROPERTY_EXAMPLES", "40")),  # more to search harder
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- the values identities are drawn from ---------------------------------------------------

#: Phone spellings and the E.164 number each one is (None: not a valid number).
PHONES: dict[str, str | None] = {
    "+32477123456": "+32477123456",
    "0477 12 34 56": "+32477123456",
    "0032477123456": "+32477123456",
    "32477123456": "+32477123456",
    "+3293771234": "+3293771234",
    "09/377.12.34": "+3293771234",
    "+31477123456": None,  # the same digits in the Netherlands: no valid number
    "+32499000111": "+32499000111",  # nobody's
    "12": None,
}
EMAILS = [
    "jan.peeters@example.be",
    "Jan.Peeters@Example.BE",
    "an@example.be",
    "an.claes@acme.be",
    "piet@example.be",
    "nobody@example.be",
    "not-an-address",
]
UNSAFE_ID = "x/../y"
CUSTOMER_IDS = ["1", "2", "3", "7", "8", "9", "1042", "1043", "1050", "C1001", "C1002", UNSAFE_ID]
SYSTEMS = ["crm", "odoo", "pbx", "dossier", "hudu", "other"]

#: The PBX calls: one a day for the subject's mobile, some for the landline, extensions, traps.
D0 = date(2024, 3, 1)
DAYS = 30
GRID = st.dates(min_value=D0 - timedelta(days=3), max_value=D0 + timedelta(days=DAYS + 3))
EXTENSIONS = {
    "C1001": [{"extension": "201", "from": (D0 + timedelta(days=6)).isoformat(),
               "to": (D0 + timedelta(days=20)).isoformat()}],
    "C1002": ["202"],
}  # fmt: skip
GRANTS = {
    "201": ("C1001", Period(D0 + timedelta(days=6), D0 + timedelta(days=20))),
    "202": ("C1002", Period()),
}


@st.composite
def periods(draw: st.DrawFn) -> tuple[date | None, date | None]:
    start = draw(st.one_of(st.none(), GRID))
    end = draw(st.one_of(st.none(), GRID))
    keep_inverted = draw(st.sampled_from([False, False, False, False, True]))
    if start is not None and end is not None and start > end and not keep_inverted:
        start, end = end, start
    return start, end


@st.composite
def identities(draw: st.DrawFn, system: str) -> Identity:
    kind = draw(st.sampled_from(list(IdentityKind)))
    qualifier = st.sampled_from([None, None, system, *SYSTEMS])
    source = draw(st.sampled_from(["request", system, "crm"]))
    valid_from, valid_to = draw(periods()) if draw(st.booleans()) else (None, None)
    if kind == IdentityKind.PHONE:
        value = draw(st.sampled_from(list(PHONES)))
        qualified = draw(st.sampled_from([None, None, None, system, "other"]))
    elif kind == IdentityKind.EMAIL:
        value, qualified = draw(st.sampled_from(EMAILS)), None
    elif kind == IdentityKind.CUSTOMER_ID:
        value, qualified = draw(st.sampled_from(CUSTOMER_IDS)), draw(qualifier)
    elif kind == IdentityKind.EXTENSION:
        value, qualified = draw(st.sampled_from(["201", "202", "999"])), draw(qualifier)
    elif kind == IdentityKind.NAME:
        value, qualified = draw(st.sampled_from(["Jan Peeters", "An Claes", "X"])), None
    elif kind == IdentityKind.VAT:
        value, qualified = draw(st.sampled_from(["BE0123456789", "BE 0123.456.749"])), None
    else:
        value = draw(st.sampled_from(["customers:1", "contacts:2", "garbage", "phone_numbers:1"]))
        qualified = draw(st.sampled_from([system, None, "other"]))
    return Identity(kind, value, valid_from, valid_to, qualified, source)


@st.composite
def subjects(draw: st.DrawFn, system: str) -> Subject:
    """A set with the shapes issue 10 is about: duplicates, the same number with and without
    a period, adjacent spells of one number."""
    base = draw(st.lists(identities(system), max_size=7))
    more: list[Identity] = []
    for ident in base:
        echo = draw(st.sampled_from(["none", "none", "copy", "open", "split"]))
        if echo == "copy":
            more.append(ident)
        elif echo == "open":
            more.append(Identity(ident.kind, ident.value, system=ident.system))
        elif echo == "split":
            cut = draw(GRID)
            more.append(Identity(ident.kind, ident.value, ident.valid_from, cut, ident.system))
            after = cut + timedelta(days=1)
            more.append(Identity(ident.kind, ident.value, after, ident.valid_to, ident.system))
    mixed = draw(st.permutations(base + more))
    return Subject(draw(st.sampled_from(["Jan Peeters", "Bart Wouters"])), tuple(mixed))


def exercise(system: System, subject: Subject) -> tuple[Subject, list[Identity], list[Any]]:
    """What the engine does with a system for an access and a dry-run erasure."""
    keys = list(system.locate(subject))
    assert all(isinstance(k, Identity) for k in keys)
    sorted(keys, key=lambda i: i.key)  # identities always order, whatever their periods
    located = subject.with_identities(keys)
    again = list(system.locate(located))  # the engine locates again with what was found
    located = located.with_identities(again)
    keys = list({k.key: k for k in [*keys, *again]}.values())
    records = list(system.access(located, keys)) if keys else []
    if keys and RequestKind.ERASURE in system.kinds:
        list(system.erase(located, keys, dry_run=True))
    return located, keys, records


# -- every registered type is covered ---------------------------------------------------------

COVERED = {
    "sql-crm",
    "odoo",
    "asterisk-csv",
    "asterisk-sql",
    "freeswitch-csv",
    "techdossier-folder",
    "hudu",
    "manual",
}


def test_every_registered_system_type_is_fed_random_identity_sets() -> None:
    registered = set(PluginHost.load(include_entry_points=True).system_types)
    assert registered <= COVERED, f"add {sorted(registered - COVERED)} to this module"


# -- CRMs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sql_crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    from dsr_plugins.crm.sql_crm import SqlCrmSystem
    from tests.crm import sample

    base = tmp_path_factory.mktemp("sql-crm")
    sample.build(f"sqlite:///{base / 'crm.sqlite3'}")
    context = make_context("crm", base, today=sample.TODAY)
    system = SqlCrmSystem("crm", sample.config("sqlite:///crm.sqlite3"), context)
    yield system
    system.close()


@CHECKS
@given(st.data())
def test_sql_crm(sql_crm: System, data: st.DataObject) -> None:
    exercise(sql_crm, data.draw(subjects("crm")))


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.odoo.conftest import API_KEY, seed
    from tests.odoo.fake_odoo import FakeOdoo

    fake = FakeOdoo(api_key=API_KEY)
    seed(fake)
    with fake.serve():
        yield fake, tmp_path_factory.mktemp("odoo")


@CHECKS
@given(st.data())
def test_odoo(odoo: Any, data: st.DataObject) -> None:
    from dsr_plugins.crm.odoo import OdooSystem
    from tests.odoo.conftest import TODAY, config_for

    fake, base = odoo
    protocol = data.draw(st.sampled_from(["json2", "xmlrpc"]))
    system = OdooSystem("odoo", config_for(fake, protocol), make_context("odoo", base, today=TODAY))
    exercise(system, data.draw(subjects("odoo")))


# -- technical dossiers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> System:
    from dsr_plugins.techdossier import FolderDossierSystem
    from tests.techdossier.test_folder import build_root

    base = tmp_path_factory.mktemp("folder")
    build_root(base)
    config = {"root": "dossiers", "customer_id_from": "crm"}
    return FolderDossierSystem("dossier", config, make_context("dossier", base))


@CHECKS
@given(st.data())
def test_techdossier_folder(folder: System, data: st.DataObject) -> None:
    subject = data.draw(subjects("dossier"))
    try:
        exercise(folder, subject)
    except PermanentError as exc:
        # documented: a customer id that is no plain folder name is refused, in one line
        # that does not repeat it
        assert UNSAFE_ID in subject.values(IdentityKind.CUSTOMER_ID), exc
        assert "\n" not in str(exc) and UNSAFE_ID not in str(exc)


@pytest.fixture(scope="module")
def hudu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    from dsr_plugins.techdossier import HuduSystem
    from tests.techdossier.fake_hudu import FakeHudu
    from tests.techdossier.test_hudu import API_KEY, config, seed

    fake = FakeHudu(api_key=API_KEY)
    seed(fake)
    with fake.serve():
        base = tmp_path_factory.mktemp("hudu")
        yield HuduSystem("hudu", config(fake), make_context("hudu", base))


@CHECKS
@given(st.data())
def test_hudu(hudu: System, data: st.DataObject) -> None:
    exercise(hudu, data.draw(subjects("hudu")))


# -- manual -----------------------------------------------------------------------------------


@CHECKS
@given(st.data())
def test_manual(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    from dsr_core.builtins import ManualSystem

    base = tmp_path_factory.getbasetemp()
    system = ManualSystem("archive", {}, make_context("archive", base))
    with pytest.raises(ManualStep):  # staff search it, whatever the identities
        system.locate(data.draw(subjects("archive")))


# -- PBXs: no failure, and the documented matching ---------------------------------------------


def _calls() -> list[tuple[str, str, date]]:
    """``(call id, the number or extension written on the call, day)``."""
    mobile = ["0477 12 34 56", "+32477123456", "0032477123456", "32477123456", "0477123456"]
    calls = []
    for i in range(DAYS):
        day = D0 + timedelta(days=i)
        calls.append((f"u{i:02d}01", mobile[i % len(mobile)], day))
        if i % 4 == 0:
            calls.append((f"u{i:02d}02", "09/377.12.34" if i % 8 else "093771234", day))
        if i % 3 == 0:
            calls.append((f"u{i:02d}03", "201", day))
        if i % 7 == 0:
            calls.append((f"u{i:02d}04", "202", day))
        if i % 5 == 0:
            calls.append((f"u{i:02d}05", "+31477123456", day))  # a Dutch trap
            calls.append((f"u{i:02d}06", "0477123457", day))  # one digit off
    return calls


CALLS = _calls()
COUNTERPART = "025551234"  # never the subject's


def _times(call_id: str, day: date) -> tuple[str, str, str]:
    minute = int(call_id[1:]) % 60
    start = f"{day.isoformat()} 10:{minute:02d}:00"
    return start, f"{day.isoformat()} 10:{minute:02d}:05", f"{day.isoformat()} 10:{minute:02d}:50"


def _asterisk_lines() -> list[str]:
    lines = []
    for call_id, number, day in CALLS:
        start, answer, end = _times(call_id, day)
        lines.append(
            asterisk_line(number, COUNTERPART, start=start, answer=answer, end=end,
                          uniqueid=call_id, duration=50, billsec=45)
        )  # fmt: skip
    return lines


def _freeswitch_lines() -> list[str]:
    lines = []
    for call_id, number, day in CALLS:
        start, answer, end = _times(call_id, day)
        lines.append(
            freeswitch_line(COUNTERPART, number, start=start, answer=answer, end=end,
                            uuid=call_id, duration=50, billsec=45)
        )  # fmt: skip
    return lines


def expected_calls(subject: Subject, system: str) -> set[str]:
    """The calls the documentation says are the subject's (see the module docstring)."""
    days: dict[str, list[Period]] = {}
    for ident in subject.identities:
        period = ident.period
        if period is None:
            continue
        if ident.kind == IdentityKind.PHONE and ident.system in (None, system):
            number = PHONES.get(ident.value)
            if number is not None:
                days.setdefault(number, []).append(period)
        elif ident.kind == IdentityKind.CUSTOMER_ID:
            for extension, (customer, granted) in GRANTS.items():
                if ident.value == customer and (both := period.intersection(granted)):
                    days.setdefault(extension, []).append(both)
    found = set()
    for call_id, written, day in CALLS:
        number = written if written in GRANTS else _e164(written)
        if any(p.covers(day) for p in Period.union(days.get(number or "", []))):
            found.add(call_id)
    return found


def _e164(written: str) -> str | None:
    known = {"0477123456": "+32477123456", "093771234": "+3293771234", "0477123457": "+32477123457"}
    return PHONES.get(written, known.get(written))


def call_ids(records: Sequence[Any]) -> set[str]:
    found = set()
    for record in records:
        text = record.record_id + json.dumps(dict(record.fields), default=str)
        match = re.search(r"u\d{4}", text)
        assert match, record
        found.add(match.group(0))
    return found


def check_pbx(system: System, subject: Subject) -> None:
    _, _, records = exercise(system, subject)
    assert call_ids(records) == expected_calls(subject, system.name)


def _pbx_config(path: str) -> dict[str, Any]:
    return {"path": path, "extensions": EXTENSIONS}


@pytest.fixture(scope="module")
def asterisk_csv(tmp_path_factory: pytest.TempPathFactory) -> System:
    from dsr_plugins.pbx import AsteriskCsvSystem

    base = tmp_path_factory.mktemp("asterisk-csv")
    write_lines(base / "Master.csv", _asterisk_lines())
    context = make_context("pbx", base, today=D0 + timedelta(days=60))
    return AsteriskCsvSystem("pbx", _pbx_config("Master.csv"), context)


@CHECKS
@given(st.data())
def test_asterisk_csv(asterisk_csv: System, data: st.DataObject) -> None:
    check_pbx(asterisk_csv, data.draw(subjects("pbx")))


@pytest.fixture(scope="module")
def freeswitch_csv(tmp_path_factory: pytest.TempPathFactory) -> System:
    from dsr_plugins.pbx import FreeswitchCsvSystem

    base = tmp_path_factory.mktemp("freeswitch-csv")
    write_lines(base / "Master.csv", _freeswitch_lines())
    context = make_context("fs", base, today=D0 + timedelta(days=60))
    return FreeswitchCsvSystem("fs", _pbx_config("Master.csv"), context)


@CHECKS
@given(st.data())
def test_freeswitch_csv(freeswitch_csv: System, data: st.DataObject) -> None:
    check_pbx(freeswitch_csv, data.draw(subjects("fs")))


@pytest.fixture(scope="module")
def asterisk_sql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    from dsr_plugins.pbx import AsteriskSqlSystem

    base = tmp_path_factory.mktemp("asterisk-sql")
    engine = sa.create_engine(f"sqlite:///{base / 'cdr.db'}")
    metadata = sa.MetaData()
    table = cdr_table(metadata, "start")
    metadata.create_all(engine)
    rows = []
    for call_id, number, day in CALLS:
        start, _, _ = _times(call_id, day)
        rows.append(cdr_row(number, COUNTERPART, start, call_id))
    insert(engine, table, rows)
    engine.dispose()
    context = make_context("cdrdb", base, today=D0 + timedelta(days=60))
    config = {"url": "sqlite:///cdr.db", "extensions": EXTENSIONS}
    system = AsteriskSqlSystem("cdrdb", config, context)
    yield system
    system.close()


@CHECKS
@given(st.data())
def test_asterisk_sql(asterisk_sql: System, data: st.DataObject) -> None:
    check_pbx(asterisk_sql, data.draw(subjects("cdrdb")))


# -- the shapes of issue 10, always tried -------------------------------------------------------

MOBILE = "+32477123456"


def _phone(start: date | None = None, end: date | None = None) -> Identity:
    return Identity(IdentityKind.PHONE, MOBILE, start, end, source="crm")


ISSUE_10 = [
    # given with the request, and found by a CRM with its period
    (Identity(IdentityKind.PHONE, MOBILE), _phone(D0 + timedelta(days=10))),
    # two adjacent spells, and one open at the start
    (_phone(D0 + timedelta(days=3), D0 + timedelta(days=5)), _phone(D0 + timedelta(days=6),
     D0 + timedelta(days=8)), _phone(None, D0)),  # fmt: skip
    # overlapping spells, duplicates, an inverted one
    (_phone(D0, D0 + timedelta(days=9)), _phone(D0 + timedelta(days=4), D0 + timedelta(days=12)),
     _phone(D0, D0 + timedelta(days=9)), _phone(D0 + timedelta(days=20), D0)),  # fmt: skip
    # a customer id mapped to an extension, known with and without a period
    (Identity(IdentityKind.CUSTOMER_ID, "C1001", system="crm"),
     Identity(IdentityKind.CUSTOMER_ID, "C1001", D0 + timedelta(days=15), None, "crm")),
]  # fmt: skip


@pytest.mark.parametrize("idents", ISSUE_10)
def test_the_issue_10_shapes_on_every_pbx(
    idents: tuple[Identity, ...], asterisk_csv: System, freeswitch_csv: System, asterisk_sql: System
) -> None:
    subject = Subject("Jan Peeters", idents)
    for system in (asterisk_csv, freeswitch_csv, asterisk_sql):
        check_pbx(system, subject)
    assert expected_calls(subject, "pbx"), "each shape matches some calls"
