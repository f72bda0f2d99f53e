"""The audit trail's chain, without a database: event hashes, the digests that stand in for
staff's free text, the actor. :mod:`dsr_core.audit` appends and verifies with these, and so does
the light path (:mod:`dsr_core.store.lite`), so both write the same bytes."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
HEAD_KEY = "audit_head"

#: Keys of event data whose text is staff's own words: kept outside the chain.
FREE_TEXT_KEYS = frozenset(
    {"method", "reason", "note", "notes", "resolution", "comment", "error", "detail", "text"}
)
#: ``(action, key)`` whose value is one of dsr's own words, not staff's text.
_CODES = frozenset({("clock.paused", "reason"), ("clock.resumed", "reason")})
TEXT_DIGEST = "text_sha256"
PURGED = "[purged]"


def text_digest(salt: str, text: str) -> str:
    return hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()


def split_texts(action: str, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Replace staff's free text in ``data`` by salted digests; returns (name, salt, text)."""
    texts = []
    for key in FREE_TEXT_KEYS.intersection(data):
        value = data[key]
        if not isinstance(value, str) or not value or (action, key) in _CODES:
            continue
        salt = secrets.token_hex(16)
        data[key] = {TEXT_DIGEST: text_digest(salt, value)}
        texts.append((key, salt, value))
    return texts


def default_actor() -> str:
    """``$DSR_ACTOR`` or the OS user."""
    env = os.environ.get("DSR_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def canonical(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(
    seq: int,
    at: datetime,
    actor: str,
    request_id: int | None,
    action: str,
    data: str,
    prev_hash: str,
) -> str:
    body = canonical(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "request_id": request_id,
            "action": action,
            "data": data,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()
