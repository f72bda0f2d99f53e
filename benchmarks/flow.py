"""A whole access request, end to end, as staff run it: one command against four.

Builds the 100,000-customer CRM of ``benchmarks/crm.py`` in a database of its own on the local
PostgreSQL (dropped afterwards) with the indexes ``dsr systems check`` asks for, and a dsr home
(its own store the default SQLite file) with that CRM as its one ``sql-crm`` system. Then times,
median of ``--runs``, an access request by e-mail for a different customer each time, bundle
included:

* ``one_command_s`` — ``dsr request new access ... --verified eID --run --export PATH``;
* ``four_commands_s`` — ``dsr request new``, ``request verify``, ``request run``, ``export``;

beside ``fides_eager_s`` (Fides 2.78.2 on the same CRM, measured in issue 13: 0.44 s, the goal)
and ``python_pass_s`` (bare Python's start, which every command pays). The ``*_cpu_s`` lines
are the same commands' CPU time (user + system, the median): on a machine shared with other
work it moves far less than the wall time.

Usage: ``python benchmarks/flow.py [--customers N] [--runs N] [--dsn DSN]``. Never part of
the test run.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from crm import FILL, SCHEMA, database  # noqa: E402 - the CRM of benchmarks/crm.py

FIDES_EAGER_S = 0.44
INDEXES = (
    "CREATE INDEX IF NOT EXISTS flow_customers_email ON customers (email)",
    "CREATE INDEX IF NOT EXISTS flow_customers_lower_email ON customers (lower(trim(email)))",
)

CONFIG = """
[controller]
name = "Flow bench"
country = "BE"

[systems.crm]
type = "sql-crm"
url = "{url}"
root = "customers"

[systems.crm.tables.customers]
category = "contact"
identify = {{ customer_id = "id", email = "email", phone = "phone" }}
provided = ["name", "email", "phone", "street", "city"]
opt_out = "marketing_opt_out"

[systems.crm.tables.contracts]
category = "contract"
parent = "customers"
foreign_key = "customer_id"

[systems.crm.tables.invoices]
category = "invoice"
parent = "customers"
foreign_key = "customer_id"
erase = "keep"
keep_for = "10 years"
date_column = "invoice_date"
basis = "accounting law"
"""


def _build(url: str, n: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(SCHEMA)
        conn.exec_driver_sql(FILL.format(n=n))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def _index(dsr: str, env: dict[str, str], url: str) -> None:
    """The indexes ``dsr systems check`` asks for (and two for e-mail in case it asks none)."""
    done = subprocess.run(
        [dsr, "systems", "check"], env=env, capture_output=True, text=True, check=False
    )
    statements = list(INDEXES)
    for line in (done.stdout + done.stderr).splitlines():
        # a system's problems are on one line, "; " between them; each advice closes its
        # "(add: " with one parenthesis more than its statement's own
        statements += re.findall(r"\(add: (.+?)\)(?=;\s|\s*$)", line)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql(statement)
            except sa.exc.DBAPIError as exc:
                if statement not in INDEXES:  # what dsr asked for must be there
                    raise SystemExit(f"cannot add an index dsr asks for: {statement}") from exc
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE customers")
    engine.dispose()


#: CPU seconds (user + system) of the commands each _timed call ran, in order.
CPU: list[float] = []


def _timed(commands: list[list[str]], env: dict[str, str]) -> float:
    """Wall seconds of the commands; their CPU seconds go to :data:`CPU`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for cmd in commands:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    dsr = str(Path(sys.executable).with_name("dsr"))
    with database(args.dsn) as url, tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        _build(url, args.customers)
        env = dict(os.environ, DSR_HOME=home, DSR_ACTOR="bench")
        for key in ("DSR_CONFIG", "DSR_DATABASE_URL", "DSR_TODAY", "DSR_NO_LIGHT"):
            env.pop(key, None)
        # as installed (pip compiles the modules): without their .pyc files every command of
        # an editable checkout compiles dsr's ~130 modules again, ~0.3 s
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        (Path(home) / "dsr.toml").write_text(CONFIG.format(url=url), encoding="utf-8")
        subprocess.run([dsr, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        _index(dsr, env, url)
        print(f"customers: {args.customers}")
        print(f"build_seconds: {time.perf_counter() - started:.1f}")
        out = Path(home) / "bundles"
        out.mkdir()
        who = iter(range(args.customers // 2, args.customers))

        def new(n: int) -> list[str]:
            email = f"customer{n}@example.be"
            return [dsr, "request", "new", "access", "--name", f"C {n}", "--email", email]

        # warm the caches (the compiled report templates among them, as staff's daily exports)
        n = next(who)
        _timed([[*new(n), "--verified", "eID", "--run", "--export", str(out / f"{n}.zip")]], env)
        one, four, one_cpu, four_cpu, rid = [], [], [], [], 1
        for _ in range(args.runs):
            n = next(who)
            rid += 1
            one.append(
                _timed(
                    [[*new(n), "--verified", "eID", "--run", "--export", str(out / f"{n}.zip")]],
                    env,
                )
            )
            one_cpu.append(CPU[-1])
            n = next(who)
            rid += 1
            four.append(
                _timed(
                    [
                        new(n),
                        [dsr, "request", "verify", str(rid), "--method", "eID"],
                        [dsr, "request", "run", str(rid)],
                        [dsr, "export", str(rid), "-o", str(out / f"{n}.zip")],
                    ],
                    env,
                )
            )
            four_cpu.append(CPU[-1])
        base = _timed([[sys.executable, "-c", "pass"]], env)
        base_cpu = CPU[-1]
    print(f"runs: {args.runs}")
    print(f"python_pass_s: {base:.3f}")
    print(f"one_command_s: {statistics.median(one):.3f}  (goal <= {FIDES_EAGER_S:.2f}, Fides)")
    print(f"four_commands_s: {statistics.median(four):.3f}")
    print(f"python_pass_cpu_s: {base_cpu:.3f}")
    print(f"one_command_cpu_s: {statistics.median(one_cpu):.3f}")
    print(f"four_commands_cpu_s: {statistics.median(four_cpu):.3f}")
    print(f"fides_eager_s: {FIDES_EAGER_S:.2f}")
    print(f"one_command_vs_fides: {statistics.median(one) / FIDES_EAGER_S:.2f}x")


if __name__ == "__main__":
    main()
