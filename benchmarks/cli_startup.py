"""CLI start-up: how much ``dsr`` adds to a bare Python start.

Runs ``python -c pass``, ``dsr --help`` and ``dsr request list`` (against a fresh home) several
times each and prints the medians and the overheads as ``name: value`` lines. Target: the
overhead of ``dsr --help`` stays under 0.25 s on the 2-core CI machines.

    .venv/bin/python benchmarks/cli_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    dsr = str(Path(sys.executable).with_name("dsr"))
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, DSR_HOME=home)
        subprocess.run([dsr, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([dsr, "request", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
        base = _median([sys.executable, "-c", "pass"], args.runs, env)
        help_ = _median([dsr, "--help"], args.runs, env)
        listing = _median([dsr, "request", "list"], args.runs, env)
    print(f"runs: {args.runs}")
    print(f"python_pass_median_s: {base:.3f}")
    print(f"dsr_help_median_s: {help_:.3f}")
    print(f"dsr_request_list_median_s: {listing:.3f}")
    print(f"dsr_request_list_overhead_s: {listing - base:.3f}")
    print(f"dsr_help_overhead_s: {help_ - base:.3f}  (target < 0.250)")


if __name__ == "__main__":
    main()
