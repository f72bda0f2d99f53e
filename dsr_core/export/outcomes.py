"""A system's outcomes (erased, anonymised, kept...) as ``outcomes.json`` and ``outcomes.csv``.

Outcomes have fixed columns, so the CSV header is written first (cells that would start a
spreadsheet formula get a ``'`` in front, see :func:`.values.csv_safe`); both files are written as
the outcomes arrive. Counts per action and per category are kept for the manifest and the
report, plus the first kept records (with basis and until-date) and the first few of every
action for the report's tables: bounded lists, whatever the number of outcomes.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..fields import in_language
from ..model import Action, Outcome
from .values import CSV_NATIVE, TextParts, csv_cell, csv_safe, encode_text, json_lines, json_text
from .zipout import PackedWriter, StreamEntry, ZipOut

#: The columns of ``outcomes.csv``.
OUTCOME_COLUMNS = ("record_id", "category", "action", "basis", "until", "detail", "fields")
_BATCH = 512


@dataclass(slots=True)
class OutcomesResult:
    """What one system did, per action and per category, with bounded samples."""

    json_path: str | None = None
    csv_path: str | None = None
    actions: Counter[str] = field(default_factory=Counter)
    by_category: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: The first kept outcomes (as many as the larger of the manifest and report limits).
    kept: list[Outcome] = field(default_factory=list)
    #: The first outcomes of each action, for the report.
    samples: dict[str, list[Outcome]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.actions.values())

    @property
    def kept_total(self) -> int:
        return self.actions.get(Action.KEPT.value, 0)


class SystemOutcomes:
    """Writes one system's outcomes into ``<folder>/outcomes.json`` / ``.csv``."""

    def __init__(
        self,
        out: ZipOut,
        folder: str,
        *,
        kept_limit: int,
        sample_limit: int,
        spool_dir: Path | None,
        language: str = "en",
    ) -> None:
        """``language``: the CSV's language for a legal basis given per language (the JSON
        keeps every language given)."""
        self._out = out
        self._language = language
        self._folder = folder
        self._kept_limit = kept_limit
        self._sample_limit = sample_limit
        self._spool_dir = spool_dir
        self._json: StreamEntry | PackedWriter | None = None
        self._csv: PackedWriter | None = None
        self.result = OutcomesResult()

    def _start(self) -> None:
        self.result.json_path = f"{self._folder}/outcomes.json"
        self.result.csv_path = f"{self._folder}/outcomes.csv"
        if self._out.streaming:
            self._json = self._out.packed(self._spool_dir)
        else:
            self._json = self._out.stream(self.result.json_path)
        self._csv = self._out.packed(self._spool_dir)
        header = io.StringIO()
        csv.writer(header).writerow(OUTCOME_COLUMNS)
        self._csv.write(encode_text(header.getvalue()))

    def write(self, outcomes: Iterable[Outcome]) -> OutcomesResult:
        """Consume ``outcomes`` and queue the two files (none when there are no outcomes)."""
        result = self.result
        batch: list[dict[str, object]] = []
        parts: list[str] = []
        writerow = csv.writer(TextParts(parts)).writerow
        native = CSV_NATIVE.issuperset
        first = True
        for outcome in outcomes:
            if self._json is None:
                self._start()
            action = str(outcome.action)
            result.actions[action] += 1
            result.by_category[(outcome.category, action)] += 1
            if action == Action.KEPT and len(result.kept) < self._kept_limit:
                result.kept.append(outcome)
            samples = result.samples.setdefault(action, [])
            if len(samples) < self._sample_limit:
                samples.append(outcome)
            item = outcome.to_json()
            batch.append(item)
            row = [
                outcome.record_id,
                outcome.category,
                action,
                in_language(outcome.basis, self._language),
                item["until"],
                outcome.detail,
                json_text(item["fields"]) if outcome.fields else None,
            ]
            if not native(map(type, row)):
                row = [csv_cell(value) for value in row]
            writerow([csv_safe(v) if type(v) is str else v for v in row])
            if len(batch) >= _BATCH:
                self._flush(batch, parts, first)
                first = False
        if self._json is None:
            return result
        self._flush(batch, parts, first)
        assert self._csv is not None
        self._json.write(b"\n]\n")
        if isinstance(self._json, StreamEntry):
            self._json.close()
        else:
            assert result.json_path is not None
            self._out.add_packed(result.json_path, self._json)
        assert result.csv_path is not None
        self._out.add_packed(result.csv_path, self._csv)
        self._json = self._csv = None
        return result

    def _flush(self, batch: list[dict[str, object]], parts: list[str], first: bool) -> None:
        assert self._json is not None and self._csv is not None
        if batch:
            self._json.write((b"[\n" if first else b",\n") + json_lines(batch))
            batch.clear()
        if parts:
            self._csv.write(encode_text("".join(parts)))
            parts.clear()

    def discard(self) -> None:
        """Forget the files after a failure (the zip writer drops what it deflated)."""
        self._json = self._csv = None
