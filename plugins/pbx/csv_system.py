"""What the CSV call-log system types share: finding, exporting and erasing calls in files.

A subclass says how a line reads (its *format*: Asterisk cdr_csv, FreeSWITCH mod_cdr_csv);
this class does the rest:

* the files: the configured ``path`` (Master.csv) and, with ``per_account_files``, every
  other ``*.csv`` beside it (the per-accountcode copies both PBXs write);
* the scan: only lines that can hold the subject's numbers or extensions are parsed
  (:mod:`.scan`), then matched exactly (:mod:`.matching`);
* a cache of the last scans (:mod:`.cache`), valid while the file is unchanged (same inode,
  size and mtime), so that ``locate`` then ``access`` or ``erase`` read a huge file once; when
  the PBX only appended to the file since (same inode, larger, the 4 KiB before the end of
  the last line read unchanged) only the new lines are read. A scan's matched calls are
  spooled (:mod:`.spool`: past the first few thousand, to an unnamed owner-only file), so
  memory does not grow with them. Whatever the cache says, a rewrite first checks that every
  line it changes still holds the bytes planned on, and plans again if not;
* the batch API (for the core's batch path): :meth:`CsvCallLogSystem.scan_many` reads each
  file once for many requests and caches each request's scan as if made alone;
  :meth:`CsvCallLogSystem.erase_many` erases several subjects with one scan and one rewrite
  per file;
* erasure: per call kept (billing retention), deleted or anonymised; each file rewritten
  atomically (:mod:`.rewrite`), every other line byte for byte;
* lines that cannot be read (broken, in no known layout, a layout the config must settle, or
  longer than :data:`~.lines.MAX_LINE`): never matched, never changed, counted and reported —
  by :meth:`check` for the whole file, by :meth:`unreadable` for the lines a run looked at
  (and a file none of whose first lines is in a known layout), and as an ``unchanged``
  outcome when such a line may hold the subject's number. "Could not read" is never
  "nothing": a run that met such lines says so through :meth:`unreadable`.

Record ids: ``<uniqueid>[-<sequence>]:<digest>`` (or ``uuid:digest`` for FreeSWITCH,
``line:digest`` without either), where digest is a keyed hash of the line's bytes; identical
lines get ``#2``, ``#3``. The same line in Master.csv and in a per-account file is one record.
An id is stable while its line is unchanged; an anonymised line no longer matches the subject,
so its old id is never needed again.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import hmac
import itertools
import operator
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, overload

import structlog

from dsr_core.fields import Field
from dsr_core.model import Action, CheckResult, Identity, Outcome, Record, RequestKind, Subject
from dsr_core.systems import (
    BatchItem,
    PermanentError,
    System,
    SystemContext,
    TransientError,
)

from . import labels
from .cache import ScanCache
from .calls import Call, ParseError, Unsettled, iso, parse_warnings
from .config import COMMON_KEYS, ConfigReader
from .csvline import ENCODING, ERRORS, decode, replace_fields, split_fields
from .erasure import decide, outcome
from .lines import MAX_LINE, TooLong, bounded_lines, too_long_reason
from .matching import Match, Matcher, Owned
from .records import call_fields
from .rewrite import (
    Edit,
    FileChanged,
    LockTimeout,
    RewriteRefused,
    Started,
    folder_lock,
    rewrite,
)
from .scan import ScanStats
from .scanpool import scan_file
from .spool import Spool, spool_folder

log = structlog.get_logger("dsr_plugins.pbx")

#: The scans of this process (see :mod:`.cache`).
SCANS: ScanCache[FileScan] = ScanCache()
#: Erasures a batch carried out in this process, until each request's own erase step reports
#: them: (system, file, matcher) → (the file's state after the rewrite, outcomes).
DONE: dict[tuple[object, ...], tuple[tuple[Any, ...], dict[str, Outcome]]] = {}
_DONE_LOCK = threading.Lock()
#: How many unparseable lines are listed by name (all are counted).
EXAMPLES = 20
#: How many lines at the start of a file are read to tell whether any is in a known layout.
PROBE_LINES = 50

CSV_KEYS: dict[str, str] = {
    "path": "the master call log (Master.csv); relative paths start at dsr.toml's folder",
    "per_account_files": "also read and erase the <accountcode>.csv files beside it (default true)",
    "scan_processes": (
        "how many processes may search a big log at once (default: one per core, at most 4; "
        "1: dsr's own process only)"
    ),
    **COMMON_KEYS,
}


class LineFormat(Protocol):
    name: str

    def parse(self, fields: list[str], extra: str | None = None) -> Call:
        """The call on a line; raises ParseError (:class:`~.calls.Unsettled` when the line
        alone cannot settle its layout, see :meth:`settle`)."""
        ...

    def quick_ok(self, fields: list[str]) -> bool: ...

    def settle(self, path: Path, width: int) -> str | None:
        """What the file says about the layout of its ``width``-column lines (passed to
        :meth:`parse` as ``extra``), or None."""
        ...

    @property
    def contradicted_widths(self) -> frozenset[int]:
        """Widths of lines :meth:`contradiction` should see (check() only)."""
        ...

    def contradiction(self, fields: list[str]) -> str | None:
        """Why the configured layout cannot be right for a line it reads, or None."""
        ...

    @property
    def expected_width(self) -> int | None:
        """The column count the config says the PBX writes, if it says (check() notes lines
        of other widths), else None."""
        ...

    def anonymise(
        self, fields: list[str], call: Call, match: Match, pseudonymise: Callable[[str], str]
    ) -> dict[int, str]: ...


@dataclass(slots=True)
class Hit:
    """A line holding one of the subject's calls."""

    offset: int
    raw: bytes
    line: int
    fields: list[str] | None  # None once spooled: split again from ``raw`` when needed
    call: Call
    match: Match
    record_id: str


@dataclass(slots=True)
class Unparsed:
    """A line that was looked at (it may hold the subject) but cannot be parsed."""

    offset: int
    raw: bytes
    line: int
    reason: str
    may_be_subject: bool


