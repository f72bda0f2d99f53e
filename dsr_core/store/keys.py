"""The installation's secrets, each created on first use and kept in ``dsr_meta``.

Kept in the database so every process and host sharing a database uses the same ones:

``installation_key``
    What :meth:`~dsr_core.systems.SystemContext.pseudonymise` and the PBX plugin's record ids
    are keyed with. Never used to anonymise (erasure tokens have a random key per step).
``log_key``
    What hashes identifiers in the logs (``h:<12 hex>``). A separate secret, so that the
    installation key (which plugins see) cannot be used to test a candidate identifier
    against the logs. Installations made before it existed get one on first use; nothing
    else changes (the audit chain is keyed with neither).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from .db import Store
from .models import Meta

KEY_NAME = "installation_key"
LOG_KEY_NAME = "log_key"


def _secret(store: Store, name: str) -> bytes:
    with store.session(readonly=True) as session:  # it exists but once per installation
        row = session.get(Meta, name)
        if row is not None:
            return bytes.fromhex(row.value)
    with store.session() as session:
        row = session.get(Meta, name)
        if row is None:
            session.add(Meta(key=name, value=secrets.token_hex(32)))
            try:
                session.flush()
            except sa.exc.IntegrityError:  # another process created it first
                session.rollback()
                row = session.get(Meta, name)
                assert row is not None
                return bytes.fromhex(row.value)
            row = session.get(Meta, name)
            assert row is not None
        return bytes.fromhex(row.value)


def installation_key(store: Store) -> bytes:
    return _secret(store, KEY_NAME)


def log_key(store: Store) -> bytes:
    return _secret(store, LOG_KEY_NAME)
