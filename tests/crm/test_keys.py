"""``sql-crm`` on tables without a single-column key: composite keys (reflected or mapped),
tables with no key at all, and a ``key`` whose values are not unique (refused).

The CRM is ``tests/crm/history.py``: a landline that passed from Anna to Bert. Each test runs
on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dsr_core.model import Action, Identity, IdentityKind, Outcome, Record, Subject
from dsr_core.systems import PermanentError
from dsr_core.testing import make_context
from dsr_plugins.crm.rowkeys import RowKey
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from tests.crm import history
from tests.engine.helpers import config, new_verified

ANNA = Subject("Anna Maes", (Identity(IdentityKind.EMAIL, "anna@example.be"),))
BERT = Subject("Bert Smet", (Identity(IdentityKind.EMAIL, "bert@example.be"),))
#: Whoever holds the landline today (Bert), found by the number alone.
LANDLINE_TODAY = Subject("?", (Identity(IdentityKind.PHONE, "09/377.12.34"),))
#: Whoever held it in 2016 (Anna): a number with a period, as the PBX plugin passes it on.
LANDLINE_2016 = Subject(
    "?", (Identity(IdentityKind.PHONE, history.LANDLINE, date(2016, 3, 1), date(2016, 3, 1)),)
)
HISTORY = history.CONFIG["tables"]["number_history"]
#: The two ways of keying number_history: the database's composite primary key (reflected),
#: and ``key = [...]`` in the mapping on a table without a primary key.
KEYED = [
    pytest.param(True, None, id="reflected-pk"),
    pytest.param(False, ["number", "valid_from"], id="mapped-key"),
]


def _system(make_history: Any, history_pk: bool, key: list[str] | None) -> SqlCrmSystem:
    table = dict(HISTORY, key=key) if key else HISTORY
    return make_history(history_pk=history_pk, number_history=table)


def _customer_ids(keys: list[Identity]) -> set[str]:
    return {k.value for k in keys if k.kind == IdentityKind.CUSTOMER_ID}


def _rows(records: list[Record], source: str) -> list[dict[str, Any]]:
    return sorted((r.fields for r in records if r.source == source), key=repr)


def _by_id(outcomes: list[Outcome]) -> dict[str, Outcome]:
    result = {o.record_id: o for o in outcomes}
    assert len(result) == len(outcomes), "one outcome per record"
    return result


# -- a key whose values are not unique ---------------------------------------------------------
NOT_UNIQUE = (
    "systems.crm.tables.number_history.key: 'number' is not unique in number_history "
    "(several rows share a value): set 'key' to the columns that together identify one row"
)


def test_a_key_that_is_not_unique_is_refused_before_any_row_is_read(make_history: Any) -> None:
    """``key = "number"`` on a number history used to hand the previous holder's customer row
    and invoices to the new holder; it is refused by check and by every call."""
    crm = make_history(
        history_pk=False,
        number_history=dict(HISTORY, key="number"),
        call_notes=None,
        customer_tags=None,
        newsletter=None,
    )
    result = crm.check()
    assert not result.ok
    assert NOT_UNIQUE in result.problems
    for call in (
        lambda: crm.locate(LANDLINE_TODAY),
        lambda: list(crm.access(BERT, [])),
        lambda: list(crm.erase(BERT, [], dry_run=False)),
    ):
        with pytest.raises(PermanentError) as info:
            call()
        assert str(info.value).startswith(NOT_UNIQUE), str(info.value)
        assert "377" not in str(info.value)


def test_a_unique_key_that_is_not_the_primary_key_is_accepted(make_history: Any) -> None:
    crm = make_history(
        history_pk=True, newsletter=dict(history.CONFIG["tables"]["newsletter"], key="email")
    )
    assert crm.check().ok, crm.check().problems
    records = list(crm.access(ANNA, list(crm.locate(ANNA))))
    assert "newsletter:anna@example.be" in {r.record_id for r in records}


# -- composite keys ------------------------------------------------------------------------------
@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_check_accepts_composite_and_keyless_tables(
    make_history: Any, history_pk: bool, key: list[str] | None
) -> None:
    result = _system(make_history, history_pk, key).check()
    assert result.ok, result.problems


@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_the_landline_finds_whoever_held_it_at_the_time(
    make_history: Any, history_pk: bool, key: list[str] | None
) -> None:
    crm = _system(make_history, history_pk, key)
    now = list(crm.locate(LANDLINE_TODAY))
    assert _customer_ids(now) == {"2"}
    phones = {(k.value, k.valid_from, k.valid_to) for k in now if k.kind == IdentityKind.PHONE}
    assert (history.LANDLINE, date(2021, 2, 1), None) in phones
    assert (history.LANDLINE, date(2015, 1, 1), date(2020, 12, 31)) not in phones
    then = list(crm.locate(LANDLINE_2016))
    assert _customer_ids(then) == {"1"}
    phones = {(k.value, k.valid_from, k.valid_to) for k in then if k.kind == IdentityKind.PHONE}
    assert phones == {
        (history.LANDLINE, date(2015, 1, 1), date(2020, 12, 31)),
        ("+3250112233", date(2015, 1, 1), None),
    }


@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_a_number_the_subject_gives_that_moved_on_does_not_pull_in_its_holder_today(
    make_history: Any, history_pk: bool, key: list[str] | None
) -> None:
    """Anna asks with her e-mail and the landline she had until 2020, Bert's since 2021: the
    CRM finds Anna, with the landline's period hers, and never Bert (his customer row,
    invoices and e-mail would become Anna's, and her erasure would erase him)."""
    crm = _system(make_history, history_pk, key)
    anna = Subject(
        "Anna Maes",
        (
            Identity(IdentityKind.EMAIL, "anna@example.be"),
            Identity(IdentityKind.PHONE, "09/377.12.34"),
        ),
    )
    found = list(crm.locate(anna))
    assert _customer_ids(found) == {"1"}, found
    assert not [k for k in found if k.value == "bert@example.be"]
    phones = {(k.value, k.valid_from, k.valid_to) for k in found if k.kind == IdentityKind.PHONE}
    assert (history.LANDLINE, date(2015, 1, 1), date(2020, 12, 31)) in phones
    records = list(crm.access(anna.with_identities(found), found))
    assert [r["name"] for r in _rows(records, "customers")] == ["Anna Maes"]
    # the landline alone still finds whoever holds it today
    assert _customer_ids(list(crm.locate(LANDLINE_TODAY))) == {"2"}


