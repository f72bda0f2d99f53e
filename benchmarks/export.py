"""Export benchmark: one PBX system with a million call records into one access bundle.

Run as ``.venv/bin/python benchmarks/export.py [--records N] [--password PW] [--level L]``.
Prints ``name: value`` lines; the rates come last. Targets: ``records_per_second`` at least
150,000 (JSON and CSV of every record, with the zip, the report and the manifest) and
``peak_rss_mb`` at most 200.

``seconds`` is the whole export including making the records: the generator is the benchmark's
stand-in for a plugin reading a CDR file, and costs what it costs; ``generator_seconds`` times
it alone (a second pass) and ``writer_records_per_second`` leaves it out. ``cpu_seconds`` is
the CPU time of all threads during the export (the zip is deflated by a second thread): on a
busy machine it tells contention (``seconds`` much larger) from work.
The records are synthetic: no personal data is involved or printed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dsr_core.export import (
    BundleOptions,
    BundleRequest,
    Controller,
    ProcessingInfo,
    SystemSection,
    write_bundle,
)
from dsr_core.model import Identity, IdentityKind, Record, RequestKind, RequestState

_HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_DISPOSITIONS = ("ANSWERED", "ANSWERED", "ANSWERED", "NO ANSWER", "BUSY", "FAILED")
_CALLS_PER_DAY = 300
_WORKDAY = 8 * 3600


def calls(n: int) -> Iterator[Record]:
    """``n`` synthetic call-detail records of one customer, a few hundred a day."""
    first = date(2016, 1, 1)
    days = [f"{first + timedelta(days=d)} " for d in range(n // _CALLS_PER_DAY + 1)]
    for i in range(n):
        day = days[i // _CALLS_PER_DAY]
        start = _WORKDAY + (i % _CALLS_PER_DAY) * 120
        disposition = _DISPOSITIONS[i % 6]
        answered = disposition == "ANSWERED"
        billsec = (i * 7) % 110 if answered else 0
        ring = 3 + i % 20
        yield Record(
            "pbx",
            "call",
            f"{1451635200 + i * 97}.{i}",
            {
                "direction": "out" if i & 1 else "in",
                "counterpart": f"+3247{(i * 7919) % 10_000_000:07d}",
                "start": day + _HMS[start],
                "answer": day + _HMS[start + ring] if answered else None,
                "end": day + _HMS[start + ring + billsec],
                "duration": ring + billsec,
                "billsec": billsec,
                "disposition": disposition,
            },
            "asterisk cdr_csv Master.csv",
            True,
        )


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--password", default=None, help="encrypt the bundle (AES-256)")
    parser.add_argument("--level", type=int, default=None, help="zlib level (default: writer's)")
    args = parser.parse_args(argv)
    n = args.records
    baseline = peak_rss_mb()

    request = BundleRequest(
        id=1,
        kind=RequestKind.ACCESS,
        subject_name="Benchmark Subject",
        identities=(Identity(IdentityKind.PHONE, "+32470000000"),),
        received_on=date(2025, 3, 5),
        due_on=date(2025, 4, 7),
        state=RequestState.IN_PROGRESS,
        controller=Controller("Voxtra bv", "privacy@voxtra.example", language="nl"),
        generated_at=datetime.now(ZoneInfo("Europe/Brussels")),
    )
    system = SystemSection(
        name="pbx",
        type="asterisk-csv",
        status="done",
        processing=ProcessingInfo(purposes=("telephony",), retention=("1 year",)),
        records=lambda: calls(n),
    )
    options = BundleOptions(password=args.password)
    if args.level is not None:
        options = BundleOptions(password=args.password, compresslevel=args.level)

    with tempfile.TemporaryDirectory(prefix="dsr-bench-") as tmp:
        target = Path(tmp) / "bundle.zip"
        started, cpu_started = time.perf_counter(), time.process_time()
        result = write_bundle(target, request, [system], options=options)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        peak = peak_rss_mb()

    started = time.perf_counter()
    for _ in calls(n):
        pass
    generator_seconds = time.perf_counter() - started
    writer_seconds = max(seconds - generator_seconds, 1e-9)

    print(f"records: {result.records}")
    print(f"bundle_mb: {result.size / (1 << 20):.1f}")
    print(f"encrypted: {str(result.encrypted).lower()}")
    print(f"baseline_rss_mb: {baseline:.1f}")
    print(f"peak_rss_mb: {peak:.1f}")
    print(f"generator_seconds: {generator_seconds:.2f}")
    print(f"cpu_seconds: {cpu_seconds:.2f}")
    print(f"seconds: {seconds:.2f}")
    print(f"records_per_second: {result.records / seconds:.0f}")
    print(f"writer_records_per_second: {result.records / writer_seconds:.0f}")


if __name__ == "__main__":
    main()
