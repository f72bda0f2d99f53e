"""Talking to Odoo: retries on 5xx, 429 and timeouts, none on 4xx or faults; the protocol
choice; errors that never carry the key or Odoo's own texts."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.systems import ConfigError, PermanentError, TransientError
from dsr_core.testing import make_context
from dsr_plugins.crm.odoo import OdooSystem
from dsr_plugins.crm.odoo_client import OdooAuthError, OdooError
from tests.odoo.conftest import API_KEY, config_for
from tests.odoo.fake_odoo import FakeOdoo

JAN = Subject("Jan", (Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),))
SEARCH = "res.partner.search_read"


def _system(odoo: FakeOdoo, protocol: str, tmp_path: Path, **extra: Any) -> OdooSystem:
    return OdooSystem("odoo", config_for(odoo, protocol, **extra), make_context("odoo", tmp_path))


def test_5xx_is_retried_until_it_works(odoo: FakeOdoo, protocol: str, tmp_path: Path) -> None:
    system = _system(odoo, protocol, tmp_path)
    assert system.locate(JAN)
    searches = odoo.count(SEARCH)  # a locate's own searches (it follows what it finds)
    odoo.fail_next(2, status=503, call=SEARCH)
    assert system.locate(JAN)
    assert odoo.count(SEARCH) == 2 * searches + 2


def test_429_is_retried_with_a_capped_retry_after(
    odoo: FakeOdoo, protocol: str, tmp_path: Path
) -> None:
    system = _system(odoo, protocol, tmp_path)
    assert system.locate(JAN)
    searches = odoo.count(SEARCH)
    odoo.fail_next(1, status=429, call=SEARCH, headers={"Retry-After": "30"})
    assert system.locate(JAN)  # backoff_max (0.01 s) caps the server's 30 s
    assert odoo.count(SEARCH) == 2 * searches + 1


def test_attempts_are_bounded(odoo: FakeOdoo, protocol: str, tmp_path: Path) -> None:
    system = _system(odoo, protocol, tmp_path, max_attempts=3)
    odoo.fail_next(10, status=502, call=SEARCH)
    with pytest.raises(PermanentError, match="HTTP 502") as info:
        system.locate(JAN)
    assert odoo.count(SEARCH) == 3
    assert not isinstance(info.value, TransientError)  # the engine does not retry it again


def test_a_timeout_is_retried(odoo: FakeOdoo, protocol: str, tmp_path: Path) -> None:
    system = _system(odoo, protocol, tmp_path, request_timeout=0.3)
    assert system.locate(JAN)
    searches = odoo.count(SEARCH)
    odoo.fail_next(1, delay=0.8, call=SEARCH)
    assert system.locate(JAN)
    assert odoo.count(SEARCH) == 2 * searches + 1


def test_4xx_is_not_retried(odoo: FakeOdoo, tmp_path: Path) -> None:
    system = _system(odoo, "json2", tmp_path)
    odoo.fail_next(5, status=422, call=SEARCH)
    with pytest.raises(OdooError) as info:
        system.locate(JAN)
    assert odoo.count(SEARCH) == 1
    assert isinstance(info.value, PermanentError)
    assert "HTTP 422" in str(info.value) and "database 'voxtra'" in str(info.value)


def test_a_fault_is_not_retried(odoo: FakeOdoo, tmp_path: Path) -> None:
    system = _system(odoo, "xmlrpc", tmp_path)
    with pytest.raises(OdooError) as info:
        list(system._api().call("res.partner", "_private_thing"))
    assert info.value.code == 4 and info.value.kind == "AccessError"
    assert odoo.count("res.partner._private_thing") == 1


def test_bad_key_json2(odoo: FakeOdoo, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    system = _system(odoo, "json2", tmp_path, api_key="wrong-key-1234")
    with pytest.raises(OdooAuthError) as info:
        system.locate(JAN)
    assert "401" in str(info.value) and "wrong-key-1234" not in str(info.value)
    assert odoo.count("res.partner.fields_get") == 1  # never retried
    result = system.check()
    assert not result.ok and "401" in result.problems[0]
    assert "wrong-key-1234" not in caplog.text


def test_bad_key_xmlrpc(odoo: FakeOdoo, tmp_path: Path) -> None:
    system = _system(odoo, "xmlrpc", tmp_path, api_key="wrong-key-1234")
    with pytest.raises(OdooAuthError) as info:
        system.locate(JAN)
    assert "wrong-key-1234" not in str(info.value)
    assert odoo.count("common.authenticate") == 1


def test_logs_carry_no_personal_data_nor_the_key(
    odoo: FakeOdoo,
    protocol: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    system = _system(odoo, protocol, tmp_path)
    odoo.fail_next(1, status=503, call=SEARCH)
    keys = system.locate(JAN)
    list(system.erase(JAN, keys, dry_run=False))
    list(system.object(JAN, keys, dry_run=False))
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err
    assert "retrying" in logged and "odoo erasure done" in logged
    for secret in (API_KEY, "jan.peeters", "Peeters", "0477", "+32477", "Kerkstraat"):
        assert secret not in logged


def test_check(odoo: FakeOdoo, protocol: str, tmp_path: Path) -> None:
    result = _system(odoo, protocol, tmp_path).check()
    assert result.ok and result.details["protocol"] == protocol
    assert not [c for c in odoo.requests if c.endswith((".write", ".unlink", ".create"))]


@pytest.mark.parametrize(("version", "expected"), [(19, "json2"), (17, "xmlrpc"), (22, "json2")])
def test_auto_protocol_asks_the_server(version: int, expected: str, tmp_path: Path) -> None:
    fake = FakeOdoo(api_key=API_KEY, version=version)
    fake.add("res.partner", name="Jan", email="jan.peeters@example.be")
    with fake.serve():
        config = config_for(fake, "auto", username=fake.username)
        system = OdooSystem("odoo", config, make_context("odoo", tmp_path))
        assert system.locate(JAN)
        assert system._api().protocol == expected


def test_auto_protocol_by_configured_version(odoo: FakeOdoo, tmp_path: Path) -> None:
    system = _system(odoo, "auto", tmp_path, version="16.0", username=odoo.username)
    assert system.locate(JAN)
    assert system._api().protocol == "xmlrpc"
    assert odoo.count("common.version") == 0


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"api_key": "k"}, "url"),
        ({"url": "https://erp.example.be"}, "api_key"),
        ({"url": "https://u:p@erp.example.be", "api_key": "k"}, "url"),
        ({"url": "https://erp.example.be", "api_key": "k", "protocol": "soap"}, "protocol"),
        ({"url": "https://erp.example.be", "api_key": "k", "protocol": "xmlrpc"}, "XML-RPC"),
        ({"url": "https://erp.example.be", "api_key": "k", "version": "16.0"}, "XML-RPC"),
        ({"url": "https://erp.example.be", "api_key": "k", "invoice_retention": "long"}, "inv"),
        ({"url": "https://erp.example.be", "api_key": "k", "children": "some"}, "children"),
        ({"url": "https://erp.example.be", "api_key": "k", "max_attempts": 0}, "max_attempts"),
        ({"url": "https://erp.example.be", "api_key": "k", "invoices": "yes"}, "invoices"),
        ({"url": "https://erp.example.be", "api_key": "k", "timeout": 5}, "timeout"),
    ],
)
def test_bad_config(config: dict[str, Any], key: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        OdooSystem("crm", config, make_context("crm", tmp_path))
    message = str(info.value)
    assert "systems.crm" in message and key in message and "\n" not in message
    assert "u:p" not in message


class DownServer:
    """A loopback port whose server is gone: each connection is accepted and dropped at
    once (as by a proxy whose Odoo is down), and counted."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def down() -> Iterator[DownServer]:
    server = DownServer()
    yield server
    server.close()


@pytest.mark.parametrize("protocol", ["json2", "xmlrpc", "auto"])
def test_odoo_down_fails_fast_with_one_retry_policy(
    down: DownServer, protocol: str, tmp_path: Path
) -> None:
    """Issue 10: with Odoo down a run took 52 s: retries of fields_get, of a guessing
    search_read and of authenticate stacked. Now a step makes max_attempts attempts, and its
    error is not retried again by the engine."""
    from dsr_core.engine.calls import is_transient

    config = {
        "url": down.url,
        "api_key": API_KEY,
        "database": "voxtra",
        "username": "dsr-bot",
        "protocol": protocol,
        "max_attempts": 3,
        "backoff": 0.001,
        "backoff_max": 0.01,
    }
    system = OdooSystem("odoo", config, make_context("odoo", tmp_path))
    with pytest.raises(PermanentError) as info:
        system.locate(JAN)
    assert down.connections == 3
    assert not is_transient(info.value)
    assert "3 attempts" in str(info.value)
    down.connections = 0
    result = OdooSystem("odoo", config, make_context("odoo", tmp_path)).check()
    assert not result.ok and len(result.problems) == 1
    assert down.connections == 3
