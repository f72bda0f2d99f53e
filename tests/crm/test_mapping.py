"""The ``sql-crm`` mapping is validated at construction: one-line errors naming the key."""

from __future__ import annotations

import copy
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dsr_core.systems import ConfigError
from dsr_core.testing import make_context
from dsr_plugins.crm.mapping import Duration, parse_mapping
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from tests.crm import sample


def _config(**changes: Any) -> dict[str, Any]:
    """The sample config with dotted-path changes; a value of ``...`` removes the key."""
    config = sample.config("sqlite:///crm.sqlite3")
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = config
        for part in parents:
            target = target[part]
        if value is ...:
            del target[last]
        else:
            target[last] = copy.deepcopy(value)
    return config


def test_sample_config_parses() -> None:
    mapping = parse_mapping("crm", sample.config("sqlite:///crm.sqlite3"))
    assert mapping.root == "customers"
    order = list(mapping.tables)
    assert order.index("contracts") < order.index("contract_lines")
    assert order.index("customers") < order.index("invoices")
    invoices = mapping.tables["invoices"]
    assert invoices.keep_for == Duration(10, "year")
    assert invoices.keep_until(date(2020, 3, 31)) == date(2030, 3, 31)
    assert mapping.tables["customers"].anonymise["name"].how == "value"
    assert mapping.tables["contacts"].opt_out is not None
    assert mapping.tables["contacts"].opt_out.lifted is True


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"tables__invoices__kep_for": "1 year"}, "tables.invoices", "did you mean 'keep_for'"),
        ({"tables__invoices__erase": "shred"}, "tables.invoices.erase", "must be one of"),
        ({"tables__invoices__keep_for": "ten years"}, "tables.invoices.keep_for", "10 years"),
        ({"tables__invoices__basis": ...}, "tables.invoices", "needs 'basis'"),
        ({"tables__invoices__date_column": ...}, "tables.invoices", "needs 'date_column'"),
        ({"tables__contracts__foreign_key": ...}, "tables.contracts", "'foreign_key'"),
        ({"tables__contracts__parent": "clients"}, "tables.contracts.parent", "not mapped"),
        (
            {"tables__customers__parent": "contracts", "tables__customers__foreign_key": "c"},
            "tables.customers.parent",
            "cycle",
        ),
        ({"tables__customers__category": ...}, "tables.customers", "'category'"),
        ({"tables__customers__category": "Con tact"}, "tables.customers.category", "word"),
        ({"tables__customers__identify": {"iban": "x"}}, "tables.customers.identify", "'iban'"),
        ({"tables__customers__identify": {"email": 3}}, "identify.email", "column name"),
        ({"tables__customers__anonymise": ["id"]}, "tables.customers.anonymise", "key column"),
        (
            {"tables__customers__anonymise": {"name": "scramble"}},
            "anonymise.name",
            "must be one of",
        ),
        (
            {"tables__customers__erase": "anonymise", "tables__customers__anonymise": ...},
            "tables.customers",
            "needs 'anonymise'",
        ),
        ({"tables__customers__scope": "self"}, "tables.customers.scope", "parent"),
        ({"tables__contacts__scope": "company"}, "tables.contacts.scope", "must be one of"),
        ({"tables__contracts__keep_for": "1 year"}, "tables.contracts.keep_for", "'keep'"),
        ({"tables__invoices__after_keep": "archive"}, "invoices.after_keep", "must be one of"),
        ({"tables__customers__opt_out": {"value": True}}, "customers.opt_out", "'column'"),
        ({"tables__customers__restricted": {"column": "s", "value": "r"}}, "restricted", "lifted"),
        ({"tables__phone_numbers__phone_period": {"valid_from": "a"}}, "phone_period", "number"),
        ({"tables__newsletter__identify": ...}, "tables.newsletter", "unreachable"),
        ({"root": "invoices"}, ".root", "parent"),
        ({"root": "clients"}, ".root", "not mapped"),
        ({"root": ...}, ".root", "required"),
        ({"tables": {}}, ".tables", "maps no table"),
        ({"tables": "customers"}, ".tables", "must be a table"),
        ({"url": 42}, ".url", "database URL"),
        ({"url": "not a url"}, ".url", "database URL"),
        ({"url": "sqlite://"}, ".url", "SQLite file"),
        ({"connect_timeout": -1}, ".connect_timeout", "positive"),
        ({"colour": "blue"}, "", "unknown key 'colour'"),
        ({"tables__invoices__provided": []}, "invoices.provided", "list"),
        ({"tables__invoices__provided": ["a", "a"]}, "invoices.provided", "twice"),
        ({"tables__invoices__key": []}, "invoices.key", "a list of them"),
        ({"tables__invoices__key": ["id", "id"]}, "invoices.key", "twice"),
        ({"tables__invoices__key": ["id", 3]}, "invoices.key", "column name"),
        ({"tables__invoices__foreign_key": []}, "invoices.foreign_key", "a list of them"),
        (
            {"tables__invoices__foreign_key": ["a", "b"], "tables__invoices__parent_key": "id"},
            "invoices.parent_key",
            "as many columns as 'foreign_key'",
        ),
        (
            {
                "tables__contracts__key": ["id", "product"],
                "tables__contracts__anonymise": ["product"],
            },
            "tables.contracts.anonymise",
            "key column 'product'",
        ),
    ],
)
def test_bad_config_is_one_line_naming_the_key(
    changes: dict[str, Any], key: str, words: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as info:
        SqlCrmSystem("crm", _config(**changes), make_context("crm", tmp_path))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("systems.crm")
    assert key in message
    assert words in message


def test_key_and_links_take_one_column_or_a_list() -> None:
    config = _config(
        tables__phone_numbers__key=["number", "assigned_from"],
        tables__contract_lines__foreign_key=["contract_id"],
        tables__contract_lines__parent_key="id",
    )
    tables = parse_mapping("crm", config).tables
    assert tables["customers"].key == ("id",)
    assert tables["contracts"].key is None  # the primary key, found in the database
    assert tables["phone_numbers"].key == ("number", "assigned_from")
    assert tables["contract_lines"].foreign_key == ("contract_id",)
    assert tables["contract_lines"].parent_key == ("id",)


def test_missing_required_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"systems\.crm: 'tables' is required"):
        SqlCrmSystem("crm", {"url": "sqlite:///x.db"}, make_context("crm", tmp_path))


