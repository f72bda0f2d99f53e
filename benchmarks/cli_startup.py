"""CLI start-up: how much each everyday ``dsr`` command adds to a bare Python start.

Builds a home with a few requests (``dsr init``, then ``dsr request new``), then runs
``python -c pass``, ``dsr --help``, ``dsr request list``, ``dsr request show ID`` (an access
request), ``dsr due`` and ``dsr request new`` several times each and prints the medians and
each command's overhead over bare Python as ``name: value`` lines, wall time and CPU time
(user + system: on a machine shared with other work it moves far less than the wall time).
Target: every overhead under 0.25 s on a quiet machine (issue 13). ``--full`` also times the
full path (``DSR_NO_LIGHT=1``) for comparison.

With ``--requests N`` it also builds a home of N requests (rows written directly, as
``dsr request new`` would leave them) and times ``request list`` and ``due`` there; target
0.5 s each with 10,000.

    .venv/bin/python benchmarks/cli_startup.py [--runs 9] [--full] [--requests 10000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.25
TARGET_10K_S = 0.5


CPU: dict[str, float] = {}


def _median(cmd: list[str] | None, runs: int, env: dict[str, str], make=None) -> float:
    """Median wall time; the median CPU time (user + system) of the same runs goes to
    ``CPU["last"]``: on a busy machine it moves far less than the wall time."""
    times, cpu = [], []
    for i in range(runs):
        args = make(i) if make else cmd
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    CPU["last"] = statistics.median(cpu)
    return statistics.median(times)


_counter = itertools.count()


def _new(dsr: str) -> list[str]:
    n = next(_counter)
    return [dsr, "request", "new", "access", "--name", f"Bench {n}", "--email", f"b{n}@ex.be"]


def _home(dsr: str, env: dict[str, str]) -> None:
    subprocess.run([dsr, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    for _ in range(3):
        subprocess.run(_new(dsr), env=env, check=True, stdout=subprocess.DEVNULL)
    # a first run computes the holiday tables the next ones reuse
    subprocess.run([dsr, "due"], env=env, check=True, stdout=subprocess.DEVNULL)


def _fill(home: Path, count: int) -> None:
    """``count`` requests as `request new` leaves them, written in one transaction."""
    import sqlite3
    from datetime import UTC, date, datetime, timedelta

    from dsr_core import clock

    db = sqlite3.connect(home / "dsr.sqlite3")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    today = date.today()
    kinds = ("access", "erasure", "portability", "objection")
    states = ("received", "identity_verified", "in_progress", "completed", "completed")
    with db:
        for i in range(count):
            received = today - timedelta(days=i % 40)
            due = clock.due_date(received)
            cur = db.execute(
                "INSERT INTO requests (kind, state, subject_name, received_on, channel, due_on, "
                "extended, needs_attention, created_by, created_at, updated_at, changes) "
                "VALUES (?, ?, ?, ?, 'email', ?, 0, 0, 'bench', ?, ?, 'null')",
                (
                    kinds[i % len(kinds)],
                    states[i % len(states)],
                    f"Subject {i}",
                    received.isoformat(),
                    due.isoformat() if due else None,
                    now,
                    now,
                ),
            )
            db.execute(
                "INSERT INTO identities (request_id, kind, value, source) "
                "VALUES (?, 'email', ?, 'request')",
                (cur.lastrowid, f"s{i}@example.be"),
            )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--full", action="store_true", help="also time DSR_NO_LIGHT=1")
    parser.add_argument("--requests", type=int, default=0, help="also time a home of N")
    args = parser.parse_args()
    dsr = str(Path(sys.executable).with_name("dsr"))
    print(f"runs: {args.runs}")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, DSR_HOME=home)
        env.pop("DSR_NO_LIGHT", None)
        # as installed (pip compiles the modules): an editable checkout run with
        # PYTHONDONTWRITEBYTECODE would compile dsr's modules in every command
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        _home(dsr, env)
        base = _median([sys.executable, "-c", "pass"], args.runs, env)
        base_cpu = CPU["last"]
        print(f"python_pass_median_s: {base:.3f}")
        print(f"python_pass_cpu_s: {base_cpu:.3f}")
        commands = {
            "dsr_help": [dsr, "--help"],
            "dsr_request_list": [dsr, "request", "list"],
            "dsr_request_show": [dsr, "request", "show", "1"],
            "dsr_due": [dsr, "due"],
        }
        paths = [("", env)]
        if args.full:
            paths.append(("_full_path", dict(env, DSR_NO_LIGHT="1")))
        for suffix, path_env in paths:
            for name, cmd in commands.items():
                if suffix and name == "dsr_help":
                    continue
                took = _median(cmd, args.runs, path_env)
                print(f"{name}{suffix}_median_s: {took:.3f}")
                print(f"{name}{suffix}_overhead_s: {took - base:.3f}  (target < {TARGET_S:.3f})")
                print(f"{name}{suffix}_cpu_overhead_s: {CPU['last'] - base_cpu:.3f}")
            took = _median(None, args.runs, path_env, make=lambda _i: _new(dsr))
            print(f"dsr_request_new{suffix}_median_s: {took:.3f}")
            print(
                f"dsr_request_new{suffix}_overhead_s: {took - base:.3f}  (target < {TARGET_S:.3f})"
            )
            print(f"dsr_request_new{suffix}_cpu_overhead_s: {CPU['last'] - base_cpu:.3f}")
    if args.requests:
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, DSR_HOME=home)
            env.pop("DSR_NO_LIGHT", None)
            env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: see above
            _home(dsr, env)
            _fill(Path(home), args.requests)
            print(f"requests: {args.requests}")
            for name, cmd in {
                "dsr_request_list": [dsr, "request", "list"],
                "dsr_due": [dsr, "due"],
            }.items():
                took = _median(cmd, args.runs, env)
                print(f"{name}_{args.requests}_median_s: {took:.3f}  (target < {TARGET_10K_S:.3f})")
                print(f"{name}_{args.requests}_cpu_s: {CPU['last']:.3f}")


if __name__ == "__main__":
    main()
