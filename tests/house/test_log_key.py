"""The logs hash identifiers with a secret of their own, not the installation key."""

from __future__ import annotations

import hashlib
import hmac
import json

import sqlalchemy as sa


def _meta(dsr, key):
    from dsr_core.config import load_config
    from dsr_core.store import open_store

    store = open_store(load_config(home=dsr.home).database_url)
    with store.engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT value FROM dsr_meta WHERE key = :k"), {"k": key}
        ).scalar_one_or_none()
    store.engine.dispose()
    return bytes.fromhex(value) if value else None


def _installation_key(dsr):
    from dsr_core.config import load_config
    from dsr_core.store import open_store
    from dsr_core.store.keys import installation_key

    store = open_store(load_config(home=dsr.home).database_url)
    try:
        return installation_key(store)
    finally:
        store.engine.dispose()


def test_log_hashes_cannot_be_recomputed_with_the_installation_key(dsr):
    from dsr_core.logging import get_logger

    dsr("init")
    dsr("request", "new", "access", "--name", "Jan", "--email", "jan@example.be")
    get_logger("test").warning("probe", email="jan@example.be")
    log = dsr.home / "logs" / "dsr.log"
    line = json.loads([x for x in log.read_text().splitlines() if '"probe"' in x][-1])
    installation, log_key = _installation_key(dsr), _meta(dsr, "log_key")
    assert installation and log_key and installation != log_key

    def keyed(key):
        return "h:" + hmac.new(key, b"jan@example.be", hashlib.sha256).hexdigest()[:12]

    assert line["email"] == keyed(log_key)
    assert line["email"] != keyed(installation)


def test_an_installation_without_a_log_key_gets_one_and_keeps_its_trail(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@x.be")["id"])
    installation = _installation_key(dsr)
    from dsr_core.config import load_config
    from dsr_core.store import open_store

    store = open_store(load_config(home=dsr.home).database_url)
    with store.engine.begin() as conn:  # as an installation made before the log key existed
        conn.execute(sa.text("DELETE FROM dsr_meta WHERE key = 'log_key'"))
    store.engine.dispose()
    dsr("request", "verify", rid, "--method", "eID")
    assert dsr.json("audit", "verify")["ok"] is True
    assert _meta(dsr, "installation_key") == installation
    assert _meta(dsr, "log_key") not in (None, installation)