@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_the_new_holder_never_gets_the_previous_holders_rows(
    make_history: Any, history_pk: bool, key: list[str] | None
) -> None:
    crm = _system(make_history, history_pk, key)
    records = list(crm.access(LANDLINE_TODAY, list(crm.locate(LANDLINE_TODAY))))
    assert [r["name"] for r in _rows(records, "customers")] == ["Bert Smet"]
    assert [r["id"] for r in _rows(records, "invoices")] == [2]
    assert _rows(records, "number_history") == [
        {
            "number": "09 377 12 34",
            "customer_id": 2,
            "valid_from": "2021-02-01",
            "valid_to": None,
        }
    ]
    assert [r["note"] for r in _rows(records, "call_notes")] == ["Bert: new modem"]
    assert _rows(records, "customer_tags") == [{"customer_id": 2, "tag": "vip"}]
    ids = {r.record_id for r in records if r.source == "number_history"}
    assert ids == {'number_history:["09 377 12 34","2021-02-01"]'}


@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_erasing_the_new_holder_leaves_the_previous_holders_rows(
    make_history: Any, history_urls: tuple[str, str], history_pk: bool, key: list[str] | None
) -> None:
    crm = _system(make_history, history_pk, key)
    before = history.dump(history_urls[1])
    keys = list(crm.locate(BERT))
    dry = list(crm.erase(BERT, keys, dry_run=True))
    assert history.dump(history_urls[1]) == before
    outcomes = _by_id(list(crm.erase(BERT, keys, dry_run=False)))
    assert {o.record_id: o.action for o in dry} == {k: o.action for k, o in outcomes.items()}
    history_id = 'number_history:["09 377 12 34","2021-02-01"]'
    assert outcomes[history_id].action == Action.ERASED
    assert outcomes["invoices:2"].action == Action.KEPT
    assert outcomes["customers:2"].action == Action.ANONYMISED
    after = history.dump(history_urls[1])
    gone = {t: sorted(set(before[t]) - set(after[t]), key=repr) for t in before}
    assert gone["number_history"] == [("09 377 12 34", 2, date(2021, 2, 1), None)]
    assert gone["call_notes"] == [("09 377 12 34", date(2021, 2, 1), "Bert: new modem")]
    assert gone["customer_tags"] == [(2, "vip")]
    assert gone["newsletter"] == [("bert@example.be", False)]
    assert len(after["number_history"]) == 2 and len(after["customer_tags"]) == 3
    again = list(crm.erase(BERT, keys, dry_run=False))
    assert not [o for o in again if o.action == Action.ERASED]


