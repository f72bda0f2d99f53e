"""``report.html``: the human-readable answer, rendered from Jinja2 templates (nl, en, fr).

The data half speaks the subject's language: systems under their display names, categories
and columns under their labels, values by kind (:mod:`dsr_core.fields`, :mod:`.readable`);
record ids, sources and technical fields stay in the JSON and CSV files.

The page is self-contained (inline CSS, no scripts, no external resources) and every value is
autoescaped. It is rendered last, with :meth:`jinja2.Template.generate`, and written to the
zip piece by piece; the record tables read their rows from the per-category preview spools, so
the report never needs the records in memory either.

Templates: ``templates/report.html.j2`` holds the layout and the stable element ids
(``summary``, ``outcomes``, ``erased``, ``anonymised``, ``kept``, ``purposes``,
``legal-basis``, ``categories``, ``recipients`` (with ``recipients-actual``,
``recipients-unconfirmed``, ``recipients-standing`` and ``transfers``), ``retention``,
``source``, ``automated-decisions``, ``rights``, ``complaint``, ``systems`` and
``system-<name>`` per system); ``report.<language>.html.j2`` extends it with the language's
words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..fields import category_label, field_info, field_label, in_language, system_title
from ..model import Action, Outcome, RequestKind, TaskState
from ..template_cache import bytecode_cache
from .legal import legal_context
from .names import UniqueNames, safe_id
from .outcomes import OutcomesResult
from .output import SystemOutput
from .plain import NOT_COMPLETE, missing, note_for, status_of
from .readable import Formatter, colon, date_text, datetime_text, formatter
from .records import META_COLUMNS, CategoryResult, RecordsResult
from .types import LANGUAGES, BundleRequest, Recipient, SystemSection
from .values import csv_text, encode_text

#: Pieces of rendered text gathered before they go to the zip.
_FLUSH_CHARS = 256 << 10


def format_date(language: str, value: date | None) -> str:
    """``5 april 2025`` / ``5 April 2025`` / ``5 avril 2025``; empty for ``None``."""
    if value is None:
        return ""
    return date_text(language, value)


def format_datetime(language: str, value: datetime) -> str:
    """``20 maart 2025, 14:03 CET``: as the record tables write times, with the zone's
    abbreviation."""
    zone = value.tzname() or ""
    return f"{datetime_text(language, value)} {zone}".rstrip()


@dataclass(frozen=True, slots=True)
class Column:
    """A column the report shows: where it is in the preview rows, its label, its format."""

    index: int
    name: str
    label: str
    format: Formatter | None


def shown_columns(system: Any, category: str, names: Sequence[str], language: str) -> list[Column]:
    """The columns a person reads: labelled in ``language``, formatted by kind; the record's
    id, source and flag and the technical fields stay in the JSON and CSV files only."""
    columns = []
    for index, name in enumerate(names):
        if index < len(META_COLUMNS):
            continue
        info = field_info(system, category, name)
        kind = info.kind if info else "text"
        if kind == "technical":
            continue
        label = field_label(system, category, name, language)
        shown = formatter(kind, language, info.currency, info.values) if info else None
        columns.append(Column(index, name, label, shown or formatter(kind, language)))
    return columns


@dataclass(slots=True)
class CategoryView:
    """One category's table in the report."""

    result: CategoryResult
    html_id: str
    label: str
    columns: list[Column]

    @property
    def name(self) -> str:
        return str(self.result.category)

    def rows(self) -> Iterator[list[str]]:
        """The shown cells of each preview row, formatted by kind."""
        columns = [(c.index, c.format) for c in self.columns]
        for row in self.result.rows():
            yield [
                text if fmt is None or not text else fmt(text)
                for text, fmt in ((str(row[i]), fmt) for i, fmt in columns)
            ]

    @property
    def more(self) -> int:
        """Rows in the files that the report does not show."""
        return self.result.records - self.result.preview_rows


