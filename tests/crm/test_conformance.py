"""The core's conformance suite, run against ``sql-crm`` on the sample CRM in SQLite."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.testing import SystemConformance, make_context
from dsr_plugins.crm.sql_crm import SqlCrmSystem
from tests.crm import history, sample


class TestSqlCrmConformance(SystemConformance):
    @pytest.fixture
    def system(self, tmp_path: Path) -> Iterator[SqlCrmSystem]:
        sample.build(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
        context = make_context("crm", tmp_path, today=sample.TODAY)
        system = SqlCrmSystem("crm", sample.config("sqlite:///crm.sqlite3"), context)
        yield system
        system.close()

    @pytest.fixture
    def subject(self) -> Subject:
        return Subject("Jan Peeters", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))

    @pytest.fixture
    def stranger(self) -> Subject:
        return Subject("Nobody", (Identity(IdentityKind.EMAIL, "nobody@example.be"),))

    @pytest.fixture
    def bad_config(self) -> Mapping[str, Any]:
        return {"url": "sqlite:///crm.sqlite3", "tables": {"customers": {"erase": "shred"}}}


class TestSqlCrmCompositeKeysConformance(SystemConformance):
    """The same suite on a number history keyed by two columns and keyless link tables."""

    @pytest.fixture
    def system(self, tmp_path: Path) -> Iterator[SqlCrmSystem]:
        history.build(f"sqlite:///{tmp_path / 'history.sqlite3'}", history_pk=False)
        context = make_context("crm", tmp_path, today=history.TODAY)
        table = dict(history.CONFIG["tables"]["number_history"], key=["number", "valid_from"])
        config = history.config("sqlite:///history.sqlite3", number_history=table)
        system = SqlCrmSystem("crm", config, context)
        yield system
        system.close()

    @pytest.fixture
    def subject(self) -> Subject:
        return Subject("Anna Maes", (Identity(IdentityKind.EMAIL, "anna@example.be"),))

    @pytest.fixture
    def stranger(self) -> Subject:
        return Subject("Nobody", (Identity(IdentityKind.EMAIL, "nobody@example.be"),))

    @pytest.fixture
    def bad_config(self) -> Mapping[str, Any]:
        tables = {"number_history": {"category": "contract", "key": []}}
        return {"url": "sqlite:///history.sqlite3", "tables": tables}
