"""Task results in the store: written in committed batches, read back as a stream.

Results are tagged with the attempt that wrote them. What a read step (access, portability)
returned is its latest finished attempt's; what a changing step (erase, rectify, restrict,
object) did is never lost: every attempt's outcomes are kept, written as soon as the system
hands them over (a run killed after the system changed its records but before the step's end
was recorded keeps them), and read merged by :func:`merged_outcomes`, where per record the
strongest action of any attempt wins (a record once erased stays erased).

Each result is one row whose ``payload`` is the JSON text of ``item.to_json()``, written and
read with :mod:`orjson` (several times faster than :mod:`json`, which takes over for what
orjson refuses: integers beyond 64 bits, ``NaN`` in rows written before). Values JSON does not
know are written as their ``str``, except dates and times, which are ISO 8601 with a ``T``
(``str(datetime)`` has a space), as the export writes them; dataclasses are their ``str``
too, and enums their value.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..model import Action, Outcome, Record
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
    """Appends one attempt's results; each batch is its own short transaction.

    ``eager`` (changing steps): every result is committed as soon as it is added, by a
    writer thread that commits whatever arrived meanwhile in one transaction (a system that
    hands over its outcomes quickly gets large batches; one that hands over a few and then
    stalls has them in the store within one commit). Call :meth:`close` before the end.
    """

    def __init__(self, store: Store, task_id: int, attempt: str, *, eager: bool = False) -> None:
        self.store = store
        self.task_id = task_id
        self.attempt = attempt
        self.count = 0
        self._pending: list[dict[str, Any]] = []
        self._eager = eager
        self._cond = threading.Condition()
        self._closing = False
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        if eager:
            self._thread = threading.Thread(
                target=self._commit_loop, daemon=True, name=f"dsr-results-{task_id}"
            )
            self._thread.start()

    def add(self, item: Record | Outcome) -> None:
        row = {
            "task_id": self.task_id,
            "attempt": self.attempt,
            "seq": self.count,
            "payload": encode_payload(item.to_json()),
        }
        self.count += 1
        if self._eager:
            with self._cond:
                if self._failure is not None:
                    raise self._failure
                self._pending.append(row)
                self._cond.notify()
            return
        self._pending.append(row)
        if len(self._pending) >= BATCH:
            self.flush()

    def _commit_loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    return
                batch, self._pending = self._pending, []
            try:
                with self.store.engine.begin() as conn:
                    conn.execute(_INSERT, batch)
            except BaseException as exc:  # noqa: BLE001 - handed to the step by close()/add()
                with self._cond:
                    self._failure = exc
                    self._pending = []
                return

    def close(self) -> None:
        """Eager writer: wait until everything added is committed; raise what failed."""
        if self._thread is None:
            return
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        self._thread = None
        if self._failure is not None:
            raise self._failure

    def flush(self, *, final: bool = False) -> None:
        """Write what is pending in its own transaction; with ``final`` a small remainder is
        left for :func:`save_final`, which writes it with the task's completion."""
        if not self._pending or (final and len(self._pending) < BATCH):
            return
        with self.store.engine.begin() as conn:
            conn.execute(_INSERT, self._pending)
        self._pending = []


def save_final(session: Session, writer: ResultWriter, *, keep_others: bool = False) -> None:
    """In the unit of work that marks the task done: the last rows, and (a read step, not
    ``keep_others``) the removal of rows left by other attempts (a killed run, a retried
    try, an earlier run). A changing step keeps every attempt's outcomes."""
    conn = session.connection()  # plain executemany: no ORM bulk machinery on this path
    writer.close()
    if writer._pending:
        conn.execute(_INSERT, writer._pending)
        writer._pending = []
    if not keep_others:
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


#: Which action wins when attempts disagree about one record: what was done to it beats what
#: was found left (an attempt after an erasure finds the record gone or unchanged).
STRENGTH: dict[Action, int] = {
    Action.ERASED: 6,
    Action.ANONYMISED: 5,
    Action.RECTIFIED: 4,
    Action.RESTRICTED: 4,
    Action.UNRESTRICTED: 4,
    Action.OPTED_OUT: 4,
    Action.KEPT: 2,
    Action.UNCHANGED: 1,
}


def _all_rows(store: Store, task_id: int) -> Iterator[tuple[int, str, str]]:
    """Every stored result of the task, every attempt, in the order written."""
    last = -1
    while True:
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(TaskResultRow.id, TaskResultRow.attempt, TaskResultRow.payload)
                .where(TaskResultRow.task_id == task_id, TaskResultRow.id > last)
                .order_by(TaskResultRow.id)
                .limit(5000)
            ).all()
        if not rows:
            return
        for row_id, attempt, payload in rows:
            last = row_id
            yield row_id, attempt, payload


def attempts_of(store: Store, task_id: int) -> list[str]:
    """The attempts that left results for the task, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(TaskResultRow.attempt, sa.func.min(TaskResultRow.id).label("first_id"))
            .where(TaskResultRow.task_id == task_id)
            .group_by(TaskResultRow.attempt)
            .order_by(sa.text("first_id"))
        ).all()
    return [attempt for attempt, _ in rows]


def merged_outcomes(store: Store, task_id: int) -> Iterator[Outcome]:
    """What a changing task did, over all its attempts: one outcome per record, the
    strongest action of any attempt (on a tie, the later attempt's). This is the view every
    reader of outcomes uses: export, manifest, report, ``request show`` and the summary.

    Streamed in the order written: one attempt is read as it was stored; several are read
    twice (first to pick per record, keeping only row ids, then the chosen rows).
    """
    attempts = attempts_of(store, task_id)
    if len(attempts) <= 1:
        for attempt in attempts:
            yield from outcomes(store, task_id, attempt)
        return
    best: dict[str, tuple[int, int]] = {}  # record_id -> (strength, row id)
    for row_id, _attempt, payload in _all_rows(store, task_id):
        data = decode_payload(payload)
        strength = STRENGTH.get(Action(data["action"]), 3)
        key = str(data["record_id"])
        held = best.get(key)
        if held is None or strength >= held[0]:
            best[key] = (strength, row_id)
    chosen = {row_id for _, row_id in best.values()}
    del best
    for row_id, _attempt, payload in _all_rows(store, task_id):
        if row_id in chosen:
            yield Outcome.from_json(decode_payload(payload))
