"""The append-only, hash-chained audit trail.

Every state change, clock event and command that changes something appends one event in the
same transaction as the change. Each event's hash covers its sequence number, time, actor,
request, action, data and the previous event's hash; ``dsr_meta.audit_head`` holds the last
sequence number and hash, so deleting the newest events is found too. :func:`verify` walks the
chain and names the first event that was edited, deleted or moved.

The trail outlives erasure, so event data holds no identifiers of the subject: counts, kinds,
system names and dates, never an e-mail address or a number. Staff's own words (a verification
method, a reason, a note: the values under :data:`FREE_TEXT_KEYS`) may name people, so they are
kept outside the chain, in ``audit_texts``: the event holds ``{"text_sha256": ...}`` (a salted
digest) in their place, which the chain covers. :func:`event_json` shows the text while it is
kept and ``[purged]`` once :mod:`dsr_core.purge` removed it with the request; :func:`verify`
checks every kept text against its digest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .chain import (  # noqa: F401 - part of this module's API
    FREE_TEXT_KEYS,
    GENESIS,
    HEAD_KEY,
    PURGED,
    TEXT_DIGEST,
    default_actor,
    event_hash,
    text_digest,
)
from .chain import canonical as _canonical
from .chain import split_texts as _split_texts
from .errors import NotFound
from .store.models import AuditEvent, AuditTextRow, Meta

# Appending is on every step's path: its statements are built once, with bound parameters
# (building a statement costs several times what running it does).
_META = Meta.__table__
_READ_HEAD = sa.select(_META.c.value).where(_META.c.key == HEAD_KEY)
_READ_HEAD_LOCKED = _READ_HEAD.with_for_update()  # PostgreSQL: appenders queue, no forks
_INSERT_EVENT = sa.insert(AuditEvent.__table__)
_INSERT_HEAD = sa.insert(_META).values(key=HEAD_KEY, value=sa.bindparam("head"))
_UPDATE_HEAD = sa.update(_META).where(_META.c.key == HEAD_KEY).values(value=sa.bindparam("head"))
_INSERT_TEXT = sa.insert(AuditTextRow.__table__)


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
    values = dict(data or {})
    texts = _split_texts(action, values)
    payload = _canonical(values)
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
    if texts:
        conn.execute(
            _INSERT_TEXT,
            [
                {"seq": seq, "name": n, "request_id": request_id, "salt": salt, "text": text}
                for n, salt, text in texts
            ],
        )
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
    bad_text = _first_bad_text(session)
    if bad_text is not None:
        return VerifyResult(
            False,
            count,
            f"the text kept with event {bad_text} was edited: it no longer matches the digest "
            "the chain holds",
            bad_text,
        )
    return VerifyResult(True, count)


def _first_bad_text(session: Session) -> int | None:
    """The first event whose kept free text does not match the digest in its data."""
    rows = session.execute(
        sa.select(AuditTextRow, AuditEvent.data)
        .join(AuditEvent, AuditEvent.seq == AuditTextRow.seq, isouter=True)
        .order_by(AuditTextRow.seq, AuditTextRow.name)
        .execution_options(yield_per=1000)
    )
    for text, data in rows:
        expected = json.loads(data).get(text.name) if data is not None else None
        if not isinstance(expected, dict) or expected.get(TEXT_DIGEST) != text_digest(
            text.salt, text.text
        ):
            return int(text.seq)
    return None


def for_request(session: Session, request_id: int) -> list[AuditEvent]:
    return list(
        session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.request_id == request_id)
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def events_of_request(
    session: Session, request_id: str, get: Callable[[Session, str], Any]
) -> tuple[int, list[dict[str, Any]]]:
    """The events of one request as :func:`event_json`, also once ``dsr purge`` removed the
    request itself (the events outlive it); ``get`` is how the request is looked up, and its
    error stands when there is neither request nor event."""
    try:
        rid = int(get(session, request_id).id)
    except NotFound as missing:
        text = str(request_id).strip().lstrip("#")
        events = for_request(session, int(text)) if text.isdigit() else []
        if not events:
            raise missing from None
        rid = int(text)
    else:
        events = for_request(session, rid)
    texts = texts_of(session, events)
    return rid, [event_json(e, texts) for e in events]


def texts_of(session: Session, events: list[AuditEvent]) -> dict[tuple[int, str], str]:
    """The kept free texts of ``events``, by (seq, name)."""
    seqs = [e.seq for e in events]
    found: dict[tuple[int, str], str] = {}
    for start in range(0, len(seqs), 500):
        chunk = seqs[start : start + 500]
        for row in session.execute(
            sa.select(AuditTextRow).where(AuditTextRow.seq.in_(chunk))
        ).scalars():
            found[(row.seq, row.name)] = row.text
    return found


def event_json(
    event: AuditEvent, texts: Mapping[tuple[int, str], str] | None = None
) -> dict[str, Any]:
    """The event for people and scripts: staff's free text in place while it is kept (pass
    ``texts`` from :func:`texts_of`; without it the text is read from ``event``'s session),
    ``[purged]`` once it is gone."""
    data = json.loads(event.data)
    if isinstance(data, dict) and any(
        isinstance(v, dict) and TEXT_DIGEST in v for v in data.values()
    ):
        if texts is None:
            session = Session.object_session(event)
            texts = texts_of(session, [event]) if session is not None else {}
        for key, value in data.items():
            if isinstance(value, dict) and TEXT_DIGEST in value:
                data[key] = texts.get((event.seq, key), PURGED)
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "request_id": event.request_id,
        "action": event.action,
        "data": data,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }
