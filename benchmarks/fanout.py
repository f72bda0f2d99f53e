"""Fan-out: a request over 8 systems that each take 200 ms per step.

Each system is a ``sleepy`` system type registered for this benchmark: locate and access each
sleep 0.2 s, so one system alone needs 0.4 s. Run one after another the request would take about
8 x 0.4 s; run concurrently it should take little more than the slowest system. Prints
``name: value`` lines, the ratio (request wall time over the slowest system's time; target
<= 1.3) last.

    .venv/bin/python benchmarks/fanout.py [--systems 8] [--step 0.2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from dsr_core import hookimpl
from dsr_core.config import load_config
from dsr_core.engine import EngineContext, run_request
from dsr_core.logging import configure
from dsr_core.model import Identity, IdentityKind, Record, RequestKind, Subject
from dsr_core.plugins import PluginHost
from dsr_core.requests import NewRequest, create, get, verify_identity
from dsr_core.store import open_store
from dsr_core.store.keys import log_key
from dsr_core.systems import System

STEP = 0.2


class Sleepy(System):
    description = "sleeps on every step (benchmark)"
    kinds = frozenset({RequestKind.ACCESS})

    def locate(self, subject: Subject) -> Sequence[Identity]:
        time.sleep(STEP)
        return [Identity(IdentityKind.EMAIL, "jan@example.be")]

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        time.sleep(STEP)
        for i in range(100):
            yield Record(self.name, "call", str(i), {"n": i})


class _Plugin:
    @hookimpl
    def dsr_register_systems(self, register):  # type: ignore[no-untyped-def]
        register("sleepy", Sleepy)


def main() -> None:
    global STEP
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=8)
    parser.add_argument("--step", type=float, default=0.2)
    args = parser.parse_args()
    STEP = args.step
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        lines = ["[controller]", 'name = "bench"']
        for i in range(args.systems):
            lines += [f"[systems.s{i}]", 'type = "sleepy"']
        (home / "dsr.toml").write_text("\n".join(lines) + "\n")
        os.environ.pop("DSR_DATABASE_URL", None)
        config = load_config(home=home)
        store = open_store(config.database_url)
        plugins = PluginHost.load(config=config, include_entry_points=False)
        plugins.register_object("bench", _Plugin())
        ctx = EngineContext(store=store, config=config, plugins=plugins, actor="bench")
        # as the CLI does when it opens the store: logging is set up, the key exists
        configure(log_file=config.log_file, hash_key=log_key(store))
        with store.session() as session:
            row = create(
                session,
                NewRequest("access", "Jan", emails=["jan@example.be"]),
                controller=config.controller,
                actor="bench",
            )
            rid = row.id
        with store.session() as session:
            verify_identity(
                session,
                get(session, rid),
                method="bench",
                actor="bench",
                controller=config.controller,
            )
        start = time.perf_counter()
        report = run_request(ctx, rid)
        wall = time.perf_counter() - start
        assert all(t["state"] == "done" for t in report.tasks), report.tasks
    slowest = 2 * STEP
    print(f"systems: {args.systems}")
    print(f"step_seconds: {STEP:.3f}")
    print(f"slowest_system_seconds: {slowest:.3f}")
    print(f"sequential_estimate_seconds: {args.systems * slowest:.3f}")
    print(f"request_wall_seconds: {wall:.3f}")
    print(f"wall_over_slowest: {wall / slowest:.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