@dataclass(slots=True)
class FileScan:
    """What one scan of one file found, and what the file looked like then."""

    path: Path
    inode: tuple[int, int]
    size: int
    mtime_ns: int
    hits: Spool[Hit]  # on disk, in file order: memory does not grow with the subject's calls
    unparsed: list[Unparsed] = field(default_factory=list)
    stats: ScanStats = field(default_factory=ScanStats)
    #: What of the subject's the hits matched on, in order of appearance (for locate, which
    #: then does not read the spool back).
    owned: dict[Owned, None] = field(default_factory=dict)
    #: While scanning: hash of a record id's base → copies seen (identical lines get #2...).
    seen: dict[int, int] = field(default_factory=dict)
    fingerprint: bytes = b""  # of the bytes before ``stats.complete``

    def add_hit(self, hit: Hit) -> None:
        self.hits.append(hit)
        for owned in hit.match.owned:
            # mostly the very objects already kept (hashing an Owned hashes its identity)
            if not any(owned is known for known in self.owned):
                self.owned.setdefault(owned)

    def record_id(self, base: str) -> str:
        """The id of the next line with this base (``base#2`` for a second identical line)."""
        # 64 bits of a hash, not the id: a few hundred bytes a call less (a collision, one in
        # 10^9 for 200,000 calls, would only number a line #2); deterministic across runs.
        key = int.from_bytes(hashlib.blake2b(base.encode(), digest_size=8).digest(), "big")
        copies = self.seen[key] = self.seen.get(key, 0) + 1
        return base if copies == 1 else f"{base}#{copies}"


@dataclass(slots=True)
class Validation:
    """What :meth:`CsvCallLogSystem.validate` found in one file."""

    lines: int = 0
    errors: int = 0  # lines that cannot be read
    examples: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    unsettled: int = 0  # of the errors: lines only the layout keys would settle
    contradictions: int = 0  # lines the layout keys cannot be right for
    contradiction: tuple[int, str] | None = None  # the first: (line number, reason)
    widths: dict[int, int] = field(default_factory=dict)  # column count → lines

    def error(self, number: int, reason: str) -> None:
        self.errors += 1
        if len(self.examples) < EXAMPLES * 4:
            self.examples.append((number, reason))


