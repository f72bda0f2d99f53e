"""``active_contract`` in the odoo type: a running subscription (Odoo 17+'s Subscriptions app)
or a boolean partner field says the contract still runs; the engine then holds an erasure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.systems import PermanentError
from dsr_core.testing import make_context
from dsr_plugins.crm.odoo import OdooSystem
from tests.conftest import Dsr
from tests.odoo.conftest import API_KEY, TODAY, config_for, seed
from tests.odoo.fake_odoo import FakeOdoo
from tests.odoo.test_engine import _config, _erasure

JAN = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))
AN = Subject("An", (Identity(IdentityKind.EMAIL, "an@example.be"),))


def _subscription(odoo: FakeOdoo, partner: int, state: str) -> int:
    return odoo.add(
        "sale.order",
        name=f"SUB/{partner}/{state}",
        state="sale",
        date_order="2025-01-01 10:00:00",
        partner_id=partner,
        is_subscription=True,
        subscription_state=state,
    )


@pytest.fixture
def subscribed() -> Iterator[FakeOdoo]:
    fake = FakeOdoo(api_key=API_KEY, subscriptions=True)
    seed(fake)
    with fake.serve():
        yield fake


@pytest.fixture
def subscriber_system(
    subscribed: FakeOdoo, protocol: str, tmp_path: Path
) -> Callable[..., OdooSystem]:
    def make(**extra: Any) -> OdooSystem:
        config = config_for(subscribed, protocol, **extra)
        return OdooSystem("erp", config, make_context("erp", tmp_path, today=TODAY))

    return make


def test_a_running_or_paused_subscription_is_an_active_contract(
    subscribed: FakeOdoo, subscriber_system: Callable[..., OdooSystem]
) -> None:
    system = subscriber_system(active_contract="subscriptions")
    _subscription(subscribed, 8, "6_churn")  # An's ended
    _subscription(subscribed, 8, "1_draft")  # and a quotation
    assert system.active_contract(AN, system.locate(AN)) is False
    _subscription(subscribed, 7, "4_paused")  # Jan's paused: still his contract
    assert system.active_contract(JAN, system.locate(JAN)) is True


def test_a_subscription_of_a_child_address_counts(
    subscribed: FakeOdoo, subscriber_system: Callable[..., OdooSystem]
) -> None:
    system = subscriber_system(active_contract="subscriptions")
    _subscription(subscribed, 9, "3_progress")  # on Jan's invoice address
    assert system.active_contract(JAN, system.locate(JAN)) is True


def test_a_boolean_partner_field_says_it(
    make_system: Callable[..., OdooSystem], odoo: FakeOdoo
) -> None:
    odoo.schema["res.partner"]["x_contract_active"] = "boolean"  # a custom field (Studio)
    system = make_system(active_contract="x_contract_active")
    assert system.active_contract(JAN, system.locate(JAN)) is False
    odoo.get("res.partner", 7)["x_contract_active"] = True  # type: ignore[index]
    assert system.active_contract(JAN, system.locate(JAN)) is True
    with pytest.raises(PermanentError, match="not a boolean"):
        make_system(active_contract="name").active_contract(JAN, system.locate(JAN))


def test_without_the_key_the_system_cannot_tell(make_system: Callable[..., OdooSystem]) -> None:
    system = make_system()
    assert system.active_contract(JAN, system.locate(JAN)) is None


def test_check_names_a_missing_subscriptions_app_and_a_bad_field(
    make_system: Callable[..., OdooSystem],
) -> None:
    problems = make_system(active_contract="subscriptions").check().problems
    assert any("needs the Subscriptions app" in p for p in problems)
    problems = make_system(active_contract="x_nothing").check().problems
    assert "odoo: active_contract 'x_nothing' does not exist on res.partner" in problems


def test_the_engine_holds_the_erasure_of_a_subscriber_until_confirmed(
    dsr: Dsr, subscribed: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    _subscription(subscribed, 7, "3_progress")
    dsr.write_config(_config(subscribed.url, active_contract="subscriptions"))
    dsr("init")
    rid = _erasure(dsr)

    out = dsr("request", "run", rid, ok=False)

    assert (
        out.exit_code == 5 and "WARNING: erp: the customer's contract is still active" in out.stdout
    )
    assert subscribed.get("res.partner", 7)["email"]  # type: ignore[index]
    data = dsr.json("request", "run", rid, "--confirm-active")
    assert [t["state"] for t in data["tasks"]] == ["done"]
    assert subscribed.get("res.partner", 7)["email"] is False  # type: ignore[index]
