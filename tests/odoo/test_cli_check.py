"""``dsr systems check`` against the fake Odoo, as staff run it (issue 10: it said "ok" for a
database that does not exist)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Dsr
from tests.odoo.conftest import API_KEY, seed
from tests.odoo.fake_odoo import FakeOdoo


@pytest.fixture
def served() -> Iterator[FakeOdoo]:
    fake = FakeOdoo(api_key=API_KEY)
    seed(fake)
    with fake.serve():
        yield fake


def _config(dsr: Dsr, odoo: FakeOdoo, database: str) -> None:
    dsr.write_config(
        '[controller]\nname = "Voxtra bvba"\nemail = "privacy@voxtra.be"\n\n'
        f'[systems.erp]\ntype = "odoo"\nurl = "{odoo.url}"\n'
        f'api_key = "${{ODOO_API_KEY}}"\ndatabase = "{database}"\nprotocol = "json2"\n'
    )


def test_systems_check_names_a_database_that_does_not_exist(
    dsr: Dsr, served: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODOO_API_KEY", API_KEY)
    _config(dsr, served, "voxtra_2025")
    result = dsr.fails("systems", "check", "--json")
    [erp] = result.json
    assert erp["ok"] is False and "'voxtra_2025'" in erp["problems"][0]
    assert API_KEY not in result.stdout
    _config(dsr, served, served.database)
    [erp] = dsr.json("systems", "check")
    assert erp["ok"] is True, erp