class CsvCallLogSystem(System):
    """Base of the CSV call-log system types. Subclasses provide :meth:`make_format`."""

    kinds: ClassVar[frozenset[RequestKind]] = frozenset(
        {RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.ERASURE}
    )
    required_keys: ClassVar[frozenset[str]] = frozenset({"path"})
    category: ClassVar[str] = "call"
    titles: ClassVar[Mapping[str, str]] = labels.TITLES
    categories: ClassVar[Mapping[str, Mapping[str, str]]] = labels.CATEGORIES
    fields: ClassVar[Mapping[str, Field]] = labels.FIELDS

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        super().__init__(name, config, context)
        reader = ConfigReader(name, self.config, context)
        raw_path = reader.string("path")
        assert raw_path is not None  # required_keys
        self.path = context.resolve(raw_path)
        self.per_account_files = reader.boolean("per_account_files", True)
        self.source_tz = reader.timezone()
        self.retention = reader.retention()
        self.extensions = reader.extensions()
        self.region = reader.region()
        self.third_parties = reader.third_parties()
        self.scan_processes = reader.processes()
        self.format: LineFormat = self.make_format(reader)
        #: Lines longer than this are skipped unread (see :mod:`.lines`).
        self.max_line = MAX_LINE
        self._summary: dict[str, Any] = {}
        #: Where scans spool the matched calls (owner-only, unnamed files).
        self._spool_folder = spool_folder(context.state_dir)
        #: Scans are shared by systems of the same name, config and context only.
        self._identity = hashlib.sha256(
            repr(
                (type(self).__name__, name, sorted(self.config.items()), str(context.timezone))
            ).encode()
            + context.secret_key
        ).hexdigest()

    def make_format(self, reader: ConfigReader) -> LineFormat:
        raise NotImplementedError

    # -- files ------------------------------------------------------------------------------
    def files(self) -> list[Path]:
        """The master file first, then the per-account files beside it (sorted)."""
        master = Path(os.path.realpath(self.path))
        result = [master]
        if self.per_account_files and master.parent.is_dir():
            for other in sorted(master.parent.glob("*.csv")):
                if other.name != master.name and other.is_file() and not other.is_symlink():
                    result.append(other)
        return result

    def _existing_files(self) -> list[Path]:
        files = self.files()
        if not files[0].is_file():
            raise PermanentError(f"systems.{self.name}: {files[0]} not found")
        return [f for f in files if f.is_file()]

    # -- matching ---------------------------------------------------------------------------
    def matcher(self, subject: Subject, keys: Sequence[Identity] = ()) -> Matcher:
        identities = list(keys) if keys else list(subject.identities)
        return Matcher(identities, self.extensions, self.region, self.name)

    def _pseudonymiser(self, matcher: Matcher) -> Callable[[str], str]:
        def pseudonymise(raw: str) -> str:
            return self.context.anonymise(matcher.display(raw) or raw)

        return pseudonymise

    # -- scanning ---------------------------------------------------------------------------
    def _fill(
        self,
        path: Path,
        matchers: Sequence[Matcher],
        results: Sequence[FileScan],
        start: int = 0,
        first_line: int = 1,
        on_hit: Callable[[Hit], None] | None = None,
    ) -> None:
        """One pass over ``path`` from ``start`` up to ``results[0].size`` for all of
        ``matchers``: each :class:`Hit` or :class:`Unparsed` of ``matchers[i]`` goes to
        ``results[i]`` (hits to its spool, as found). Each line is parsed once, however many
        matchers; each result gets what a scan for its matcher alone would have found.
        ``on_hit`` (one matcher only) is also given each hit as found, in file order."""
        alone = len(matchers) == 1
        holders_of = _Holders(matchers)
        digit_needles = sorted({n.encode() for m in matchers for n in m.nsns})
        text_needles = sorted({e.encode() for m in matchers for e in m.extensions})
        shared = results[0].stats if alone else ScanStats()
        with open(path, "rb", buffering=0) as stream:
            stream.seek(start)
            candidates = scan_file(
                stream,
                digit_needles,
                text_needles,
                stats=shared,
                limit=results[0].size,
                start=start,
                first_line=first_line,
                max_line=self.max_line,
                parts=self.scan_processes,
                folder=self._spool_folder,
            )
            for candidate in candidates:
                if alone:
                    holders: Sequence[int] = (0,)
                elif candidate.too_long:
                    holders = range(len(matchers))
                else:
                    holders = holders_of(candidate.raw)
                if not holders:
                    continue
                if not alone:
                    for i in holders:
                        results[i].stats.candidates += 1
                if candidate.too_long:
                    reason = too_long_reason(candidate.too_long, self.max_line)
                    for i in holders:
                        results[i].unparsed.append(
                            Unparsed(candidate.offset, b"", candidate.number, reason, True)
                        )
                    continue
                text = decode(candidate.raw)
                try:
                    fields = split_fields(text)
                    call = self._parse(path, fields)
                except Unsettled as exc:
                    # Its numbers and times are certain: when they are not the subject's,
                    # the line is not theirs whatever its unsettled column holds.
                    reason = str(exc)
                    for i in holders:
                        if matchers[i].match(exc.call) is not None:
                            results[i].unparsed.append(
                                Unparsed(
                                    candidate.offset, candidate.raw, candidate.number, reason, True
                                )
                            )
                    continue
                except ParseError as exc:
                    for i in holders:
                        results[i].unparsed.append(
                            Unparsed(
                                candidate.offset,
                                candidate.raw,
                                candidate.number,
                                str(exc),
                                _may_hold(text, matchers[i]),
                            )
                        )
                    continue
                base = ""
                for i in holders:
                    match = matchers[i].match(call)
                    if match is None:
                        continue
                    base = base or f"{call.ident or 'line'}:{self._digest(candidate.raw)}"
                    hit = Hit(
                        candidate.offset,
                        candidate.raw,
                        candidate.number,
                        fields,
                        call,
                        match,
                        results[i].record_id(base),
                    )
                    results[i].add_hit(hit)
                    if on_hit is not None and alone:
                        on_hit(hit)
            fingerprint = _fingerprint(stream, shared.complete)
        for result in results:
            result.fingerprint = fingerprint
            result.seen = {}  # only needed while scanning (an append re-counts from the spool)
            if not alone:
                result.stats.lines = shared.lines
                result.stats.size = shared.size
                result.stats.complete = shared.complete
                result.stats.complete_lines = shared.complete_lines

    def _parse(self, path: Path, fields: list[str]) -> Call:
        """The call on a line; a line whose layout only the file can settle asks the file."""
        try:
            return self.format.parse(fields)
        except Unsettled as exc:
            extra = self.format.settle(path, exc.width)
            if extra is None:
                raise
            return self.format.parse(fields, extra)

    def _digest(self, raw: bytes) -> str:
        content = raw.rstrip(b"\r\n")
        key = self.context.secret_key or b"dsr-pbx"
        return hmac.digest(key, content, "sha256").hex()[:16]  # hmac.new's value, in C

    def _stat(self, path: Path) -> FileScan:
        st = os.stat(path)
        spool: Spool[Hit] = Spool(self._spool_folder, codec=(_pack, _unpack))
        return FileScan(path, (st.st_dev, st.st_ino), st.st_size, st.st_mtime_ns, spool)

    def _cache_key(self, path: Path, matcher: Matcher) -> tuple[object, ...]:
        return (self._identity, path, matcher.key)

    def _cached(self, path: Path, matcher: Matcher, fresh: FileScan) -> FileScan | None:
        """The cached scan of ``path`` for ``matcher`` when the file is unchanged since."""
        cached = SCANS.get(self._cache_key(path, matcher))
        if cached is not None and cached.inode == fresh.inode:
            if (cached.size, cached.mtime_ns) == (fresh.size, fresh.mtime_ns):
                return cached
        return None

    def _scan(
        self, path: Path, matcher: Matcher, on_hit: Callable[[Hit], None] | None = None
    ) -> FileScan:
        """The complete scan of ``path``, its hits spooled to disk. Served from the cache
        while the file is unchanged; when the PBX only appended to it (same inode, larger,
        the bytes before the last scanned line end unchanged), only the new lines are read.
        ``on_hit`` is given each hit as it is found when the whole file is read (not when
        the scan comes from the cache, in whole or in part)."""
        fresh = self._stat(path)
        key = self._cache_key(path, matcher)
        cached = SCANS.get(key)
        start, first_line = 0, 1
        if cached is not None and cached.inode == fresh.inode:
            if (cached.size, cached.mtime_ns) == (fresh.size, fresh.mtime_ns):
                self._report_scan(cached, quiet=True)
                return cached
            complete = cached.stats.complete
            if fresh.size >= complete and self._unchanged_before(path, cached):
                start, first_line = complete, cached.stats.complete_lines + 1
                for hit in cached.hits:
                    if hit.offset < complete:
                        fresh.add_hit(hit)
                        fresh.record_id(hit.record_id.split("#")[0])
                fresh.unparsed = [u for u in cached.unparsed if u.offset < complete]
                fresh.stats = ScanStats(
                    lines=cached.stats.complete_lines,
                    candidates=cached.stats.candidates,
                    complete=complete,
                    complete_lines=cached.stats.complete_lines,
                )
        self._fill(path, [matcher], [fresh], start, first_line, on_hit if start == 0 else None)
        SCANS.put(key, fresh, len(fresh.hits) + 1)
        self._report_scan(fresh)
        return fresh

    def scan_many(self, subjects: Sequence[tuple[Subject, Sequence[Identity]]]) -> int:
        """Batch API: read each file once for many requests (``(subject, keys)`` pairs, keys
        as for :meth:`access`; empty keys: the subject's own identities, as for
        :meth:`locate`), and keep each request's scan in this process's cache, where its own
        :meth:`locate`, :meth:`access` and :meth:`erase` (on any system object of the same
        name and config) find it while the file is unchanged. Requests whose scan is already
        cached are not read again. Returns how many file passes were made.

        Each request's results are exactly what scanning for it alone gives (see
        :meth:`_fill`); its hits are spooled to disk, so memory does not grow with them.
        """
        matchers = [m for m in (self.matcher(s, k) for s, k in subjects) if m]
        passes = 0
        for path in self._existing_files() if matchers else []:
            passes += self._scan_group(path, matchers, count=True)[1]
        return passes

    @overload
    def _scan_group(self, path: Path, matchers: Sequence[Matcher]) -> list[FileScan]: ...

    @overload
    def _scan_group(
        self, path: Path, matchers: Sequence[Matcher], *, count: Literal[True]
    ) -> tuple[list[FileScan], int]: ...

    def _scan_group(
        self, path: Path, matchers: Sequence[Matcher], *, count: bool = False
    ) -> list[FileScan] | tuple[list[FileScan], int]:
        """The scan of ``path`` for each of ``matchers``: from the cache while the file is
        unchanged, the others read in one pass (per :data:`~.cache.MAX_ENTRIES` of them) and
        cached. With ``count``, also the number of passes made."""
        probe = self._stat(path)
        found: dict[tuple[object, ...], FileScan] = {}
        todo: dict[tuple[object, ...], Matcher] = {}
        for matcher in matchers:
            key = self._cache_key(path, matcher)
            cached = self._cached(path, matcher, probe)
            if cached is not None:
                found[key] = cached
            else:
                todo.setdefault(key, matcher)
        passes = 0
        pending = list(todo.items())
        for start in range(0, len(pending), SCANS.max_entries):
            group = pending[start : start + SCANS.max_entries]
            results = [self._stat(path) for _ in group]
            for result in results[1:]:
                result.inode, result.size = results[0].inode, results[0].size
                result.mtime_ns = results[0].mtime_ns
            with self._file_errors():
                self._fill(path, [m for _, m in group], results)
            passes += 1
            for (key, _), result in zip(group, results, strict=True):
                SCANS.put(key, result, len(result.hits) + 1)
                found[key] = result
        scans = [found[self._cache_key(path, m)] for m in matchers]
        return (scans, passes) if count else scans

    def _unchanged_before(self, path: Path, cached: FileScan) -> bool:
        with open(path, "rb", buffering=0) as stream:
            return _fingerprint(stream, cached.stats.complete) == cached.fingerprint

    def _stream(self, path: Path, matcher: Matcher) -> Iterator[tuple[FileScan, Hit | Unparsed]]:
        """Every Hit/Unparsed of ``path`` (hits read back from the scan's spool)."""
        scanned = self._scan(path, matcher)
        for item in itertools.chain(scanned.hits, scanned.unparsed):
            yield scanned, item

    def _report_scan(self, result: FileScan, *, quiet: bool = False) -> None:
        """Add a file's scan to the run summary; log its counts (never its content)."""
        errors = result.unparsed
        entry: dict[str, Any] = {
            "file": str(result.path),
            "lines": result.stats.lines,
            "candidates": result.stats.candidates,
            "matched": len(result.hits),
            "parse_errors": len(errors),
        }
        unknown = self._probe(result.path)
        if unknown:
            entry["unknown_layout"] = unknown
        files = self._summary.setdefault("files", [])
        files[:] = [f for f in files if f["file"] != entry["file"]] + [entry]
        examples = self._summary.setdefault("parse_error_lines", [])
        examples[:] = [e for e in examples if e["file"] != entry["file"]]
        for error in errors[:EXAMPLES]:
            examples.append({"file": str(result.path), "line": error.line, "reason": error.reason})
        self._summary["parse_errors"] = sum(f["parse_errors"] for f in files)
        if quiet:
            return
        log.info(
            "pbx.scan",
            system=self.name,
            file=result.path.name,
            lines=result.stats.lines,
            candidates=result.stats.candidates,
            matched=len(result.hits),
            parse_errors=len(errors),
        )
        if errors:
            log.warning(
                "pbx.unparseable_lines",
                system=self.name,
                file=result.path.name,
                count=len(errors),
                first_line=errors[0].line,
                reason=errors[0].reason,
            )

    def _start(self, operation: str) -> None:
        self._summary = {"operation": operation, "files": [], "parse_errors": 0}

    def warnings(self) -> list[str]:
        """Nothing that hides data is a warning: see :meth:`unreadable`."""
        return []

    def _probe(self, path: Path) -> str | None:
        """Why none of the first :data:`PROBE_LINES` lines of ``path`` is in a known layout
        (the file is then unreadable as a whole), or None: the file is empty, or one of them
        is (a line whose layout only the keys settle is in a known layout)."""
        first: str | None = None
        seen = 0
        try:
            with open(path, "rb") as stream:
                for block in bounded_lines(stream, self.max_line, 64 << 10):
                    for item in block:
                        if isinstance(item, TooLong):
                            reason = too_long_reason(item.length, self.max_line)
                        else:
                            text = decode(item)
                            if not text.strip():
                                continue
                            try:
                                self.format.parse(split_fields(text))
                                return None
                            except Unsettled:
                                return None  # a known layout, its 17th column aside
                            except ParseError as exc:
                                reason = str(exc)
                        seen += 1
                        first = first or f"line {seen}: {reason}"
                        if seen >= PROBE_LINES:
                            return f"the first {seen} lines; {first}"
        except OSError:
            return None  # reported by the scan itself
        return f"{seen} line(s); {first}" if first else None

    def unreadable(self) -> list[str]:
        """What the last call could not read: each file none of whose first lines is in a
        known layout, and the lines it looked at (those that may hold the subject's numbers)
        but could not read: file, line and reason, never their content. The lines are left
        as they are."""
        files = self._summary.get("files", [])
        result = [
            f"{f['file']}: no line in a known layout ({f['unknown_layout']}): the file cannot "
            "be read; review it by hand"
            for f in files
            if f.get("unknown_layout")
        ]
        return result + parse_warnings(
            self._summary.get("parse_error_lines", []),
            files,
            "file",
            each=lambda e: (
                f"{e['file']} line {e['line']}: cannot be read ({e['reason']}); left as it is"
            ),
            more=lambda f, shown: (
                f"{f['file']}: {f['parse_errors']} lines that may hold the subject's numbers "
                f"cannot be read (the first {shown} are listed)"
            ),
        )

    def last_run_summary(self) -> dict[str, Any]:
        """What the last locate/access/erase looked at: per file the lines read, candidates
        parsed, calls matched and lines that could not be parsed (file, line, reason); for
        erasure the counts per action. Holds no numbers or names."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self._summary.items()}

    # -- health -----------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Fails when a file cannot be read or rewritten, when a non-empty file has no line
        that can be read, or when lines need the layout keys to be read; lines that cannot be
        parsed among readable ones are reported without failing."""
        problems: list[str] = []
        blocking = False
        master = self.files()[0]
        details: dict[str, Any] = {"files": []}
        if not master.exists():
            return CheckResult(False, (f"{master}: file not found",), details)
        if not master.is_file():
            return CheckResult(False, (f"{master}: not a regular file",), details)
        if not _allowed(master.parent, os.W_OK | os.X_OK):
            problems.append(f"{master.parent}: folder not writable: erasure cannot rewrite files")
            blocking = True
        total_errors = 0
        for path in self.files():
            if not _allowed(path, os.R_OK):
                problems.append(f"{path}: not readable (permissions)")
                blocking = True
                continue
            st = os.stat(path)
            if os.geteuid() != 0 and st.st_uid != os.geteuid():
                problems.append(
                    f"{path}: owned by uid {st.st_uid}: erasure could not keep its owner"
                )
                blocking = True
            try:
                result = self.validate(path)
            except PermissionError:
                problems.append(f"{path}: not readable (permissions)")
                blocking = True
                continue
            total_errors += result.errors
            details["files"].append(
                {
                    "file": str(path),
                    "lines": result.lines,
                    "parse_errors": result.errors,
                    "unsettled": result.unsettled,
                }
            )
            if result.lines and result.errors == result.lines:
                blocking = True
                problems.append(
                    f"{path}: no line can be read ({result.lines} line(s); first: line "
                    f"{result.examples[0][0]}: {result.examples[0][1]})"
                )
                continue
            if result.contradiction is not None:
                blocking = True
                number, reason = result.contradiction
                problems.append(
                    f"{path}: {result.contradictions} line(s) at odds with the layout keys "
                    f"(first: line {number}: {reason})"
                )
            expected = self.format.expected_width
            others = {w: n for w, n in result.widths.items() if expected and w != expected}
            if others and len(others) < len(result.widths):
                shown = ", ".join(f"{n} with {w}" for w, n in sorted(others.items()))
                problems.append(
                    f"{path}: lines not of the {expected} columns the layout keys make "
                    f"Asterisk write ({shown}): read by their own width (written before a "
                    "cdr.conf change?)"
                )
            elif others:
                blocking = True
                problems.append(
                    f"{path}: no line has the {expected} columns the layout keys make Asterisk "
                    "write: check loguniqueid, loguserfield and newcdrcolumns"
                )
            if result.unsettled:
                blocking = True
                problems.append(
                    f"{path}: {result.unsettled} line(s) have 17 or 20 columns whose 17th may "
                    "be the uniqueid or the userfield, and the file does not tell which: set "
                    f"loguniqueid and loguserfield in [systems.{self.name}] as cdr.conf's "
                    "[csv] section has them"
                )
            if result.errors:
                shown = "; ".join(f"line {n}: {reason}" for n, reason in result.examples[:5])
                problems.append(
                    f"{path}: {result.errors} line(s) cannot be parsed and are left as they are "
                    f"({shown}{'; ...' if result.errors > 5 else ''})"
                )
        details["parse_errors"] = total_errors
        return CheckResult(not blocking, tuple(problems), details)

    def validate(self, path: Path) -> Validation:
        """Every line of ``path`` checked: how many, how many cannot be read (and the first
        ones, as (line number, reason)), how many of those only the layout keys would settle.

        Lines are read in bounded memory (:func:`~.lines.bounded_lines`), split by the csv
        module in bulk (C speed) and checked with the format's quick test; only lines failing
        it, or a record the csv module ran over several lines (an unbalanced quote), are parsed
        one by one for the reason.
        """
        result = Validation()
        pending: dict[int, list[tuple[int, str]]] = {}  # width → lines the file may settle

        def fail(number: int, raw: str) -> None:
            try:
                self.format.parse(split_fields(raw.rstrip("\r\n")))
            except Unsettled as exc:
                pending.setdefault(exc.width, []).append((number, str(exc)))
            except ParseError as exc:
                result.error(number, str(exc))

        quick_ok = self.format.quick_ok
        widths = self.format.contradicted_widths

        def inspect(number: int, row: list[str]) -> None:
            reason = self.format.contradiction(row)
            if reason:
                result.contradictions += 1
                if result.contradiction is None:
                    result.contradiction = (number, reason)

        with open(path, "rb") as stream:
            for block in bounded_lines(stream, self.max_line, 1 << 20):
                run: list[str] = []
                for item in block:
                    if isinstance(item, TooLong):
                        self._validate_run(run, result, quick_ok, fail, widths, inspect)
                        run = []
                        result.lines += 1
                        result.error(result.lines, too_long_reason(item.length, self.max_line))
                    else:
                        run.append(item.decode(ENCODING, ERRORS))
                self._validate_run(run, result, quick_ok, fail, widths, inspect)
        for width, lines in pending.items():
            if self.format.settle(path, width) is not None:
                continue
            result.unsettled += len(lines)
            for number, reason in lines:
                result.error(number, reason)
        result.examples.sort()
        del result.examples[EXAMPLES:]
        return result

    @staticmethod
    def _validate_run(
        texts: list[str],
        result: Validation,
        quick_ok: Callable[[list[str]], bool],
        fail: Callable[[int, str], None],
        widths: frozenset[int],
        inspect: Callable[[int, list[str]], None],
    ) -> None:
        reader = csv.reader(texts, strict=True)
        done = 0  # lines of the run the reader went through
        while done < len(texts):
            try:
                row: list[str] | None = next(reader)
            except StopIteration:
                break
            except csv.Error:
                row = None
            used = max(reader.line_num - done, 1)
            if row is not None:
                width = len(row)
                result.widths[width] = result.widths.get(width, 0) + 1
                if width in widths:
                    inspect(result.lines + done + 1, row)
            if used == 1 and row is not None and quick_ok(row):
                done += 1
                continue
            for i in range(done, min(done + used, len(texts))):
                fail(result.lines + i + 1, texts[i])
            done += used
        result.lines += len(texts)

    # -- locate / access --------------------------------------------------------------------
    def locate(self, subject: Subject) -> list[Identity]:
        self._start("locate")
        matcher = self.matcher(subject)
        if not matcher:
            return []
        found: dict[tuple[object, ...], Identity] = {}
        for path in self._existing_files():
            with self._file_errors():
                scanned = self._scan(path, matcher)
            for owned in scanned.owned:  # in the order the calls showed them
                found.setdefault(owned.identity.key, owned.identity)
                if owned.kind == "extension":
                    customer = matcher.customer_identity(owned)
                    if customer is not None:
                        found.setdefault(customer.key, customer)
        return list(found.values())

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        self._start("access")
        matcher = self.matcher(subject, keys)
        if not matcher:
            return
        seen: set[str] = set()
        for scanned, item in self._guarded(self._all_items(matcher)):
            if not isinstance(item, Hit) or item.record_id in seen:
                continue
            seen.add(item.record_id)
            yield Record(
                system=self.name,
                category=self.category,
                record_id=item.record_id,
                fields=call_fields(item.call, item.match, self.third_parties, self.region),
                source=f"{scanned.path.name} line {item.line}",
                provided_by_subject=True,
            )

    def _all_items(self, matcher: Matcher) -> Iterator[tuple[FileScan, Any]]:
        for path in self._existing_files():
            yield from self._stream(path, matcher)

    def _guarded(self, items: Iterator[Any]) -> Iterator[Any]:
        """Turn file errors into the core's error kinds (messages hold no personal data)."""
        with self._file_errors():
            yield from items

    @contextlib.contextmanager
    def _rewrite_errors(self) -> Iterator[None]:
        """A rewrite's errors as the core's kinds: a held lock is worth retrying, a refused
        rewrite or a missing permission is not (messages hold no personal data)."""
        try:
            yield
        except LockTimeout as exc:
            raise TransientError(f"systems.{self.name}: {exc}") from None
        except RewriteRefused as exc:
            raise PermanentError(f"systems.{self.name}: {exc}") from None
        except PermissionError as exc:
            raise PermanentError(
                f"systems.{self.name}: permission denied: {exc.filename}"
            ) from None

    @contextlib.contextmanager
    def _file_errors(self) -> Iterator[None]:
        try:
            yield
        except PermissionError as exc:
            raise PermanentError(f"systems.{self.name}: cannot read {exc.filename}") from None
        except FileNotFoundError as exc:
            raise TransientError(
                f"systems.{self.name}: {exc.filename} disappeared while reading"
            ) from None

    # -- erase ------------------------------------------------------------------------------
    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        self._start("erase-dry-run" if dry_run else "erase")
        matcher = self.matcher(subject, keys)
        if not matcher:
            return
        outcomes: dict[str, Outcome] = {}
        with self._rewrite_errors():
            if dry_run:
                for path in self._existing_files():
                    outcomes.update(self._erase_file(path, matcher, dry_run=True, known=outcomes))
            else:
                master = self._existing_files()[0]
                with folder_lock(master.parent):
                    for path in self._existing_files():
                        outcomes.update(
                            self._erase_file(path, matcher, dry_run=False, known=outcomes)
                        )
        counts: dict[str, int] = {}
        for result in outcomes.values():
            counts[str(result.action)] = counts.get(str(result.action), 0) + 1
        self._summary["outcomes"] = counts
        log.info("pbx.erase", system=self.name, dry_run=dry_run, **counts)
        yield from outcomes.values()

    def _erase_file(
        self, path: Path, matcher: Matcher, *, dry_run: bool, known: dict[str, Outcome]
    ) -> dict[str, Outcome]:
        done = None if dry_run else self._take_done(path, matcher)
        if done is not None:
            outcomes, unchanged = done
            if unchanged:  # the file is as the batch left it: nothing more to do
                return outcomes
            # changed since (the PBX appended calls): what the batch did, then what is left
            rest = self._erase_file(path, matcher, dry_run=False, known={**known, **outcomes})
            return {**outcomes, **{k: v for k, v in rest.items() if k not in outcomes}}
        for _attempt in range(3):
            with self._started(path, matcher, dry_run) as started:
                scanned = self._scan(path, matcher, started.add if started else None)
                outcomes, edits = self._plan(path, scanned, matcher, known)
                if dry_run or not edits:
                    return outcomes
                try:
                    rewrite(
                        path,
                        edits,
                        planned_size=scanned.size,
                        planned_inode=scanned.inode,
                        started=started.rewrite if started else None,
                    )
                except FileChanged:
                    SCANS.discard(lambda k: k[1] == path)
                    continue
            SCANS.discard(lambda k: k[1] == path)
            return outcomes
        raise TransientError(f"systems.{self.name}: {path.name} kept changing; try again")

    @contextlib.contextmanager
    def _started(self, path: Path, matcher: Matcher, dry_run: bool) -> Iterator[_Streamed | None]:
        """When ``path`` is to be read whole (no scan of it cached), a rewrite begun at once
        and fed each hit's edit as the scan finds it: the copy overlaps the scan (see
        :class:`~.rewrite.Started`). None for a dry run or a cached scan. Whatever is not
        finished is discarded on leaving."""
        if dry_run or SCANS.get(self._cache_key(path, matcher)) is not None:
            yield None
            return
        try:
            begun = Started(path)
        except OSError:  # e.g. a folder dsr may not write to: the plain path says so, if needed
            yield None
            return
        with begun:
            yield _Streamed(self, path, matcher, begun)

    def _edit(
        self, hit: Hit, action: Action, pseudonymise: Callable[[str], str]
    ) -> tuple[Edit | None, list[str]]:
        """The edit erasing or anonymising ``hit`` (None when kept) and the columns it
        changes; :class:`ParseError` when the line cannot be anonymised."""
        if action == Action.ERASED:
            return Edit(hit.offset, hit.raw, b""), []
        if action == Action.ANONYMISED:
            new, changed = self._anonymised(hit, pseudonymise)
            return Edit(hit.offset, hit.raw, new), changed
        return None, []

    def _plan(
        self, path: Path, scanned: FileScan, matcher: Matcher, known: dict[str, Outcome]
    ) -> tuple[dict[str, Outcome], list[Edit]]:
        """What erasing ``matcher``'s calls in ``path`` does: the outcomes (those of record
        ids already in ``known``, from another file, left out) and the edits, by offset."""
        today = self.context.today()
        pseudonymise = self._pseudonymiser(matcher)
        outcomes: dict[str, Outcome] = {}
        edits: list[Edit] = []
        for hit in scanned.hits:
            decision = decide(hit.call.day, today, self.retention)
            summary = {"start": iso(hit.call.start), "direction": hit.match.direction}
            try:
                edit, changed = self._edit(hit, decision.action, pseudonymise)
            except ParseError as exc:
                outcomes.setdefault(hit.record_id, _unchanged(hit, path, str(exc)))
                continue
            if edit is not None:
                edits.append(edit)
            if hit.record_id not in known:
                outcomes.setdefault(
                    hit.record_id,
                    outcome(
                        hit.record_id,
                        self.category,
                        decision,
                        self.retention,
                        fields=summary,
                        anonymised=changed,
                    ),
                )
        for bad in scanned.unparsed:
            if bad.may_be_subject:
                content = bad.raw or f"{path}:{bad.offset}".encode()
                record_id = f"unparsed:{self._digest(content)}"
                outcomes.setdefault(record_id, _unchanged_line(bad, path, record_id))
        return outcomes, edits

    def erase_many(
        self, requests: Sequence[tuple[Subject, Sequence[Identity]]], *, dry_run: bool
    ) -> list[list[Outcome]]:
        """Batch API: erase several subjects (``(subject, keys)`` pairs, as for
        :meth:`erase`) with one scan and one rewrite per file; returns each request's
        outcomes, the same as :meth:`erase` run for each in turn would give.

        A line two requests would change differently (a call between two subjects,
        anonymised for each) is left to the later request, which is then erased on its own
        in that file after the shared rewrite (on the line as the first left it). Under the
        folder lock, like :meth:`erase`; a file that changed under the plan is planned again.
        """
        self._start("erase-dry-run" if dry_run else "erase")
        matchers = [self.matcher(s, k) for s, k in requests]
        results: list[dict[str, Outcome]] = [{} for _ in requests]
        active = [i for i, m in enumerate(matchers) if m]
        with self._rewrite_errors():
            files = self._existing_files() if active else []
            lock = (
                folder_lock(files[0].parent) if files and not dry_run else contextlib.nullcontext()
            )
            with lock:
                for path in files:
                    self._erase_file_many(path, matchers, active, results, dry_run=dry_run)
        counts: dict[str, int] = {}
        for outcomes in results:
            for result in outcomes.values():
                counts[str(result.action)] = counts.get(str(result.action), 0) + 1
        self._summary["outcomes"] = counts
        log.info("pbx.erase_many", system=self.name, dry_run=dry_run, requests=len(requests))
        return [list(outcomes.values()) for outcomes in results]

    def _erase_file_many(
        self,
        path: Path,
        matchers: Sequence[Matcher],
        active: Sequence[int],
        results: list[dict[str, Outcome]],
        *,
        dry_run: bool,
    ) -> None:
        for _attempt in range(3):
            scans = self._scan_group(path, [matchers[i] for i in active])
            if len({(s.inode, s.size) for s in scans}) > 1:  # appended between two scans
                SCANS.discard(lambda k: k[1] == path)
                continue
            planned: dict[int, tuple[dict[str, Outcome], list[Edit]]] = {}
            merged: dict[int, Edit] = {}
            later: list[int] = []
            for i, scanned in zip(active, scans, strict=True):
                outcomes, edits = self._plan(path, scanned, matchers[i], results[i])
                if not dry_run and any(e.offset in merged and merged[e.offset] != e for e in edits):
                    later.append(i)
                    continue
                planned[i] = (outcomes, edits)
                for edit in edits:
                    merged[edit.offset] = edit
            if merged and not dry_run:
                try:
                    rewrite(
                        path,
                        [merged[o] for o in sorted(merged)],
                        planned_size=scans[0].size,
                        planned_inode=scans[0].inode,
                    )
                except FileChanged:
                    SCANS.discard(lambda k: k[1] == path)
                    continue
                SCANS.discard(lambda k: k[1] == path)
            per_file = {i: outcomes for i, (outcomes, _) in planned.items()}
            for i in later:
                per_file[i] = self._erase_file(path, matchers[i], dry_run=False, known=results[i])
            if not dry_run:
                self._remember_done(path, {i: (matchers[i], per_file[i]) for i in active})
            for i in active:
                results[i].update(per_file[i])
            return
        raise TransientError(f"systems.{self.name}: {path.name} kept changing; try again")

    def _remember_done(
        self, path: Path, done: Mapping[int, tuple[Matcher, dict[str, Outcome]]]
    ) -> None:
        """Keep what a batch erased in ``path`` for each request until its own erase step
        reports it (:meth:`_take_done`), with the file's state after the rewrite."""
        st = os.stat(path)
        state = ((st.st_dev, st.st_ino), st.st_size, st.st_mtime_ns)
        with _DONE_LOCK:
            for matcher, outcomes in done.values():
                DONE[self._cache_key(path, matcher)] = (state, dict(outcomes))

    def _take_done(self, path: Path, matcher: Matcher) -> tuple[dict[str, Outcome], bool] | None:
        """What a batch of this process erased in ``path`` for ``matcher`` (taken: a second
        erase finds nothing erased, as it would alone), and whether the file is unchanged
        since; None when no batch did."""
        with _DONE_LOCK:
            entry = DONE.pop(self._cache_key(path, matcher), None)
        if entry is None:
            return None
        state, outcomes = entry
        st = os.stat(path)
        return outcomes, state == ((st.st_dev, st.st_ino), st.st_size, st.st_mtime_ns)

    # -- many requests at once --------------------------------------------------------------
    def prepare_batch(self, step: str, items: Sequence[BatchItem]) -> None:
        """The engine's batch (:meth:`System.prepare_batch`): the file is read once for every
        task (:meth:`scan_many`), and the erasures are carried out with one rewrite per file
        (:meth:`erase_many`); each task's own step then finds its scan in the cache, or its
        outcomes kept for it, and reports exactly what it would have alone."""
        erasing = [i for i in items if step == "act" and i.kind == RequestKind.ERASURE]
        reading = [i for i in items if i not in erasing]
        if len(reading) > 1:
            self.scan_many([(i.subject, i.keys) for i in reading])
        if erasing:
            self.erase_many([(i.subject, i.keys) for i in erasing], dry_run=False)

    def _anonymised(self, hit: Hit, pseudonymise: Callable[[str], str]) -> tuple[bytes, list[str]]:
        fields = hit.fields if hit.fields is not None else split_fields(decode(hit.raw))
        changes = self.format.anonymise(fields, hit.call, hit.match, pseudonymise)
        return replace_fields(hit.raw, changes, len(fields)), sorted(
            _column_names(hit.call.columns, changes)
        )


@dataclass(slots=True)
class _Streamed:
    """Hands each hit's edit to a rewrite begun during the scan, as :meth:`_plan` will."""

    system: CsvCallLogSystem
    path: Path
    matcher: Matcher
    rewrite: Started
    pseudonymise: Callable[[str], str] | None = None

    def add(self, hit: Hit) -> None:
        system = self.system
        if self.pseudonymise is None:
            self.pseudonymise = system._pseudonymiser(self.matcher)
        decision = decide(hit.call.day, system.context.today(), system.retention)
        try:
            edit, _ = system._edit(hit, decision.action, self.pseudonymise)
        except ParseError:
            return  # left unchanged, as the plan will
        if edit is not None:
            self.rewrite.add(edit)


_CALL_FIELDS = tuple(f.name for f in dataclasses.fields(Call))
_MATCH_FIELDS = tuple(f.name for f in dataclasses.fields(Match))
_call_values = operator.attrgetter(*_CALL_FIELDS)  # a tuple of the fields, in one C call
_match_values = operator.attrgetter(*_MATCH_FIELDS)


def _pack(hit: Hit) -> tuple[Any, ...]:
    """A hit as plain tuples for the spool (pickling dataclasses is several times slower);
    its fields are left out (they are ``raw`` split, and only an anonymisation needs them:
    pickling a list of strings per call cost more than splitting the few anonymised)."""
    call, match = hit.call, hit.match
    return (
        hit.offset,
        hit.raw,
        hit.line,
        _call_values(call),
        _match_values(match),
        hit.record_id,
    )


