"""The core's conformance suite against the odoo type, over JSON-2 and over XML-RPC."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.testing import SystemConformance, make_context
from dsr_plugins.crm.odoo import OdooSystem
from tests.odoo.conftest import TODAY, config_for
from tests.odoo.fake_odoo import FakeOdoo


class TestOdooJson2(SystemConformance):
    protocol_name = "json2"

    @pytest.fixture
    def system(self, odoo: FakeOdoo, tmp_path: Path) -> OdooSystem:
        return OdooSystem(
            "odoo",
            config_for(odoo, self.protocol_name),
            make_context("odoo", tmp_path, today=TODAY),
        )

    @pytest.fixture
    def subject(self) -> Subject:
        return Subject("Jan Peeters", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))

    @pytest.fixture
    def stranger(self) -> Subject:
        return Subject(
            "Nobody",
            (
                Identity(IdentityKind.EMAIL, "nobody@example.be"),
                Identity(IdentityKind.PHONE, "+32477000000"),
            ),
        )

    @pytest.fixture
    def bad_config(self) -> Mapping[str, Any]:
        return {"url": "ftp://odoo.example.be", "api_key": "k"}


class TestOdooXmlRpc(TestOdooJson2):
    protocol_name = "xmlrpc"
