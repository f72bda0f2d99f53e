"""One letter, built as words before it is laid out: letterhead, addressee, date, reference,
salutation, blocks of text, closing. :mod:`dsr_core.answer.render` lays it out as HTML (with a
print stylesheet) and as plain text; both show exactly the same words.

The kinds of letter: the answer to each kind of request (``access``, ``portability``,
``erasure``, ``rectification``, ``restriction``, ``objection``), the Art. 18(3) notice before a
restriction is lifted (``restriction-lift``), the refusal (Art. 12(4)) and the extension
notice (Art. 12(3)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ..config import ControllerConfig
from ..model import Action, RequestKind
from .facts import Facts
from .texts import TEXTS
from .words import category_words, check_language, date_words, field_words

#: every letter this module writes
LETTERS = (
    "access",
    "portability",
    "erasure",
    "rectification",
    "restriction",
    "restriction-lift",
    "objection",
    "refusal",
    "extension",
)
ANSWERS = {k.value: k.value for k in RequestKind}


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (``text``), a heading (``heading``) or a list (``items``)."""

    text: str = ""
    heading: str = ""
    items: tuple[str, ...] = ()
    quote: bool = False  # staff's own words, told to the subject (a reason)


@dataclass(frozen=True, slots=True)
class Letter:
    name: str
    language: str
    sender: str
    sender_lines: tuple[str, ...]
    sender_email: str
    addressee: str
    addressee_lines: tuple[str, ...]
    dated: str
    reference: str
    salutation: str
    blocks: tuple[Block, ...]
    closing: str
    signature: str


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What a letter needs of the request (a snapshot, not the database row)."""

    id: int
    kind: RequestKind
    subject_name: str
    received_on: date
    due_on: date | None = None
    address: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Extras:
    """What some letters need besides the request: the bundle's file, a reason, the day a
    restriction is lifted, the outcomes."""

    facts: Facts = field(default_factory=Facts)
    bundle_name: str | None = None
    encrypted: bool = False
    reason: str = ""
    lift_on: date | None = None


def _join(words: Sequence[str], and_: str) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {and_} {words[-1]}"


def compose(
    name: str,
    request: RequestFacts,
    controller: ControllerConfig,
    *,
    today: date,
    language: str | None = None,
    extras: Extras | None = None,
) -> Letter:
    """The letter ``name`` for ``request`` in ``language`` (default: the controller's)."""
    if name not in LETTERS:
        raise ValueError(f"no letter {name!r} (known: {', '.join(LETTERS)})")
    lang = check_language(language or controller.language)
    t = TEXTS[lang]
    extras = extras or Extras()
    received = date_words(lang, request.received_on)
    blocks: list[Block] = [
        Block(
            t["intro"].format(
                received=received,
                kind=t[f"kind.{request.kind.value}"],
                article=request.kind.article,
            )
        )
        if name != "restriction-lift"
        else Block(t["lift"].format(received=received))
    ]
    blocks += _BODIES[name](t, lang, request, extras)
    if name in ("erasure", "rectification", "restriction"):  # Art. 19 notices went out
        blocks.append(Block(t["recipients"]))
    if controller.email:
        blocks.append(Block(t["questions"].format(email=controller.email)))
    blocks.append(Block(t["complaint.refusal" if name == "refusal" else "complaint"]))
    subject_name = request.subject_name.strip()
    return Letter(
        name=name,
        language=lang,
        sender=controller.name,
        sender_lines=tuple(p.strip() for p in controller.address.split(",") if p.strip()),
        sender_email=controller.email,
        addressee=subject_name,
        addressee_lines=request.address,
        dated=date_words(lang, today),
        reference=t["reference"].format(received=received, id=request.id),
        salutation=(
            t["salutation"].format(name=subject_name) if subject_name else t["salutation_anonymous"]
        ),
        blocks=tuple(blocks),
        closing=t["closing"],
        signature=controller.name,
    )


# -- the body of each letter ------------------------------------------------------------------

Texts = dict[str, str]


def _bundle(key: str, t: Texts, extras: Extras) -> list[Block]:
    if not extras.bundle_name:
        return [Block(t[f"{key}.none"])]
    blocks = [Block(t[key].format(file=extras.bundle_name)), Block(t["open"])]
    if extras.encrypted:
        blocks.append(Block(t["encrypted"]))
    return blocks


def _access(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    return _bundle("access", t, extras)


def _portability(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    return _bundle("portability", t, extras)


def _counts(t: Texts, lang: str, counts: dict[str, int]) -> str:
    return ", ".join(f"{category_words(lang, cat)} ({n})" for cat, n in sorted(counts.items()) if n)


def _erasure(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    facts = extras.facts
    if facts.empty:
        return [Block(t["erasure.nothing"])]
    items = []
    for system in facts.systems:
        parts = []
        for action in (Action.ERASED, Action.ANONYMISED):
            counts = system.done.get(action.value)
            if counts and sum(counts.values()):
                parts.append(
                    t["action." + action.value] + t["sep"] + _counts(t, lang, dict(counts))
                )
        if system.kept:
            kept: dict[str, int] = {}
            for k in system.kept:
                kept[k.category] = kept.get(k.category, 0) + k.count
            parts.append(t["action.kept"] + t["sep"] + _counts(t, lang, kept))
        if parts:
            items.append(system.name + t["sep"] + t["list"].join(parts))
    blocks = [Block(t["erasure"]), Block(items=tuple(items))]
    if facts.count(Action.ANONYMISED):
        blocks.append(Block(t["anonymised"]))
    if facts.kept:
        kept_items = []
        for k in facts.kept:
            basis = (k.basis or "").strip() or t["kept.basis.unknown"]
            values = {
                "category": category_words(lang, k.category),
                "count": k.count,
                "basis": basis.rstrip("."),
            }
            if k.until is not None:
                kept_items.append(t["kept.item"].format(until=date_words(lang, k.until), **values))
            else:
                kept_items.append(t["kept.item.open"].format(**values))
        blocks += [
            Block(heading=t["kept.heading"]),
            Block(t["kept.intro"]),
            Block(items=tuple(kept_items)),
            Block(t["kept.after"]),
        ]
    return blocks


def _value(t: Texts, value: object) -> str:
    if value is None or value == "" or value is False:
        return t["empty"]
    return " ".join(str(value).split())


def _rectification(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    changes = extras.facts.changes
    if not changes:
        return [Block(t["rectification.none"])]
    items = []
    for c in changes:
        words = field_words(lang, c.field)
        if c.old is None:
            items.append(t["change.new"].format(field=words, new=_value(t, c.new)))
        else:
            items.append(
                t["change"].format(field=words, old=_value(t, c.old), new=_value(t, c.new))
            )
    return [Block(t["rectification"]), Block(items=tuple(items))]


def _systems_with(facts: Facts, action: Action) -> list[str]:
    return [s.name for s in facts.systems if s.count(action)]


def _restriction(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    blocks = [Block(t["restriction"])]
    where = _systems_with(extras.facts, Action.RESTRICTED)
    if where:
        blocks.append(Block(t["restriction.where"].format(systems=_join(where, t["and"]))))
    blocks.append(Block(t["restriction.notice"]))
    return blocks


def _lift(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    blocks = []
    if extras.reason.strip():
        blocks += [Block(t["lift.reason"]), Block(extras.reason.strip(), quote=True)]
    if extras.lift_on is not None:
        blocks.append(Block(t["lift.from"].format(on=date_words(lang, extras.lift_on))))
    return blocks


def _objection(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    return [Block(t["objection"])]


def _refusal(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    return [Block(t["refusal"]), Block(extras.reason.strip(), quote=True)]


def _extension(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    due = date_words(lang, request.due_on) if request.due_on else ""
    blocks = [Block(t["extension"].format(due=due))]
    if extras.reason.strip():
        blocks += [Block(t["extension.reason"]), Block(extras.reason.strip(), quote=True)]
    return blocks


_BODIES = {
    "access": _access,
    "portability": _portability,
    "erasure": _erasure,
    "rectification": _rectification,
    "restriction": _restriction,
    "restriction-lift": _lift,
    "objection": _objection,
    "refusal": _refusal,
    "extension": _extension,
}
