"""``report.html``: the human-readable answer, rendered from Jinja2 templates (nl and en).

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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import jinja2

from ..model import Action, Outcome, RequestKind, TaskState
from .legal import legal_context
from .names import UniqueNames, safe_id
from .outcomes import OutcomesResult
from .output import SystemOutput
from .plain import NOT_COMPLETE, missing, note_for, status_of
from .records import CategoryResult, RecordsResult
from .types import LANGUAGES, BundleRequest, Recipient, SystemSection
from .values import encode_text

_MONTHS = {
    "nl": (
        "januari februari maart april mei juni juli augustus september oktober november december"
    ).split(),
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
}
#: Pieces of rendered text gathered before they go to the zip.
_FLUSH_CHARS = 256 << 10


def format_date(language: str, value: date | None) -> str:
    """``5 april 2025`` / ``5 April 2025``; empty for ``None``."""
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[language][value.month - 1]} {value.year}"


def format_datetime(language: str, value: datetime) -> str:
    """The date as :func:`format_date`, the time and the zone's abbreviation."""
    zone = value.tzname() or ""
    return f"{format_date(language, value)} {value:%H:%M} {zone}".rstrip()


@dataclass(slots=True)
class CategoryView:
    """One category's table in the report."""

    result: CategoryResult
    html_id: str

    @property
    def name(self) -> str:
        return str(self.result.category)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.result.columns if c != "provided_by_subject"]

    def rows(self) -> Iterator[list[Any]]:
        """The shown rows, without the ``provided_by_subject`` column."""
        hidden = self.result.columns.index("provided_by_subject")
        for row in self.result.rows():
            del row[hidden]
            yield row

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
        return self.section.name

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


def build_views(outputs: Sequence[SystemOutput]) -> list[SystemView]:
    """Each system's output with unique element ids for its section and tables."""
    ids = UniqueNames()
    views = []
    for output in outputs:
        system_id = ids.take(safe_id(output.section.name, "system"))
        category_ids = UniqueNames()
        categories = [
            CategoryView(c, category_ids.take(safe_id(str(c.category), "records")))
            for c in output.records.categories
        ]
        views.append(SystemView(output, system_id, categories))
    return views


@cache
def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dsr_core.export", "templates"),
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
) -> None:
    """Render the report in the controller's language, passing UTF-8 pieces to ``write``."""
    systems = build_views(outputs)
    language = request.controller.language
    if language not in LANGUAGES:
        raise ValueError(f"no report template for language {language!r}")
    template = _environment(language).get_template(f"report.{language}.html.j2")
    kind = RequestKind(request.kind)
    context = {
        "lang": language,
        "request": request,
        "controller": request.controller,
        "kind": kind.value,
        "article": kind.article,
        "changing": kind.changes_data,
        "erasure": kind.erases,
        "systems": systems,
        "overview": [s for s in systems if s.holds_data],
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
