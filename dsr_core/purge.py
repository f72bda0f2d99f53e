"""``dsr purge``: dsr's own copies of personal data, removed once their time is up.

dsr holds personal data itself: what each system returned (``task_results``, the keys each
system located, on ``tasks.keys``), the export bundles under ``<home>/exports/``, the request
with its identities, and staff's free text on the audit trail. Three rules, from
``[retention]`` in ``dsr.toml`` (:class:`~dsr_core.config.RetentionConfig`):

* **Results and bundles** of a closed request (completed, rejected or withdrawn) go
  ``keep_results_for`` (default 30 days) after the subject was answered (the first
  ``dsr request answer``), or after it was closed when no answer was recorded.
* **At once when an erasure completes**, the results and bundles of every other closed request
  of the same subject, made before the erasure completed, go too (they hold what was just
  erased). *Same subject* means sharing an e-mail address, a phone number (both normalised) or
  a customer id (the same value, qualified by the same system or unqualified), whether given
  with the request or found by a system while it ran. The erasure's own results (what was
  erased and kept) stay until its own ``keep_results_for``: they are its answer.
* **At once when a termination completes** (the contract's end, docs/termination.md), the same,
  but only for the systems it erased (its done tasks): the results and keys of those systems'
  tasks in the subject's earlier closed requests, and those requests' bundles written before
  the termination completed (a bundle holds every system's data). The other systems' results
  follow the period rule.
* **The request itself** (its row, identities, clock pauses, tasks, notices and their ``.eml``
  files in the outbox, letters) and the
  free text of its audit events go ``keep_requests_for`` (default 3 years) after it was
  closed, for accountability until then. A request still waiting for a scheduled erasure (a
  kept record whose retention has not ended) or for a supplier's confirmation is held back.
  The audit events stay: the chain covers only digests of the free text, so it still verifies.

Bundles are found by their default name, ``request-<id>-*.zip`` in ``<home>/exports/`` (with
any ``.part`` file a killed export left). A bundle written elsewhere with ``-o`` is the staff's
to remove. Every purge is on the audit trail (``purge.results``, ``purge.request``) with counts
only. Safe to run from cron as often as wanted; ``--dry-run`` only says what would go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from . import audit
from .config import Config
from .errors import UserError
from .model import IdentityKind, RequestKind, RequestState, TaskState
from .store import Store
from .store.models import (
    AuditTextRow,
    Base,
    IdentityRow,
    NoticeRow,
    RequestRow,
    ScheduledErasureRow,
    TaskResultRow,
    TaskRow,
)

#: Identity kinds that tie two requests to one subject (a name alone never does).
MATCHING_KINDS = (
    IdentityKind.EMAIL.value,
    IdentityKind.PHONE.value,
    IdentityKind.CUSTOMER_ID.value,
)
_CLOSED = (RequestState.COMPLETED.value, RequestState.REJECTED.value, RequestState.WITHDRAWN.value)
_OPEN_NOTICES = ("pending", "sent", "failed")
#: A task still holding the keys its system located (a JSON column: SQL NULL or JSON null).
_HAS_KEYS = sa.and_(TaskRow.keys.is_not(None), sa.cast(TaskRow.keys, sa.Text) != "null")
_BUNDLE = re.compile(r"^\.?request-(\d+)-.*\.(zip|part)$")


@dataclass
class PurgeReport:
    """What a purge removed (or, with ``dry_run``, would remove)."""

    dry_run: bool = False
    #: request id -> why its results went: "period" or "erasure <id>".
    results: dict[int, str] = field(default_factory=dict)
    result_rows: int = 0
    bundles: list[str] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    #: past keep_requests_for, held back: request id -> why.
    held: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "results_purged": sorted(self.results),
            "result_rows": self.result_rows,
            "bundles_removed": sorted(self.bundles),
            "requests_purged": sorted(self.requests),
            "held": {str(k): v for k, v in sorted(self.held.items())},
        }


def _closed_day(row: RequestRow, config: Config) -> date | None:
    if row.closed_at is None:
        return None
    return row.closed_at.astimezone(config.controller.tz).date()


def _answered_day(session: Session, row: RequestRow, config: Config) -> date | None:
    """The day the subject was first answered (``dsr request answer``), if ever."""
    from .answer.record import answered

    first = answered(session, row.id)
    if first is None:
        return None
    return first.answered_at.astimezone(config.controller.tz).date()


def same_subject(session: Session, request_ids: Sequence[int]) -> dict[int, set[int]]:
    """For each of ``request_ids``: the other requests sharing an e-mail, phone number or
    customer id with it (see the module's definition of the same subject)."""
    if not request_ids:
        return {}
    mine, other = aliased(IdentityRow), aliased(IdentityRow)
    system_matches = sa.or_(
        mine.kind != IdentityKind.CUSTOMER_ID.value,
        mine.system.is_(None),
        other.system.is_(None),
        mine.system == other.system,
    )
    rows = session.execute(
        sa.select(mine.request_id, other.request_id)
        .join(other, sa.and_(other.kind == mine.kind, other.value == mine.value))
        .where(
            mine.request_id.in_(list(request_ids)),
            mine.kind.in_(MATCHING_KINDS),
            other.request_id != mine.request_id,
            system_matches,
        )
        .distinct()
    ).all()
    found: dict[int, set[int]] = {rid: set() for rid in request_ids}
    for rid, related in rows:
        found[rid].add(related)
    return found


def _bundles(exports: Path) -> dict[int, list[Path]]:
    """Bundles under ``exports`` by request id, from their default names."""
    found: dict[int, list[Path]] = {}
    try:
        entries = list(exports.iterdir())
    except OSError:
        return found
    for path in entries:
        match = _BUNDLE.match(path.name)
        if match and path.is_file() and not path.is_symlink():
            found.setdefault(int(match.group(1)), []).append(path)
    return found


def _letters(home: Path, request_id: int) -> list[Path]:
    folder = home / "letters"
    if not folder.is_dir():
        return []
    return [p for p in folder.glob(f"request-{request_id}-*.txt") if p.is_file()]


def _outbox(config: Config, request_id: int) -> list[Path]:
    """The request's notices in the outbox folder (``N-<request>-<supplier>.eml``), with any
    temporary file a killed send left."""
    from .recipients.settings import load

    try:
        folder = load(config).outbox
    except UserError:  # a broken [notices] table: nothing to find there
        return []
    if not folder.is_dir():
        return []
    mine = re.compile(rf"^\.?N-{request_id}-\d+\.eml(\..*\.tmp)?$")
    return [p for p in folder.iterdir() if mine.match(p.name) and p.is_file()]


@dataclass(frozen=True)
class _Superseded:
    """Why a closed request's copies go at once: a later erasure or termination of the same
    subject (``by``), and which systems' results (None: all of them)."""

    by: int
    why: str
    systems: frozenset[str] | None
    since: datetime  # when the erasure or termination completed


def _superseding(
    session: Session, candidates: Iterable[RequestRow], only: int | None
) -> dict[int, _Superseded]:
    """Closed request id -> the completed erasure (every system) or termination (the systems
    it erased) of the same subject that completed after the request was made. An erasure
    wins over a termination; several terminations add up their systems."""
    stmt = sa.select(RequestRow).where(
        RequestRow.kind.in_([RequestKind.ERASURE.value, RequestKind.TERMINATION.value]),
        RequestRow.state == RequestState.COMPLETED.value,
    )
    if only is not None:
        stmt = stmt.where(RequestRow.id == only)
    supersedings = {e.id: e for e in session.execute(stmt.order_by(RequestRow.id)).scalars()}
    if not supersedings:
        return {}
    by_id = {c.id: c for c in candidates}
    related = same_subject(session, list(supersedings))
    result: dict[int, _Superseded] = {}
    for sid, others in sorted(related.items()):
        row = supersedings[sid]
        assert row.closed_at is not None
        if row.kind == RequestKind.ERASURE.value:
            systems: frozenset[str] | None = None
            why = f"erasure {sid}"
        else:
            systems = frozenset(t.system for t in row.tasks if t.state == TaskState.DONE.value)
            why = f"termination {sid}"
            if not systems:
                continue
        for rid in sorted(others):
            other = by_id.get(rid)
            if other is None or other.created_at > row.closed_at:
                continue
            before = result.get(rid)
            if before is None or (before.systems is not None and systems is None):
                result[rid] = _Superseded(sid, why, systems, row.closed_at)
            elif before.systems is not None and systems is not None:
                result[rid] = _Superseded(
                    before.by,
                    before.why,
                    before.systems | systems,
                    max(before.since, row.closed_at),
                )
    return result


def _tasks_of(request_id: int, systems: frozenset[str] | None) -> sa.Select[Any]:
    stmt = sa.select(TaskRow.id).where(TaskRow.request_id == request_id)
    return stmt if systems is None else stmt.where(TaskRow.system.in_(sorted(systems)))


def _has_results(session: Session, request_id: int, systems: frozenset[str] | None = None) -> int:
    """How many result rows and located keys the request still holds (of ``systems``' tasks
    only, when given)."""
    tasks = _tasks_of(request_id, systems)
    rows = session.execute(
        sa.select(sa.func.count()).where(TaskResultRow.task_id.in_(tasks))
    ).scalar_one()
    keys = session.execute(
        sa.select(sa.func.count()).where(TaskRow.id.in_(tasks), _HAS_KEYS)
    ).scalar_one()
    return int(rows) + int(keys)


def _drop_results(session: Session, request_id: int, systems: frozenset[str] | None = None) -> int:
    tasks = _tasks_of(request_id, systems)
    removed = session.execute(
        sa.delete(TaskResultRow).where(TaskResultRow.task_id.in_(tasks))
    ).rowcount
    session.execute(
        sa.update(TaskRow).where(TaskRow.id.in_(tasks), _HAS_KEYS).values(keys=sa.null())
    )
    return int(removed or 0)


def _written_before(paths: Iterable[Path], moment: datetime) -> list[Path]:
    """The bundles written before ``moment`` (those that hold what was erased then)."""
    found = []
    for path in paths:
        try:
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            continue
        if mtime <= moment:
            found.append(path)
    return found


def _has_task_in(session: Session, request_id: int, systems: frozenset[str]) -> bool:
    return session.execute(_tasks_of(request_id, systems).limit(1)).first() is not None


def _unlink(paths: Iterable[Path]) -> list[str]:
    removed = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path.name)
    return removed


