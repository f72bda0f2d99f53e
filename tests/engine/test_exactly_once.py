"""Exactly once, counted from the store: every act step's start is on the audit trail
(``step.started``), written before the system is asked to act."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import sqlalchemy as sa

from dsr_core.config import load_config
from dsr_core.engine import claims
from dsr_core.engine.calls import Progress
from dsr_core.engine.orchestrator import run_step
from dsr_core.store.models import TaskRow
from tests.engine.helpers import config, log_lines, new_verified, spawn, write_store

SYSTEMS = ("crm", "pbx", "dossier", "helpdesk")
REQUESTS = 20
ROUNDS = 2


def _act_starts(url: str) -> Counter[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT data FROM audit_events WHERE action = 'step.started'")
            ).scalars()
            return Counter(json.loads(d)["task"] for d in rows if json.loads(d)["step"] == "act")
    finally:
        engine.dispose()


def _task_ids(url: str) -> list[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT id FROM tasks ORDER BY id")).scalars())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_three_workers_start_each_erase_once_while_identities_grow(dsr):
    """20 erasures x 4 systems per round, two rounds, three ``dsr worker`` processes. The
    CRM adds a phone number on its first pass, so every other system locates again while
    the workers race for the act steps: each task's erase starts exactly once."""
    url = dsr.env.get("DSR_DATABASE_URL")
    if not url:
        pytest.skip("shared-database mode is PostgreSQL's: runs in the [postgresql] variant")
    rows = [
        {"id": i, "email": f"p{i}@example.be", "category": "contact", "fields": {}}
        for i in range(REQUESTS * ROUNDS)
    ]
    systems = {
        name: {"type": "test-store", "path": f"{name}.json", "log": "steps.log", "delay": 0.02}
        for name in SYSTEMS
    }
    # the CRM is the slowest to locate: the others have located (and wait to act) when it
    # adds the number, which is when a worker must not start an act step on the old keys
    systems["crm"].update(delay=0.15, expand=[{"kind": "phone", "value": "+32477123456"}])
    for name in SYSTEMS:
        write_store(dsr.home / f"{name}.json", rows)
    dsr.write_config(config(systems))
    dsr("init")
    for round_ in range(ROUNDS):
        rids = []
        for i in range(round_ * REQUESTS, (round_ + 1) * REQUESTS):
            new = ("request", "new", "erasure", "--name", f"P{i}", "--email", f"p{i}@example.be")
            rids.append(str(dsr.json(*new, "--verified", "eID")["id"]))
        dsr("request", "run", *rids, "--queue")  # the round's 80 tasks, queued at once
        workers = [spawn(dsr, "worker", "--poll", "0.02", "--idle-exit", "1.5") for _ in range(3)]
        for worker in workers:
            _out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
    tasks = _task_ids(url)
    assert len(tasks) == REQUESTS * ROUNDS * len(SYSTEMS)
    erases = Counter(
        (line.split()[0], line.split()[2])
        for line in log_lines(dsr.home / "steps.log")
        if line.split()[1] == "erase"
    )
    assert {k: n for k, n in erases.items() if n != 1} == {}, "no system erased twice"
    assert len(erases) == len(tasks)
    starts = _act_starts(url)
    assert {t: starts[t] for t in tasks if starts[t] != 1} == {}, "one erase start per task"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        states = Counter(conn.execute(sa.text("SELECT state FROM tasks")).scalars())
    engine.dispose()
    assert states == {"done": len(tasks)}


def _setup_two(dsr) -> tuple[object, str]:
    jan = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}}]
    write_store(dsr.home / "crm.json", jan)
    write_store(dsr.home / "pbx.json", jan)
    dsr.write_config(
        config(
            {
                "crm": {
                    "type": "test-store",
                    "path": "crm.json",
                    "expand": [{"kind": "phone", "value": "+32477123456"}],
                },
                "pbx": {"type": "test-store", "path": "pbx.json"},
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr, "erasure")
    dsr("request", "run", rid, "--queue")
    from dsr_core.cli.app import App, engine_context

    return engine_context(App()), rid


def _tasks(ctx) -> dict[str, TaskRow]:
    with ctx.store.session(readonly=True) as session:
        rows = list(session.execute(sa.select(TaskRow)).scalars())
        session.expunge_all()
    return {t.system: t for t in rows}


def _run_one(ctx, task: TaskRow) -> None:
    owner = claims.new_owner()
    assert claims.claim_many(ctx.store, [task], owner, 60) == [task]
    run_step(ctx, task, owner, Progress())


def test_a_locate_adding_identities_reopens_the_others_in_the_same_unit_of_work(dsr):
    """Between a locate saving new identities and the other systems locating again, no
    act step may be claimable on the old keys: the locate's end re-opens them itself."""
    ctx, _rid = _setup_two(dsr)
    _run_one(ctx, _tasks(ctx)["pbx"])
    assert (_tasks(ctx)["pbx"].state, _tasks(ctx)["pbx"].step) == ("pending", "act")
    _run_one(ctx, _tasks(ctx)["crm"])  # adds the phone number
    pbx = _tasks(ctx)["pbx"]
    assert (pbx.state, pbx.step) == ("pending", "locate"), "stale act step left claimable"
    ctx.store.dispose()


def test_an_act_step_is_not_claimed_while_another_system_locates(dsr):
    ctx, _rid = _setup_two(dsr)
    _run_one(ctx, _tasks(ctx)["pbx"])
    copy = _tasks(ctx)["pbx"]
    assert copy.step == "act"
    assert claims.claim_many(ctx.store, [copy], claims.new_owner(), 60) == [], (
        "act claimed while the CRM has still to locate"
    )
    ctx.store.dispose()


def test_a_claim_names_the_step_it_claims(dsr):
    """A runner holding an old copy of a task (its act step, on keys since made old) cannot
    claim it once the task went back to locating."""
    ctx, _rid = _setup_two(dsr)
    _run_one(ctx, _tasks(ctx)["pbx"])
    old_copy = _tasks(ctx)["pbx"]
    assert old_copy.step == "act"
    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tasks SET step = 'finished', state = 'done' WHERE id = 1"))
        conn.execute(sa.text("UPDATE tasks SET step = 'locate' WHERE id = 2"))
    engine.dispose()
    assert (_tasks(ctx)["crm"].id, _tasks(ctx)["pbx"].id) == (1, 2)
    assert claims.claim_many(ctx.store, [old_copy], claims.new_owner(), 60) == [], (
        "the task's old step was claimed"
    )
    ctx.store.dispose()
