"""One letter, built as words before it is laid out: letterhead, addressee, date, reference,
salutation, blocks of text, closing. :mod:`dsr_core.answer.render` lays it out as HTML (with a
print stylesheet) and as plain text; both show exactly the same words.

The kinds of letter: the answer to each kind of request (``access``, ``portability``,
``erasure``, ``rectification``, ``restriction``, ``objection``), the Art. 18(3) notice before a
restriction is lifted (``restriction-lift``), the refusal (Art. 12(4)) and the extension
notice (Art. 12(3)).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ..config import ControllerConfig
from ..fields import in_language, system_title
from ..model import Action, RequestKind
from .facts import Facts, SystemFacts
from .texts import TEXTS
from .words import check_language, counted, date_words, field_words

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
    #: the name of the letter's PDF when it goes with an e-mail, in its language
    attachment: str = ""


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


def place(address: str) -> str:
    """The controller's town from its address (``Kerkstraat 1, 9000 Gent`` → ``Gent``): the
    last part after a postcode; empty when the address names none."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    for part in reversed(parts):
        found = re.fullmatch(r"(?:[A-Z]{1,2}[- ]?)?\d{4,5}\s+(.+)", part)
        if found:
            return found.group(1).strip()
    return ""


def title(system: SystemFacts, language: str) -> str:
    """The name the subject reads for a system (:func:`dsr_core.fields.system_title`)."""
    return system_title(system.system, system.name, language, system.title)


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
    if name in ("erasure", "rectification", "restriction") and extras.facts.recipients:
        blocks.append(Block(t["recipients"]))  # Art. 19: the recipients are told
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
        dated=_dated(t, lang, controller, today),
        reference=t["reference"].format(received=received, id=request.id),
        salutation=(
            t["salutation"].format(name=subject_name) if subject_name else t["salutation_anonymous"]
        ),
        blocks=tuple(blocks),
        closing=t["closing"],
        signature=controller.name,
        attachment=t["file"].format(name=t[f"file.{name}"]),
    )


def _dated(t: dict[str, str], lang: str, controller: ControllerConfig, today: date) -> str:
    town = place(controller.address)
    day = date_words(lang, today)
    return t["dated"].format(place=town, date=day) if town else day


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


def _counted(lang: str, system: SystemFacts, counts: dict[str, int], and_: str) -> str:
    return _join(
        [counted(lang, cat, n, system.system) for cat, n in sorted(counts.items()) if n], and_
    )


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
                what = _counted(lang, system, dict(counts), t["and"])
                parts.append(t[f"did.{action.value}"].format(what=what))
        if system.kept:
            kept: dict[str, int] = {}
            for k in system.kept:
                kept[k.category] = kept.get(k.category, 0) + k.count
            parts.append(t["did.kept"].format(what=_counted(lang, system, kept, t["and"])))
        if parts:
            items.append(
                t["system.item"].format(system=title(system, lang), done=t["list"].join(parts))
            )
    blocks = [Block(t["erasure"]), Block(items=tuple(items))]
    if facts.count(Action.ANONYMISED):
        blocks.append(Block(t["anonymised"]))
    if facts.kept:
        kept_items = []
        for system in facts.systems:
            for k in system.kept:
                given = in_language(k.basis, lang)
                basis = str(given or "").strip() or t["kept.basis.unknown"]
                values = {
                    "what": counted(lang, k.category, k.count, system.system),
                    "basis": basis.rstrip("."),
                }
                if k.until is not None:
                    until = date_words(lang, k.until)
                    kept_items.append(t["kept.item"].format(until=until, **values))
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
    owner = {id(c): s.system for s in extras.facts.systems for c in s.changes}
    items = []
    for c in changes:
        words = field_words(lang, c.field, owner.get(id(c)), c.category)
        if c.old is None:
            items.append(t["change.new"].format(field=words, new=_value(t, c.new)))
        else:
            items.append(
                t["change"].format(field=words, old=_value(t, c.old), new=_value(t, c.new))
            )
    return [Block(t["rectification"]), Block(items=tuple(items))]


def _systems_with(facts: Facts, action: Action, lang: str) -> list[str]:
    return [title(s, lang) for s in facts.systems if s.count(action)]


def _restriction(t: Texts, lang: str, request: RequestFacts, extras: Extras) -> list[Block]:
    blocks = [Block(t["restriction"])]
    where = _systems_with(extras.facts, Action.RESTRICTED, lang)
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
    if request.due_on is not None:
        blocks = [Block(t["extension"].format(due=date_words(lang, request.due_on)))]
    else:  # no day set: the Regulation's own limit, three months from the request
        blocks = [Block(t["extension.open"])]
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
