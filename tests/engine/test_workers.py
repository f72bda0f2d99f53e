"""Shared-database mode on the real PostgreSQL: workers on one queue, one of them killed."""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.engine.helpers import config, log_lines, spawn, write_store

pytestmark = pytest.mark.postgres

REQUESTS = 100
SYSTEMS = ("crm", "pbx", "dossier")


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql)).scalar()
    engine.dispose()
    return int(value or 0)


def test_three_workers_run_300_tasks_exactly_once_despite_a_killed_worker(dsr):
    postgres_url = dsr.env.get("DSR_DATABASE_URL")
    if not postgres_url:
        pytest.skip("shared-database mode is PostgreSQL's: runs in the [postgresql] variant")
    dsr.env["DSR_LEASE_SECONDS"] = "2"
    rows = [
        {"id": i, "email": f"p{i}@example.be", "category": "contact", "fields": {}}
        for i in range(REQUESTS)
    ]
    for name in SYSTEMS:
        write_store(dsr.home / f"{name}.json", rows)
    victim = {
        "type": "test-store",
        "path": "victim.json",
        "log": "steps.log",
        "delay": 4,
        "hang_step": "access",
    }
    write_store(dsr.home / "victim.json", rows[:1])
    dsr.write_config(config({"victim": victim}))
    dsr("init")

    # 1. one request whose only task hangs in a worker that we kill mid-task
    dsr("request", "new", "access", "--name", "P0", "--email", "p0@example.be")
    dsr("request", "verify", "1", "--method", "eID")
    dsr("request", "run", "1", "--queue")
    doomed = spawn(dsr, "worker", "--poll", "0.05")
    deadline = time.monotonic() + 30
    while (
        _count(postgres_url, "SELECT COUNT(*) FROM tasks WHERE state = 'running' AND step = 'act'")
        == 0
    ):
        assert time.monotonic() < deadline, "the worker never started the task"
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)

    # 2. the other 299 tasks: 100 requests x 3 systems, less the victim's request's share
    systems = {
        name: {"type": "test-store", "path": f"{name}.json", "log": "steps.log"} for name in SYSTEMS
    }
    dsr.write_config(config({"victim": {**victim, "delay": 0}, **systems}))
    # recorded verified in one command each and queued in one command: the same 297 tasks
    # as one `new`, `verify` and `run --queue` per request, in a third of the commands
    for i in range(1, REQUESTS):
        new = ("request", "new", "access", "--name", f"P{i}", "--email", f"p{i}@example.be")
        assert dsr.json(*new, "--verified", "eID")["id"] == i + 1
    queued = [str(rid) for rid in range(2, REQUESTS + 1)]
    dsr("request", "run", *queued, "--queue", *(a for s in SYSTEMS for a in ("--system", s)))
    total = _count(postgres_url, "SELECT COUNT(*) FROM tasks")
    assert total == 1 + 3 * (REQUESTS - 1) == 298
    # make it 300 with two more tasks for request 1
    dsr("request", "run", "1", "--queue", "--system", "crm", "--system", "pbx")
    assert _count(postgres_url, "SELECT COUNT(*) FROM tasks") == 300

    workers = [spawn(dsr, "worker", "--poll", "0.05", "--idle-exit", "4") for _ in range(3)]
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err

    assert _count(postgres_url, "SELECT COUNT(*) FROM tasks WHERE state = 'done'") == 300
    accesses = Counter(
        (line.split()[0], line.split()[2])
        for line in log_lines(dsr.home / "steps.log")
        if line.split()[1] == "access"
    )
    assert len(accesses) == 300, "every task's action completed"
    assert set(accesses.values()) == {1}, "no task's action completed twice"
    pids = {line.split()[3] for line in log_lines(dsr.home / "steps.log")}
    assert len(pids) >= 2, "the work was shared between workers"
    assert accesses[("victim", "p0@example.be")] == 1