def _held_back(session: Session, request_id: int) -> str | None:
    waiting = session.execute(
        sa.select(sa.func.min(ScheduledErasureRow.due_on)).where(
            ScheduledErasureRow.request_id == request_id, ScheduledErasureRow.done_at.is_(None)
        )
    ).scalar_one_or_none()
    if waiting is not None:
        return f"a scheduled erasure is due on {waiting.isoformat()}"
    open_notices = session.execute(
        sa.select(sa.func.count()).where(
            NoticeRow.request_id == request_id, NoticeRow.state.in_(_OPEN_NOTICES)
        )
    ).scalar_one()
    if open_notices:
        return f"{open_notices} supplier notice(s) not confirmed"
    return None


def _delete_with_dependents(session: Session, table: sa.Table, where: Any) -> None:
    """Delete ``table``'s rows matching ``where`` after every row that refers to them by a
    foreign key, whatever the table (tasks, identities, pauses, notices, results, and tables
    later releases add), deepest first."""
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and other is not table:
                ids = sa.select(fk.column).where(where)
                _delete_with_dependents(session, other, fk.parent.in_(ids))
    session.execute(sa.delete(table).where(where))


def _drop_request(session: Session, request_id: int) -> None:
    requests = RequestRow.__table__
    _delete_with_dependents(session, requests, requests.c.id == request_id)
    session.execute(sa.delete(AuditTextRow).where(AuditTextRow.request_id == request_id))