def _unpack(packed: tuple[Any, ...]) -> Hit:
    offset, raw, line, call, match, record_id = packed
    return Hit(offset, raw, line, None, Call(*call), Match(*match), record_id)


def _column_names(columns: Sequence[str], changes: dict[int, str]) -> list[str]:
    return [columns[i] if i < len(columns) and columns[i] else f"column {i + 1}" for i in changes]


def _allowed(path: Path, mode: int) -> bool:
    """``os.access``; for root, which passes any check, the permission bits must allow it for
    someone (a file nobody may read is a misconfiguration even if root can)."""
    if not os.access(path, mode):
        return False
    if os.geteuid() != 0:
        return True
    bits = os.stat(path).st_mode
    needed = [(os.R_OK, 0o444), (os.W_OK, 0o222), (os.X_OK, 0o111)]
    return all(bits & mask for flag, mask in needed if mode & flag)


def _fingerprint(stream: Any, end: int, size: int = 4096) -> bytes:
    """A hash of the ``size`` bytes before ``end``: tells an append from a rewrite."""
    start = max(0, end - size)
    stream.seek(start)
    return hashlib.sha256(stream.read(end - start)).digest()


_NOT_DIGIT = bytes(b for b in range(256) if not 48 <= b <= 57)
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class _Holders:
    """Which matchers' own scans would have found a line (it holds one of their numbers'
    NSNs in its digits, or one of their extensions bounded by non-alphanumerics): what a
    batch hands each matcher is exactly what its own scan would have. Each needle is tested
    once per line, whatever the number of matchers holding it."""

    def __init__(self, matchers: Sequence[Matcher]) -> None:
        nsns: dict[str, list[int]] = {}
        extensions: dict[bytes, list[int]] = {}
        for i, matcher in enumerate(matchers):
            for n in matcher.nsns:
                nsns.setdefault(n, []).append(i)
            for e in matcher.extensions:
                extensions.setdefault(e.encode(), []).append(i)
        self._nsns = list(nsns.items())
        self._extensions = list(extensions.items())

    def __call__(self, raw: bytes) -> list[int]:
        line_digits = raw.translate(None, _NOT_DIGIT).decode("ascii")
        found: set[int] = set()
        for nsn, owners in self._nsns:
            if nsn in line_digits:
                found.update(owners)
        for extension, owners in self._extensions:
            if not found.issuperset(owners) and _bounded(raw, extension):
                found.update(owners)
        return sorted(found)


