"""``dsr request run --dry-run``: what every system would change, changing nothing.

Locates in every system (expanding identities in memory only), then calls each system's action
with ``dry_run=True``, concurrently and with the same retries and watchdog as a real run. No
task, identity or result is stored; one audit event records that a dry run happened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import audit
from .. import requests as reqs
from ..errors import UserError
from ..model import Action, Identity, RequestKind, Subject
from ..systems import ManualStep
from . import termination
from .calls import Progress, describe_error, with_retries
from .context import EngineContext
from .holdback import by_open_number, not_searched_error, waiting_error

SAMPLE = 20
MAX_ROUNDS = 5


@dataclass
class DrySystem:
    system: str
    # would-change, nothing, manual, failed, not_searched, waiting, left_alone (a termination)
    status: str = "pending"
    error: str | None = None
    instructions: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)
    keys: list[Identity] = field(default_factory=list)
    #: An erasure: the system reports the customer's contract active (the run would wait).
    active_contract: bool | None = None


def _parallel(ctx: EngineContext, names: Sequence[str], fn: Any) -> None:
    threads: dict[str, tuple[threading.Thread, Progress, float]] = {}
    for name in names:
        progress = Progress()
        thread = threading.Thread(target=fn, args=(name, progress), daemon=True)
        thread.start()
        threads[name] = (thread, progress, ctx.system_config(name).timeout)
    while threads:
        for name, (thread, progress, timeout) in list(threads.items()):
            if not thread.is_alive():
                threads.pop(name)
            elif progress.idle_for() > timeout:
                progress.cancelled.set()
                threads.pop(name)
                fn.timed_out(name, timeout)
        time.sleep(0.02)


def _hold_back(results: dict[str, DrySystem]) -> None:
    """As a run would (``orchestrator.ready``, ``_mark_not_searched``): while a system failed
    to locate, one that found nothing was not searched, and one that found the subject by a
    number given without a period waits; neither says what it would change."""
    failed = sorted(n for n, r in results.items() if r.status == "failed")
    if not failed:
        return
    for res in results.values():
        if res.status != "pending":
            continue
        if not res.keys:
            res.status, res.error = "not_searched", not_searched_error(failed)
        elif by_open_number(res.keys):
            res.status, res.error = "waiting", waiting_error(failed)


def dry_run(
    ctx: EngineContext, request_id: int | str, systems: Sequence[str] = ()
) -> tuple[int, list[DrySystem]]:
    with ctx.store.session() as session:
        row = reqs.get(session, request_id)
        session.expunge_all()
    kind = RequestKind(row.kind)
    if not kind.changes_data:
        raise UserError(
            f"--dry-run is for requests that change data; request {row.id} is {kind.value}"
        )
    if not reqs.RequestState(row.state).is_open:
        raise UserError(f"request {row.id} is {row.state}: nothing to run")
    names = list(systems) or [n for n, c in ctx.config.systems.items() if c.enabled]
    if not names:
        raise UserError("no systems are configured: add [systems.NAME] tables to dsr.toml")
    for name in names:
        ctx.system_config(name)
    names = termination.systems_for(ctx.config, kind, names, named=bool(systems))
    results = {name: DrySystem(name) for name in names}
    built: dict[str, Any] = {}
    auto = []
    for name in names:
        try:
            cls = ctx.system_type(name)
            if termination.act_kind(kind, ctx.system_config(name)) not in cls.kinds:
                results[name].status = "manual"
                results[name].instructions = ctx.system_config(name).instructions_for(kind.value)
                continue
            built[name] = ctx.build(name)
            auto.append(name)
        except UserError as exc:
            results[name].status, results[name].error = "failed", str(exc)
    subject = reqs.subject_of(row)
    lock = threading.Lock()

    def record_failure(name: str, exc: BaseException) -> None:
        with lock:
            if isinstance(exc, ManualStep):
                results[name].status, results[name].instructions = "manual", exc.instructions
            else:
                results[name].status, results[name].error = "failed", describe_error(exc)

    for _ in range(MAX_ROUNDS):
        current = subject
        found: list[Identity] = []

        def locate(
            name: str, progress: Progress, current: Subject = current, found: list[Identity] = found
        ) -> None:
            def ask() -> tuple[list[Identity], bool | None]:
                system, matching = built[name], current.narrowed()
                keys = list(system.locate(matching))
                asked = keys and kind is RequestKind.ERASURE
                return keys, system.active_contract(matching, keys) if asked else None

            try:
                keys, active = with_retries(
                    ask,
                    retries=ctx.system_config(name).retries,
                    progress=progress,
                    wait_initial=ctx.retry_wait_initial,
                )
                with lock:
                    results[name].keys = keys
                    results[name].active_contract = active
                    found.extend(k for k in keys if k.source != "request")
            except Exception as exc:  # noqa: BLE001
                record_failure(name, exc)

        locate.timed_out = lambda name, t: record_failure(  # type: ignore[attr-defined]
            name, TimeoutError(f"no answer for {t:g} s: timed out")
        )
        _parallel(ctx, [n for n in auto if results[n].status == "pending"], locate)
        subject = current.with_identities(found)
        if len(subject.identities) == len(current.identities):
            break

    matching = subject.narrowed()  # as the run's steps match (Loaded.for_systems)

    def act(name: str, progress: Progress, subject: Subject = matching) -> None:
        system, res = built[name], results[name]
        if not res.keys:
            res.status = "nothing"
            return

        def call() -> None:
            counts: dict[str, int] = {}
            sample: list[dict[str, Any]] = []
            doing = termination.act_kind(kind, ctx.system_config(name))
            if doing == RequestKind.ERASURE:
                items = system.erase(subject, res.keys, dry_run=True)
            elif doing == RequestKind.RECTIFICATION:
                items = system.rectify(subject, res.keys, row.changes or {}, dry_run=True)
            elif doing == RequestKind.RESTRICTION:
                items = system.restrict(subject, res.keys, lift=False, dry_run=True)
            else:
                items = system.object(subject, res.keys, dry_run=True)
            for outcome in items:
                progress.tick()
                counts[outcome.action.value] = counts.get(outcome.action.value, 0) + 1
                if len(sample) < SAMPLE and outcome.action != Action.UNCHANGED:
                    sample.append(outcome.to_json())
            res.counts, res.sample = counts, sample
            res.status = (
                "would-change" if any(a != Action.UNCHANGED.value for a in counts) else "nothing"
            )

        try:
            with_retries(
                call,
                retries=ctx.system_config(name).retries,
                progress=progress,
                wait_initial=ctx.retry_wait_initial,
            )
        except Exception as exc:  # noqa: BLE001
            record_failure(name, exc)

    act.timed_out = lambda name, t: record_failure(  # type: ignore[attr-defined]
        name, TimeoutError(f"no answer for {t:g} s: timed out")
    )
    _hold_back(results)
    _parallel(ctx, [n for n in auto if results[n].status == "pending"], act)
    if not systems:
        for name in termination.left_alone(ctx.config, kind):
            results[name] = DrySystem(name, "left_alone", instructions=termination.LEFT_ALONE_WHY)
    with ctx.store.session() as session:
        audit.append(
            session,
            "request.dry_run",
            actor=ctx.actor,
            request_id=row.id,
            data={name: {"status": r.status, "counts": r.counts} for name, r in results.items()},
        )
    return row.id, list(results.values())