def test_root_defaults_to_the_only_parentless_table(tmp_path: Path) -> None:
    config = _config(root=..., tables__newsletter=...)
    system = SqlCrmSystem("crm", config, make_context("crm", tmp_path))
    assert system.mapping.root == "customers"


def test_relative_sqlite_path_resolves_against_the_config_folder(tmp_path: Path) -> None:
    system = SqlCrmSystem("crm", _config(), make_context("crm", tmp_path))
    assert system.db.url.database == str(tmp_path / "crm.sqlite3")


def test_password_never_in_config_errors(tmp_path: Path) -> None:
    config = _config(url="postgresql+psycopg://u:s3cret@db/crm", tables__invoices__erase="x")
    with pytest.raises(ConfigError) as info:
        SqlCrmSystem("crm", config, make_context("crm", tmp_path))
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "start", "until"),
    [
        ("10 years", date(2015, 3, 10), date(2025, 3, 10)),
        ("1 year", date(2024, 2, 29), date(2025, 2, 28)),
        ("6 months", date(2024, 8, 31), date(2025, 2, 28)),
        ("18 Months", date(2024, 1, 15), date(2025, 7, 15)),
        ("90 days", date(2025, 1, 1), date(2025, 4, 1)),
        ("2 weeks", date(2025, 1, 1), date(2025, 1, 15)),
    ],
)
def test_duration_arithmetic(text: str, start: date, until: date) -> None:
    duration = Duration.parse(text)
    assert duration is not None
    assert duration.after(start) == until


def test_keep_from_end_of_year(tmp_path: Path) -> None:
    config = _config(tables__invoices__keep_from="end_of_year")
    mapping = parse_mapping("crm", config)
    assert mapping.tables["invoices"].keep_until(date(2020, 3, 31)) == date(2030, 12, 31)


def test_readme_example_config_loads(tmp_path: Path) -> None:
    readme = Path(__file__).parents[2] / "plugins" / "crm" / "README.md"
    block = readme.read_text(encoding="utf-8").split("```toml", 1)[1].split("```", 1)[0]
    block = block.replace("${CRM_DATABASE_URL}", "sqlite:///crm.sqlite3")
    config = dict(tomllib.loads(block)["systems"]["crm"])
    assert config.pop("type") == "sql-crm"
    system = SqlCrmSystem("crm", config, make_context("crm", tmp_path))
    assert system.mapping.tables["contacts"].scope == "self"
    assert "contract_lines" in system.mapping.descendants("customers")