def purge(
    store: Store,
    config: Config,
    *,
    today: date,
    actor: str,
    dry_run: bool = False,
    only_superseding: int | None = None,
) -> PurgeReport:
    """Apply the three rules (see the module); with ``only_superseding``, only the rule of that
    completed erasure or termination (what completing it runs at once)."""
    report = PurgeReport(dry_run=dry_run)
    retention = config.retention
    results_cutoff = retention.keep_results_for.before(today)
    requests_cutoff = retention.keep_requests_for.before(today)
    bundles = _bundles(config.home / "exports")
    only = only_superseding
    with store.session(readonly=True) as session:
        closed = list(
            session.execute(
                sa.select(RequestRow)
                .where(RequestRow.state.in_(_CLOSED), RequestRow.closed_at.is_not(None))
                .order_by(RequestRow.id)
            ).scalars()
        )
        superseded = _superseding(session, closed, only)
        plans: list[_Plan] = []
        for row in closed:
            day = _closed_day(row, config)
            assert day is not None
            whole = only is None and day <= requests_cutoff
            if whole:
                held = _held_back(session, row.id)
                if held is not None:
                    report.held[row.id] = held
                    whole = False
            mine = bundles.get(row.id, [])
            by = superseded.get(row.id)
            period = only is None and (_answered_day(session, row, config) or day) <= results_cutoff
            if by is not None and by.systems is not None and not (whole or period):
                # a termination: only its systems' results, and the bundles holding them
                if not _has_task_in(session, row.id, by.systems):
                    continue
                files = _written_before(mine, by.since)
                if _has_results(session, row.id, by.systems) or files:
                    plans.append(_Plan(row.id, by.why, False, by.systems, files))
                continue
            if by is not None and by.systems is None:
                why = by.why
            elif period:
                why = "period"
            else:
                continue
            if row.results_purged_at is not None and not whole and not mine:
                continue  # done before: a closed request gets no new results
            if whole or _has_results(session, row.id) or mine:
                plans.append(_Plan(row.id, why, whole, None, list(mine)))
    for plan in plans:
        rid, why, whole = plan.request_id, plan.why, plan.whole
        files = list(plan.bundles)
        if whole:
            files += _letters(config.home, rid) + _outbox(config, rid)
        if dry_run:
            report.results[rid] = why
            report.bundles += [p.name for p in plan.bundles]
            if whole:
                report.requests.append(rid)
            continue
        with store.session() as session:
            rows = _drop_results(session, rid, plan.systems)
            if whole:
                _drop_request(session, rid)
            elif plan.systems is None:
                session.execute(
                    sa.update(RequestRow)
                    .where(RequestRow.id == rid)
                    .values(results_purged_at=datetime.now(UTC))
                )
            data: dict[str, Any] = {
                "why": why,
                "result_rows": rows,
                "bundles": len(plan.bundles),
            }
            if plan.systems is not None:
                data["systems"] = sorted(plan.systems)
            audit.append(
                session,
                "purge.request" if whole else "purge.results",
                actor=actor,
                request_id=rid,
                data=data,
            )
        # Files after the commit: a crash in between leaves a file the next run removes.
        removed = _unlink(files)
        report.results[rid] = why
        report.result_rows += rows
        report.bundles += [n for n in removed if n.endswith((".zip", ".part"))]
        if whole:
            report.requests.append(rid)
    return report


@dataclass(frozen=True)
class _Plan:
    request_id: int
    why: str
    whole: bool  # the request itself goes too
    systems: frozenset[str] | None  # only these systems' results (a termination)
    bundles: list[Path]


def after_completion(store: Store, config: Config, request_id: int, *, actor: str) -> None:
    """What completing a request purges at once: for an erasure, the results and bundles of
    the subject's earlier requests; for a termination, those of the systems it erased.
    Nothing for other kinds."""
    with store.session(readonly=True) as session:
        row = session.get(RequestRow, request_id)
        if row is None or row.kind not in (
            RequestKind.ERASURE.value,
            RequestKind.TERMINATION.value,
        ):
            return
        if row.state != RequestState.COMPLETED.value:
            return
    from .requests import controller_today

    purge(
        store,
        config,
        today=controller_today(config.controller),
        actor=actor,
        only_superseding=request_id,
    )
