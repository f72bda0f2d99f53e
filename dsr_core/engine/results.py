"""Task results in the store: written in committed batches, read back as a stream.

Each result is one row whose ``payload`` is the JSON text of ``item.to_json()``, written and
read with :mod:`orjson` (several times faster than :mod:`json`, which takes over for what
orjson refuses: integers beyond 64 bits, ``NaN`` in rows written before). Values JSON does not
know are written as their ``str``, except dates and times, which are ISO 8601 with a ``T``
(``str(datetime)`` has a space), as the export writes them; dataclasses are their ``str``
too, and enums their value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..model import Outcome, Record
from ..store import Store
from ..store.models import TaskResultRow

BATCH = 2000
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
_RESULTS = TaskResultRow.__table__
_INSERT = sa.insert(_RESULTS)
_DROP_OTHER_ATTEMPTS = sa.delete(_RESULTS).where(
    _RESULTS.c.task_id == sa.bindparam("task_id"), _RESULTS.c.attempt != sa.bindparam("attempt")
)


def encode_payload(data: Any) -> str:
    """The JSON text stored for one result."""
    try:
        return orjson.dumps(data, default=str, option=_OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(data, ensure_ascii=False, default=str)


def decode_payload(text: str | bytes) -> Any:
    """One stored result back as JSON data."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class ResultWriter:
    """Appends one attempt's results; each batch is its own short transaction."""

    def __init__(self, store: Store, task_id: int, attempt: str) -> None:
        self.store = store
        self.task_id = task_id
        self.attempt = attempt
        self.count = 0
        self._pending: list[dict[str, Any]] = []

    def add(self, item: Record | Outcome) -> None:
        self._pending.append(
            {
                "task_id": self.task_id,
                "attempt": self.attempt,
                "seq": self.count,
                "payload": encode_payload(item.to_json()),
            }
        )
        self.count += 1
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self, *, final: bool = False) -> None:
        """Write what is pending in its own transaction; with ``final`` a small remainder is
        left for :func:`save_final`, which writes it with the task's completion."""
        if not self._pending or (final and len(self._pending) < BATCH):
            return
        with self.store.engine.begin() as conn:
            conn.execute(_INSERT, self._pending)
        self._pending = []


def save_final(session: Session, writer: ResultWriter) -> None:
    """In the unit of work that marks the task done: the last rows, and the removal of rows
    left by attempts that did not finish (a killed run, a retried try)."""
    conn = session.connection()  # plain executemany: no ORM bulk machinery on this path
    if writer._pending:
        conn.execute(_INSERT, writer._pending)
        writer._pending = []
    conn.execute(_DROP_OTHER_ATTEMPTS, {"task_id": writer.task_id, "attempt": writer.attempt})


def _payloads(store: Store, task_id: int, attempt: str) -> Iterator[dict[str, Any]]:
    last = -1
    while True:
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(TaskResultRow.seq, TaskResultRow.payload)
                .where(
                    TaskResultRow.task_id == task_id,
                    TaskResultRow.attempt == attempt,
                    TaskResultRow.seq > last,
                )
                .order_by(TaskResultRow.seq)
                .limit(5000)
            ).all()
        if not rows:
            return
        for seq, payload in rows:
            last = seq
            yield decode_payload(payload)


def records(store: Store, task_id: int, attempt: str) -> Iterator[Record]:
    for data in _payloads(store, task_id, attempt):
        yield Record.from_json(data)


def outcomes(store: Store, task_id: int, attempt: str) -> Iterator[Outcome]:
    for data in _payloads(store, task_id, attempt):
        yield Outcome.from_json(data)
