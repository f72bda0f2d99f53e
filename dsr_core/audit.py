"""The append-only, hash-chained audit trail.

Every state change, clock event and command that changes something appends one event in the
same transaction as the change. Each event's hash covers its sequence number, time, actor,
request, action, data and the previous event's hash; ``dsr_meta.audit_head`` holds the last
sequence number and hash, so deleting the newest events is found too. :func:`verify` walks the
chain and names the first event that was edited, deleted or moved.

The trail outlives erasure, so event data holds no identifiers of the subject: counts, kinds,
system names, dates and staff's own words, never an e-mail address or a number.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .store.models import AuditEvent, Meta

GENESIS = "0" * 64
HEAD_KEY = "audit_head"

# Appending is on every step's path: its statements are built once, with bound parameters
# (building a statement costs several times what running it does).
_META = Meta.__table__
_READ_HEAD = sa.select(_META.c.value).where(_META.c.key == HEAD_KEY)
_READ_HEAD_LOCKED = _READ_HEAD.with_for_update()  # PostgreSQL: appenders queue, no forks
_INSERT_EVENT = sa.insert(AuditEvent.__table__)
_INSERT_HEAD = sa.insert(_META).values(key=HEAD_KEY, value=sa.bindparam("head"))
_UPDATE_HEAD = sa.update(_META).where(_META.c.key == HEAD_KEY).values(value=sa.bindparam("head"))


def default_actor() -> str:
    """``$DSR_ACTOR`` or the OS user."""
    env = os.environ.get("DSR_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _canonical(data: Mapping[str, Any]) -> str:
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
    body = _canonical(
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


def _connection(where: Session | sa.Connection) -> sa.Connection:
    return where.connection() if isinstance(where, Session) else where


def _head(where: Session | sa.Connection) -> tuple[int, str]:
    conn = _connection(where)
    stmt = _READ_HEAD_LOCKED if conn.dialect.name == "postgresql" else _READ_HEAD
    value = conn.execute(stmt).scalar_one_or_none()
    if value is None:
        return 0, GENESIS
    seq, _, digest = value.partition(":")
    return int(seq), digest


def append(
    where: Session | sa.Connection,
    action: str,
    *,
    actor: str,
    request_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> int:
    """Add an event to the trail inside the caller's unit of work; returns its number.

    Plain prepared statements on the unit of work's connection.
    """
    conn = _connection(where)
    seq, prev = _head(conn)
    seq += 1
    at = datetime.now(UTC)
    payload = _canonical(dict(data or {}))
    digest = event_hash(seq, at, actor, request_id, action, payload, prev)
    conn.execute(
        _INSERT_EVENT,
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "request_id": request_id,
            "action": action,
            "data": payload,
            "prev_hash": prev,
            "hash": digest,
        },
    )
    conn.execute(_INSERT_HEAD if seq == 1 else _UPDATE_HEAD, {"head": f"{seq}:{digest}"})
    return seq


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    problem: str | None = None
    first_bad_seq: int | None = None


def _events(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(
        sa.select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    ).scalars()


def verify(session: Session) -> VerifyResult:
    """Walk the chain; the first broken link is named."""
    expected_seq, prev = 1, GENESIS
    count = 0
    for event in _events(session):
        count += 1
        if event.seq != expected_seq:
            return VerifyResult(
                False,
                count,
                f"event {expected_seq} is missing (deleted or renumbered)",
                expected_seq,
            )
        recomputed = event_hash(
            event.seq,
            event.at,
            event.actor,
            event.request_id,
            event.action,
            event.data,
            event.prev_hash,
        )
        if recomputed != event.hash:
            return VerifyResult(
                False,
                count,
                f"event {event.seq} was edited: its content no longer matches its hash",
                event.seq,
            )
        if event.prev_hash != prev:
            return VerifyResult(
                False,
                count,
                f"event {event.seq} does not follow event {event.seq - 1}: an "
                "event before it was deleted, edited or reordered",
                event.seq,
            )
        prev = event.hash
        expected_seq += 1
    head_seq, head_hash = _head(session)
    last = expected_seq - 1
    if head_seq != last:
        if head_seq > last:
            return VerifyResult(
                False, count, f"events {last + 1} to {head_seq} were deleted", last + 1
            )
        return VerifyResult(
            False, count, f"event {head_seq + 1} was added outside dsr", head_seq + 1
        )
    if last and head_hash != prev:
        return VerifyResult(False, count, f"event {last} was replaced", last)
    return VerifyResult(True, count)


def for_request(session: Session, request_id: int) -> list[AuditEvent]:
    return list(
        session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.request_id == request_id)
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "request_id": event.request_id,
        "action": event.action,
        "data": json.loads(event.data),
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }
