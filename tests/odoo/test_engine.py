"""The odoo type driven by the real engine through the command line: an erasure keeps what
kept invoices show until their retention ends, then the scheduled erasure anonymises the
partner; Odoo down fails the task after max_attempts attempts, not retried again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Dsr
from tests.odoo.conftest import API_KEY, seed
from tests.odoo.fake_odoo import FakeOdoo
from tests.odoo.test_transport import DownServer


@pytest.fixture
def served() -> Iterator[FakeOdoo]:
    fake = FakeOdoo(api_key=API_KEY)
    seed(fake)
    with fake.serve():
        yield fake


def _config(url: str, **extra: Any) -> str:
    table = {
        "type": "odoo",
        "url": url,
        "api_key": "${ODOO_API_KEY}",
        "database": "voxtra",
        "protocol": "json2",
        "backoff": 0.001,
        "backoff_max": 0.01,
        **extra,
    }
    lines = ["[controller]", 'name = "Voxtra"', "[systems.erp]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def _erasure(dsr: Dsr) -> str:
    rid = str(
        dsr.json("request", "new", "erasure", "--name", "Jan", "--email", "jan.peeters@example.be")[
            "id"
        ]
    )
    dsr("request", "verify", rid, "--method", "eID at the desk")
    return rid


def test_kept_invoice_fields_until_their_retention_then_anonymised(
    dsr: Dsr, served: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    dsr.write_config(_config(served.url, invoice_retention="1 year"))
    dsr("init")
    monkeypatch.setenv("DSR_TODAY", "2025-01-10")
    rid = _erasure(dsr)
    [task] = dsr.json("request", "run", rid)["tasks"]
    assert task["state"] == "done", task
    kept = {k["record_id"]: k["until"] for k in task["summary"]["kept"]}
    assert kept["res.partner/7#name"] == "2025-03-05" and kept["account.move/50"] == "2025-03-05"
    row = served.get("res.partner", 7)
    assert row is not None and row["name"] == "Jan Peeters" and row["email"] is False

    monkeypatch.setenv("DSR_TODAY", "2025-03-06")
    dsr("request", "run", "--due-erasures")
    row = served.get("res.partner", 7)
    assert row is not None and row["name"].startswith("Anonymised ") and row["street"] is False


def test_odoo_down_fails_the_task_after_max_attempts(
    dsr: Dsr, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    down = DownServer()
    try:
        dsr.write_config(_config(down.url, max_attempts=2) + "retries = 3\n")
        dsr("init")
        rid = _erasure(dsr)
        [task] = dsr.json("request", "run", rid)["tasks"]
        assert task["state"] == "failed", task
        assert "2 attempts" in task["error"]
        assert down.connections == 2  # not 2 x (1 + 3 engine retries)
    finally:
        down.close()