def _bounded(raw: bytes, needle: bytes) -> bool:
    at = raw.find(needle)
    while at != -1:
        before = raw[at - 1] if at > 0 else 10
        end = at + len(needle)
        after = raw[end] if end < len(raw) else 10
        if before not in _ALNUM and after not in _ALNUM:
            return True
        at = raw.find(needle, at + 1)
    return False


_TOKENS = re.compile(r'[",<>;|]')


def _may_hold(text: str, matcher: Matcher) -> bool:
    """Whether an unparseable line has a field that is one of the subject's numbers."""
    for token in _TOKENS.split(text):
        value = token.strip()
        if not value:
            continue
        if value in matcher.extensions:
            return True
        if matcher.phones and matcher.display(value) in matcher.phones:
            return True
    return False


def _unchanged(hit: Hit, path: Path, reason: str) -> Outcome:
    return Outcome(
        hit.record_id,
        "call",
        Action.UNCHANGED,
        detail=f"{path.name} line {hit.line} could not be anonymised ({reason}): left as it "
        "is; review by hand",
        fields={"file": path.name, "line": hit.line},  # the subject reads it: no server path
    )


def _unchanged_line(bad: Unparsed, path: Path, record_id: str) -> Outcome:
    return Outcome(
        record_id,
        "call",
        Action.UNCHANGED,
        detail=f"{path.name} line {bad.line} may hold the subject's number but cannot be "
        f"parsed ({bad.reason}): left as it is; review by hand",
        fields={"file": path.name, "line": bad.line, "reason": bad.reason},
    )