@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_rectify_one_row_by_its_composite_record_id(
    make_history: Any, history_urls: tuple[str, str], history_pk: bool, key: list[str] | None
) -> None:
    crm = _system(make_history, history_pk, key)
    keys = list(crm.locate(ANNA))
    field = 'number_history:["050 11 22 33","2015-01-01"].valid_to'
    outcomes = list(crm.rectify(ANNA, keys, {field: "2024-12-31"}, dry_run=False))
    assert [(o.record_id, o.action) for o in outcomes] == [
        ('number_history:["050 11 22 33","2015-01-01"]', Action.RECTIFIED)
    ]
    rows = history.dump(history_urls[1])["number_history"]
    assert ("050 11 22 33", 1, date(2015, 1, 1), date(2024, 12, 31)) in rows
    assert ("09 377 12 34", 1, date(2015, 1, 1), date(2020, 12, 31)) in rows
    theirs = 'number_history:["09 377 12 34","2021-02-01"].valid_to'
    with pytest.raises(PermanentError, match="is not the subject's"):
        list(crm.rectify(ANNA, keys, {theirs: "2024-12-31"}, dry_run=False))


# -- tables without any key ----------------------------------------------------------------------
def test_rows_of_a_keyless_table_have_stable_distinct_ids(make_history: Any) -> None:
    crm = make_history(history_pk=True)
    keys = list(crm.locate(ANNA))
    first = [r.record_id for r in crm.access(ANNA, keys) if r.source == "customer_tags"]
    second = [r.record_id for r in crm.access(ANNA, keys) if r.source == "customer_tags"]
    assert sorted(first) == sorted(second)
    assert len(first) == 3 and len(set(first)) == 3  # the duplicate row is a record of its own
    assert all(i.startswith("customer_tags:#") for i in first)
    assert not any("vip" in i or "landline" in i for i in first)  # no content in the id


def test_erasing_rows_of_a_keyless_table_deletes_exactly_them(
    make_history: Any, history_urls: tuple[str, str]
) -> None:
    crm = make_history(history_pk=True)
    keys = list(crm.locate(ANNA))
    outcomes = list(crm.erase(ANNA, keys, dry_run=False))
    tags = [o for o in outcomes if o.record_id.startswith("customer_tags:")]
    assert [o.action for o in tags] == [Action.ERASED] * 3
    news = [o for o in outcomes if o.record_id.startswith("newsletter:")]
    assert [o.action for o in news] == [Action.ERASED]
    after = history.dump(history_urls[1])
    assert after["customer_tags"] == [(2, "vip")]  # Bert's vip tag shares Anna's 'vip'
    assert after["newsletter"] == [("bert@example.be", False)]
    assert after["call_notes"] == [("09 377 12 34", date(2021, 2, 1), "Bert: new modem")]
    again = list(crm.erase(ANNA, keys, dry_run=False))
    assert not [o for o in again if o.action == Action.ERASED]


def test_object_and_rectify_on_a_keyless_table_touch_only_the_subjects_row(
    make_history: Any, history_urls: tuple[str, str]
) -> None:
    crm = make_history(history_pk=True)
    keys = list(crm.locate(ANNA))
    outcomes = list(crm.object(ANNA, keys, dry_run=False))
    assert [o.action for o in outcomes] == [Action.OPTED_OUT]
    after = history.dump(history_urls[1])["newsletter"]
    assert [(e, bool(u)) for e, u in after] == [
        ("anna@example.be", True),
        ("bert@example.be", False),
    ]
    record = next(r for r in crm.access(ANNA, keys) if r.fields.get("tag") == "vip")
    changed = list(crm.rectify(ANNA, keys, {f"{record.record_id}.tag": "gold"}, dry_run=False))
    assert [o.action for o in changed] == [Action.RECTIFIED]
    tags = history.dump(history_urls[1])["customer_tags"]
    assert sorted(tags) == [(1, "gold"), (1, "landline"), (1, "landline"), (2, "vip")]


def test_a_keyless_parent_needs_parent_key(make_history: Any) -> None:
    notes = {"category": "message", "parent": "customer_tags", "foreign_key": "note"}
    crm = make_history(history_pk=True, call_notes=notes)
    problems = crm.check().problems
    assert (
        "systems.crm.tables.call_notes.parent_key: customer_tags has no key: "
        "set 'parent_key' (the column of customer_tags that foreign_key refers to)"
    ) in problems