@dataclass(slots=True)
class SystemView:
    """One system as the report shows it."""

    output: SystemOutput
    html_id: str
    categories: list[CategoryView]
    language: str
    title: str

    @property
    def section(self) -> SystemSection:
        return self.output.section

    @property
    def records(self) -> RecordsResult:
        return self.output.records

    @property
    def outcomes(self) -> OutcomesResult:
        return self.output.outcomes

    @property
    def name(self) -> str:
        """The name the subject reads (:func:`dsr_core.fields.system_title`)."""
        return self.title

    @property
    def system(self) -> Any:
        return self.section.system

    def category_label(self, category: str) -> str:
        return category_label(self.system, category, self.language)

    def basis(self, outcome: Outcome) -> str:
        """A kept record's legal basis in the report's language (a plugin's default is given
        in each; staff's text as written)."""
        return str(in_language(outcome.basis, self.language) or "")

    def found(self) -> list[tuple[str, int]]:
        """(category label, count) of what the system holds about the subject: its records'
        categories, or for a changing request the categories of its outcomes."""
        if self.categories:
            return [(c.label, c.result.records) for c in self.categories]
        counts: dict[str, int] = {}
        for (category, _action), n in self.outcomes.by_category.items():
            counts[category] = counts.get(category, 0) + n
        return [(self.category_label(c), n) for c, n in counts.items()]

    def describe(self, outcome: Outcome) -> str:
        """The record an outcome is about, as the subject reads it: its labelled fields
        (technical ones left out), else its id (as in ``outcomes.csv``)."""
        parts = []
        for name, value in outcome.fields.items():
            info = field_info(self.system, outcome.category, name)
            kind = info.kind if info else "text"
            if kind == "technical" or value is None or value == "":
                continue
            if isinstance(value, Mapping) and set(value) == {"old", "new"}:  # a rectification
                value = f"{value['old'] or '–'} → {value['new'] or '–'}"
            text = value if isinstance(value, str) else csv_text(value)
            fmt = (
                formatter(kind, self.language, info.currency, info.values)
                if info
                else formatter(kind, self.language)
            )
            shown = fmt(text) if fmt else text
            label = field_label(self.system, outcome.category, name, self.language)
            parts.append(f"{label}{colon(self.language)} {shown}")
        return " · ".join(parts) or str(outcome.record_id)

    @property
    def status(self) -> str:
        """As :func:`.plain.status_of`: ``incomplete`` for a done system with unread data."""
        return status_of(self.section)

    @property
    def unfinished(self) -> bool:
        """The system may hold data this bundle does not list."""
        return self.status in NOT_COMPLETE

    def note(self, language: str) -> str | None:
        """The plain sentence for a system not fully searched (never the staff's error)."""
        return note_for(self.section, language)

    @property
    def holds_data(self) -> bool:
        """Whether the Art. 15 overview should list this system."""
        if self.status == TaskState.SKIPPED:
            return False
        return self.unfinished or bool(self.records.records or self.outcomes.total)

    def counts(self, action: str) -> list[tuple[str, int]]:
        """(category, count) of the outcomes with ``action``."""
        return [(cat, n) for (cat, act), n in self.outcomes.by_category.items() if act == action]

    def samples(self, action: str) -> list[Outcome]:
        return self.outcomes.samples.get(action, [])


def build_views(outputs: Sequence[SystemOutput], language: str) -> list[SystemView]:
    """Each system's output with its display name, labelled tables and unique element ids
    for its section and tables (the ids keep the raw names: they are stable)."""
    ids = UniqueNames()
    views = []
    for output in outputs:
        section = output.section
        system = section.system
        system_id = ids.take(safe_id(section.name, "system"))
        category_ids = UniqueNames()
        categories = [
            CategoryView(
                c,
                category_ids.take(safe_id(str(c.category), "records")),
                category_label(system, str(c.category), language),
                shown_columns(system, str(c.category), c.columns, language),
            )
            for c in output.records.categories
        ]
        title = system_title(system, section.name, language, section.title)
        views.append(SystemView(output, system_id, categories, language, title))
    return views


@cache
def _environment(language: str, template_cache: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dsr_core.export", "templates"),
        bytecode_cache=bytecode_cache(template_cache),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda value: format_date(language, value)
    env.filters["datetime"] = lambda value: format_datetime(language, value)
    return env


def render_report(
    write: Callable[[bytes], object],
    request: BundleRequest,
    outputs: Sequence[SystemOutput],
    recipients: Sequence[Recipient],
    *,
    row_limit: int,
    template_cache: Path | None = None,
) -> None:
    """Render the report in the request's language (else the controller's), passing UTF-8
    pieces to ``write``; the compiled templates are kept in ``template_cache`` if given."""
    language = request.report_language
    if language not in LANGUAGES:
        raise ValueError(f"no report template for language {language!r}")
    systems = build_views(outputs, language)
    template = _environment(language, template_cache).get_template(f"report.{language}.html.j2")
    kind = RequestKind(request.kind)
    context = {
        "lang": language,
        "request": request,
        "identities": shown_identities(request.identities),
        "controller": request.controller,
        "kind": kind.value,
        "article": kind.article,
        "changing": kind.changes_data,
        "erasure": kind.erases,
        "systems": systems,
        "overview": [s for s in systems if s.holds_data],
        "titles": {s.section.name: s.name for s in systems},
        "colon": colon(language),
        "missing": missing([s.section for s in systems], language),
        "recipients": recipients,
        "legal": legal_context(language, recipients, request.controller.automated_decisions),
        "row_limit": row_limit,
        "masked": sum(c.masked for s in systems for c in s.records.categories),
        "actions": {a.name: a.value for a in Action},
    }
    parts: list[str] = []
    pending = 0
    for piece in template.generate(context):
        parts.append(piece)
        pending += len(piece)
        if pending >= _FLUSH_CHARS:
            write(encode_text("".join(parts)))
            parts.clear()
            pending = 0
    write(encode_text("".join(parts)))


def shown_identities(identities: Sequence[Any]) -> list[Any]:
    """The identities the report names, each once: the same customer number found by two
    systems reads the same to the subject."""
    seen: set[tuple[str, str, Any, Any]] = set()
    shown = []
    for ident in identities:
        key = (str(ident.kind), str(ident.value), ident.valid_from, ident.valid_to)
        if key not in seen:
            seen.add(key)
            shown.append(ident)
    return shown
