"""What a changing request did, read back for the subject's letter.

The outcomes come through the export's own reader (:func:`dsr_core.export_source.bundle_inputs`,
which streams each done task's results from the store), and are folded here into what a
letter says: per system, how many records of each category were erased, anonymised, restricted
or opted out; what was kept, on which basis and until when; and per field the old and the new
value of a rectification. Record ids, staff details and error texts stay behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import Action, Outcome


@dataclass(frozen=True, slots=True)
class Kept:
    """Records of one category kept on one basis until one day."""

    category: str
    count: int
    basis: str | Mapping[str, str] | None  # a text, or one per language (a plugin's default)
    until: date | None


@dataclass(frozen=True, slots=True)
class Change:
    """One field's correction: ``old`` is None when the system did not report it."""

    field: str
    old: Any
    new: Any
    category: str = ""


@dataclass(slots=True)
class SystemFacts:
    name: str
    #: the System instance (or type) its display name and labels come from
    #: (:func:`dsr_core.export_source.shown_system`), and the config's ``title``
    system: Any = None
    title: Any = None
    #: action -> category -> count (kept excluded: see ``kept``)
    done: dict[str, Counter[str]] = field(default_factory=dict)
    kept: list[Kept] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(self.done.get(action.value, Counter()).values())

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.done.values()) + sum(k.count for k in self.kept)


@dataclass(slots=True)
class Facts:
    systems: list[SystemFacts] = field(default_factory=list)
    #: how many recipients of the subject's data are told of the change (Art. 19): the
    #: request's notices, else the recipients the register names
    recipients: int = 0

    def count(self, action: Action) -> int:
        return sum(s.count(action) for s in self.systems)

    @property
    def kept(self) -> list[Kept]:
        return [k for s in self.systems for k in s.kept]

    @property
    def changes(self) -> list[Change]:
        """Every distinct correction, in the order first seen."""
        seen: dict[tuple[str, str, str], Change] = {}
        for system in self.systems:
            for change in system.changes:
                seen.setdefault((change.field, repr(change.old), repr(change.new)), change)
        return list(seen.values())

    @property
    def empty(self) -> bool:
        return not any(s.total for s in self.systems)


def _changes(outcome: Outcome) -> Iterable[Change]:
    for name, value in outcome.fields.items():
        if isinstance(value, Mapping) and "new" in value:
            yield Change(str(name), value.get("old"), value["new"], outcome.category)
        else:  # a system that reports only the new value (Odoo)
            yield Change(str(name), None, value, outcome.category)


def _key(basis: str | Mapping[str, str] | None) -> Any:
    """A basis as a key to group by (a per-language basis is a mapping)."""
    return tuple(sorted(basis.items())) if isinstance(basis, Mapping) else basis


def fold(
    name: str, outcomes: Iterable[Outcome], *, system: Any = None, title: Any = None
) -> SystemFacts:
    """One system's outcomes, streamed, as counts, kept groups and corrections."""
    facts = SystemFacts(name, system, title)
    kept: Counter[tuple[str, Any, date | None]] = Counter()
    bases: dict[Any, str | Mapping[str, str] | None] = {}
    for outcome in outcomes:
        action = Action(outcome.action)
        if action is Action.KEPT:
            key = _key(outcome.basis)
            bases.setdefault(key, outcome.basis)
            kept[(outcome.category, key, outcome.until)] += 1
            continue
        facts.done.setdefault(action.value, Counter())[outcome.category] += 1
        if action is Action.RECTIFIED:
            for change in _changes(outcome):
                if change not in facts.changes:
                    facts.changes.append(change)
    facts.kept = [
        Kept(category, count, bases[basis], until)
        for (category, basis, until), count in sorted(
            kept.items(), key=lambda item: (item[0][2] or date.max, item[0][0])
        )
    ]
    return facts


def from_sections(sections: Sequence[Any], recipients: int = 0) -> Facts:
    """Facts of the export's :class:`~dsr_core.export.SystemSection` list."""
    return Facts(
        [fold(s.name, s.outcomes(), system=s.system, title=s.title) for s in sections],
        recipients,
    )


def _notices(ctx: Any, request_id: int) -> int:
    import sqlalchemy as sa

    from ..store.models import NoticeRow

    with ctx.store.session(readonly=True) as session:
        query = sa.select(sa.func.count()).where(NoticeRow.request_id == request_id)
        return int(session.scalar(query) or 0)


def read(ctx: Any, request_id: int) -> Facts:
    """The request's facts, through the export's reader of the task results; the recipients
    are the request's Art. 19 notices, else the actual recipients the register names (a
    standing recipient the subject's data may never have reached does not count)."""
    from ..export_source import bundle_inputs

    _request, sections, recipients = bundle_inputs(ctx, request_id)
    actual = sum(1 for r in recipients if r.source != "standing")
    return from_sections(sections, _notices(ctx, request_id) or actual)