def test_composite_record_ids_are_json(make_history: Any) -> None:
    crm = make_history(history_pk=True)
    ids = [r.record_id for r in crm.access(ANNA, list(crm.locate(ANNA)))]
    composite = sorted(i for i in ids if i.startswith("number_history:"))
    assert [json.loads(i.partition(":")[2]) for i in composite] == [
        ["050 11 22 33", "2015-01-01"],
        ["09 377 12 34", "2015-01-01"],
    ]


def test_dsr_systems_check_and_a_run_refuse_a_key_that_is_not_unique(dsr: Any) -> None:
    history.build(f"sqlite:///{dsr.home / 'history.sqlite3'}", history_pk=False)
    mapping = history.config(
        "sqlite:///history.sqlite3",
        number_history=dict(HISTORY, key="number"),
        call_notes=None,
        customer_tags=None,
        newsletter=None,
    )
    dsr.write_config(config({"crm": {"type": "sql-crm", **mapping}}))
    dsr("init")
    shown = dsr("systems", "check", ok=False).stdout
    assert "systems.crm.tables.number_history.key: 'number' is not unique" in " ".join(
        shown.split()
    )
    rid = new_verified(dsr)
    task = dsr.json("request", "run", rid)["tasks"][0]
    assert task["state"] == "failed"
    assert task["error"].startswith(NOT_UNIQUE), task["error"]
    before = history.dump(f"sqlite:///{dsr.home / 'history.sqlite3'}")
    erasure = new_verified(dsr, "erasure")
    assert dsr.json("request", "run", erasure)["tasks"][0]["state"] == "failed"
    assert history.dump(f"sqlite:///{dsr.home / 'history.sqlite3'}") == before


def test_a_keyless_root_needs_a_customer_id_column(make_history: Any) -> None:
    """Locate returns the root row's customer id, which later calls find it by: a keyless
    row's hashed id cannot be looked up, so a root table needs a key or identify.customer_id."""
    crm = make_history(
        history_pk=True,
        root="newsletter",
        newsletter={"category": "contact", "identify": {"email": "email"}},
    )
    assert (
        "systems.crm.tables.newsletter: the root table has no key: set 'key' or map "
        "identify.customer_id"
    ) in crm.check().problems


@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_a_row_found_with_scope_self_is_found_again_by_its_composite_id(
    make_history: Any, history_pk: bool, key: list[str] | None
) -> None:
    table = dict(HISTORY, identify={"phone": "number"}, scope="self")
    if key:
        table["key"] = key
    crm = make_history(history_pk=history_pk, number_history=table)
    keys = list(crm.locate(LANDLINE_TODAY))
    mine = 'number_history:["09 377 12 34","2021-02-01"]'
    assert Identity(IdentityKind.OTHER, mine, system="crm", source="crm") in keys
    assert _customer_ids(keys) == set()
    by_id_only = [k for k in keys if k.kind == IdentityKind.OTHER]
    records = list(crm.access(Subject("?", ()), by_id_only))
    assert sorted(r.record_id for r in records if r.source != "call_notes") == [mine]
    assert [r.fields["note"] for r in records if r.source == "call_notes"] == ["Bert: new modem"]


def test_the_documented_number_history_mapping_works(make_history: Any) -> None:
    readme = (Path(__file__).parents[2] / "plugins" / "crm" / "README.md").read_text("utf-8")
    section = readme.split("### A number history", 1)[1]
    block = section.split("```toml", 1)[1].split("```", 1)[0]
    documented = tomllib.loads(block)["systems"]["crm"]["tables"]
    assert set(documented) == {"number_history", "call_notes", "customer_tags"}
    crm = make_history(history_pk=False, **documented)
    assert crm.check().ok, crm.check().problems
    records = list(crm.access(LANDLINE_TODAY, list(crm.locate(LANDLINE_TODAY))))
    assert {r.record_id for r in records if r.source in ("customers", "invoices")} == {
        "customers:2",
        "invoices:2",
    }
    assert [r.fields["note"] for r in records if r.source == "call_notes"] == ["Bert: new modem"]


