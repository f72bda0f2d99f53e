"""``active_contract`` in ``sql-crm``: a root column or an SQL test over the root row says the
located customer's contract runs, on SQLite, PostgreSQL and MariaDB alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.systems import ConfigError
from dsr_core.testing import make_context
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from tests.crm import sample

JAN = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))
ACME = Subject("Acme", (Identity(IdentityKind.EMAIL, "info@acme.be"),))
ELS = Subject("Els", (Identity(IdentityKind.EMAIL, "els@example.org"),))
HAS_CONTRACT = (
    "EXISTS (SELECT 1 FROM contracts WHERE contracts.customer_id = customers.id\n"
    "  AND contracts.monthly_fee > 0)"
)


@pytest.fixture
def with_active(crm_url: str, tmp_path: Path) -> Iterator[Any]:
    made: list[SqlCrmSystem] = []

    def build(active: str | None) -> SqlCrmSystem:
        config = sample.config(crm_url)
        if active is not None:
            config["active_contract"] = active
        system = SqlCrmSystem("crm", config, make_context("crm", tmp_path, today=sample.TODAY))
        made.append(system)
        return system

    yield build
    for system in made:
        system.close()


def _active(system: SqlCrmSystem, subject: Subject) -> bool | None:
    return system.active_contract(subject, system.locate(subject))


def test_an_sql_test_over_the_customer_row(with_active: Any) -> None:
    system = with_active(HAS_CONTRACT)
    assert system.check().ok, system.check().problems
    assert _active(system, JAN) is True
    assert _active(system, ELS) is False


def test_a_boolean_column_of_the_root_table(with_active: Any) -> None:
    system = with_active("is_company")  # a stand-in flag: true for Acme only
    assert system.check().ok, system.check().problems
    assert _active(system, ACME) is True
    assert _active(system, JAN) is False


def test_without_the_key_the_crm_does_not_tell(with_active: Any) -> None:
    assert _active(with_active(None), JAN) is None


def test_check_names_a_missing_column_and_a_refused_expression(with_active: Any) -> None:
    problems = with_active("contract_running").check().problems
    assert "systems.crm.active_contract: no column 'contract_running' in customers" in problems
    problems = with_active("EXISTS (SELECT 1 FROM no_such_table)").check().problems
    assert any(
        p.startswith("systems.crm.active_contract: the database refused it") for p in problems
    )


def test_more_than_one_statement_is_refused_in_one_line(with_active: Any) -> None:
    with pytest.raises(ConfigError, match=r"systems.crm.active_contract: must be one SQL"):
        with_active("1 = 1; DELETE FROM customers")
