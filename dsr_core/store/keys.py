"""The installation's secret key: hashes identifiers in logs and pseudonymises records.

Kept in the database (``dsr_meta.installation_key``) so every process and host sharing a
database uses the same key, and created on first use.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from .db import Store
from .models import Meta

KEY_NAME = "installation_key"


def installation_key(store: Store) -> bytes:
    with store.session(readonly=True) as session:  # it exists but once per installation
        row = session.get(Meta, KEY_NAME)
        if row is not None:
            return bytes.fromhex(row.value)
    with store.session() as session:
        row = session.get(Meta, KEY_NAME)
        if row is None:
            session.add(Meta(key=KEY_NAME, value=secrets.token_hex(32)))
            try:
                session.flush()
            except sa.exc.IntegrityError:  # another process created it first
                session.rollback()
                row = session.get(Meta, KEY_NAME)
                assert row is not None
                return bytes.fromhex(row.value)
            row = session.get(Meta, KEY_NAME)
            assert row is not None
        return bytes.fromhex(row.value)