@pytest.mark.parametrize(("history_pk", "key"), KEYED)
def test_a_kept_grandchild_holds_its_composite_key_parent(
    make_history: Any, history_urls: tuple[str, str], history_pk: bool, key: list[str] | None
) -> None:
    notes = dict(
        history.CONFIG["tables"]["call_notes"],
        erase="keep",
        keep_for="10 years",
        date_column="valid_from",
        basis=history.BASIS,
    )
    table = dict(HISTORY, key=key) if key else HISTORY
    crm = make_history(history_pk=history_pk, number_history=table, call_notes=notes)
    before = history.dump(history_urls[1])
    outcomes = list(crm.erase(BERT, list(crm.locate(BERT)), dry_run=False))
    by_source = {o.record_id.partition(":")[0]: o for o in outcomes}
    assert by_source["call_notes"].action == Action.KEPT
    assert by_source["call_notes"].until == date(2031, 2, 1)
    held = by_source["number_history"]
    assert held.record_id == 'number_history:["09 377 12 34","2021-02-01"]'
    assert (held.action, held.until) == (Action.KEPT, date(2031, 2, 1))
    assert held.detail == "referenced by kept call_notes"
    after = history.dump(history_urls[1])
    assert after["number_history"] == before["number_history"]
    assert after["call_notes"] == before["call_notes"]


def test_anonymising_rows_of_a_keyless_table_changes_exactly_them(
    make_history: Any, history_urls: tuple[str, str]
) -> None:
    tags = dict(
        history.CONFIG["tables"]["customer_tags"],
        erase="anonymise",
        anonymise={"tag": {"value": "-"}},
    )
    crm = make_history(history_pk=True, customer_tags=tags)
    keys = list(crm.locate(ANNA))
    outcomes = [o for o in crm.erase(ANNA, keys, dry_run=False) if "customer_tags" in o.record_id]
    assert [o.action for o in outcomes] == [Action.ANONYMISED] * 3
    assert sorted(history.dump(history_urls[1])["customer_tags"]) == [
        (1, "-"),
        (1, "-"),
        (1, "-"),
        (2, "vip"),
    ]
    again = [o for o in crm.erase(ANNA, keys, dry_run=False) if "customer_tags" in o.record_id]
    assert {o.action for o in again} == {Action.UNCHANGED}


def test_an_untyped_keyless_sqlite_table_is_identified_by_its_columns(tmp_path: Path) -> None:
    """SQLite lets columns go without a type (https://sqlite.org/datatype3.html, 3.1:
    affinity BLOB); SQLAlchemy reflects them as NullType. They compare with = all the same."""
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    history.build(url, history_pk=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE legacy_tags (customer_id, tag)")
        conn.exec_driver_sql("INSERT INTO legacy_tags VALUES (1, 'vip'), (2, 'vip')")
    legacy = {"category": "marketing", "parent": "customers", "foreign_key": "customer_id"}
    mapping = history.config("sqlite:///history.sqlite3", legacy_tags=legacy)
    crm = SqlCrmSystem("crm", mapping, make_context("crm", tmp_path, today=history.TODAY))
    try:
        assert crm.check().ok, crm.check().problems
        outcomes = list(crm.erase(ANNA, list(crm.locate(ANNA)), dry_run=False))
        assert [o.action for o in outcomes if o.record_id.startswith("legacy_tags:")] == [
            Action.ERASED
        ]
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT * FROM legacy_tags").all() == [(2, "vip")]
    finally:
        crm.close()
        engine.dispose()


def test_the_installation_key_never_shows_in_a_row_key() -> None:
    key = RowKey("customer_tags", ("customer_id", "tag"), content=True, secret=b"s3cret-key")
    assert "s3cret" not in repr(key)
    assert key.record_id((1, "vip")) == key.record_id((1, "vip"))
    assert key.record_id((1, "vip")) != RowKey("customer_tags", key.columns, True).record_id(
        (1, "vip")
    )


def test_composite_ids_read_back_whatever_the_values_hold() -> None:
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("a", sa.String(20)),
        sa.Column("b", sa.Date),
        sa.Column("c", sa.Integer),
    )
    key = RowKey("t", ("a", "b", "c"))
    tricky = [('x,"y"]\\', date(2021, 2, 1), 7), ("x", None, 7), ("x", date(2021, 2, 1), None)]
    ids = [key.record_id(i) for i in tricky]
    assert len(set(ids)) == len(ids)
    for ident, rid in zip(tricky, ids, strict=True):
        assert key.parse(rid.removeprefix("t:"), table) == ident
    assert key.parse('["x","2021-02-01"]', table) is None  # one value short
    assert key.parse("x,2021-02-01,7", table) is None
