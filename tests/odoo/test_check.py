"""``check`` (dsr systems check): the database, the login and every model the config uses;
``sale_orders`` defaults to "if the Sales app is installed" (issue 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.testing import make_context
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.conftest import TODAY, config_for
from tests.odoo.fake_odoo import FakeOdoo

JAN = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))


def _system(odoo: FakeOdoo, protocol: str, tmp_path: Path, **extra: Any) -> OdooSystem:
    return OdooSystem(
        "odoo", config_for(odoo, protocol, **extra), make_context("odoo", tmp_path, today=TODAY)
    )


def test_a_database_that_does_not_exist_fails_the_check_and_is_named(
    odoo: FakeOdoo, protocol: str, tmp_path: Path
) -> None:
    result = _system(odoo, protocol, tmp_path, database="voxtra_old").check()
    assert not result.ok
    assert len(result.problems) == 1 and "'voxtra_old'" in result.problems[0]
    assert "\n" not in result.problems[0]


def test_a_refused_login_fails_the_check(odoo: FakeOdoo, tmp_path: Path) -> None:
    result = _system(odoo, "xmlrpc", tmp_path, username="nobody").check()
    assert not result.ok and "login" in result.problems[0]


def test_sale_orders_default_to_if_installed(odoo: FakeOdoo, protocol: str, tmp_path: Path) -> None:
    odoo.schema.pop("sale.order")  # a server without the Sales app
    system = _system(odoo, protocol, tmp_path)
    result = system.check()
    assert result.ok, result.problems
    assert "sale.order" in str(result.details.get("skipped"))
    keys = system.locate(JAN)
    records = {r.record_id for r in system.access(JAN, keys)}
    assert "account.move/50" in records and not [r for r in records if r.startswith("sale.")]
    outcomes = {o.record_id for o in system.erase(JAN, keys, dry_run=False)}
    assert "account.move/50" in outcomes
    assert not [
        c for c in odoo.requests if c.startswith("sale.order.") and c != "sale.order.fields_get"
    ]


def test_a_model_the_config_asks_for_must_be_there(
    odoo: FakeOdoo, protocol: str, tmp_path: Path
) -> None:
    odoo.schema.pop("sale.order")
    result = _system(odoo, protocol, tmp_path, sale_orders=True).check()
    assert not result.ok
    assert any("sale.order" in p and "'voxtra'" in p for p in result.problems)
    odoo.schema.pop("phone.blacklist")
    result = _system(odoo, protocol, tmp_path, blacklist_phones=True).check()
    assert any("phone.blacklist" in p for p in result.problems)


def test_restriction_field_is_checked(odoo: FakeOdoo, protocol: str, tmp_path: Path) -> None:
    result = _system(odoo, protocol, tmp_path, restriction_field="x_missing").check()
    assert not result.ok and any("x_missing" in p for p in result.problems)


def test_sale_orders_auto_is_the_default_and_true_false_still_accepted(tmp_path: Path) -> None:
    from dsr_core.systems import ConfigError

    base = {"url": "https://erp.example.be", "api_key": "k"}
    for value in ("auto", True, False):
        OdooSystem("crm", {**base, "sale_orders": value}, make_context("crm", tmp_path))
    with pytest.raises(ConfigError, match="sale_orders"):
        OdooSystem("crm", {**base, "sale_orders": "maybe"}, make_context("crm", tmp_path))
