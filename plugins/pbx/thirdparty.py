"""Art. 15(4) GDPR in the call records: what the subject's copy shows of the other party.

A call record is the subject's data, but the other party's number and name are a third
party's. The ``third_parties`` config key decides what the copy shows of them (README.md,
"The other party on a call"):

* ``"mask"`` (default): the other party's number with its last four digits replaced by
  ``x`` (``+3249988xxxx``), the way itemised bills shorten called numbers (Directive
  2002/58/EC, Art. 7(2)); an internal extension or short service number (the controller's
  own) as written; their name is left out;
* ``"full"``: the number and, when the log has it, the calling party's name;
* ``"omit"``: neither.

Whatever the rule, a caller who withheld their number is never revealed: on such an incoming
call the record says ``caller_withheld`` and shows neither the number nor a name. The
subject's own number and name on their own call are always shown in full; so is the other
side of a call between two of the subject's own numbers.

The rule shapes only the exported records (JSON, CSV and report alike); locate and erasure
work on the raw lines and rows.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from .matching import Match
from .numbers import digits, number_pattern

#: What ``third_parties`` may be set to.
RULES = ("mask", "full", "omit")
DEFAULT_RULE = "mask"
#: How many trailing digits ``mask`` hides.
MASKED_DIGITS = 4

#: Caller numbers that stand for "no number given": what a withheld caller id becomes in the
#: CDRs (RFC 3323's ``anonymous@anonymous.invalid`` read by chan_pjsip as number
#: ``anonymous``; carriers' ``Restricted``/``Private``/``Unavailable``; FreeSWITCH's default
#: caller id number ``0000000000``).
WITHHELD_NUMBERS = frozenset(
    {
        "anonymous",
        "anonymous@anonymous.invalid",
        "restricted",
        "private",
        "withheld",
        "unavailable",
        "unknown",
        "blocked",
        "hidden",
        "clir",
        "0000000000",
    }
)
#: Caller names that say the caller withheld their identity.
WITHHELD_NAMES = frozenset(
    {
        "anonymous",
        "anoniem",
        "anonyme",
        "restricted",
        "private",
        "private number",
        "privé",
        "prive",
        "withheld",
        "number withheld",
        "unavailable",
        "unknown",
        "unknown caller",
        "blocked",
        "hidden",
        "nummer afgeschermd",
        "afgeschermd nummer",
        "numéro masqué",
        "numero masque",
        "masqué",
    }
)
_TRUE = frozenset({"true", "yes", "1", "on"})
_QUOTES = re.compile(r'^["\']+|["\']+$')


def _plain(value: str) -> str:
    return _QUOTES.sub("", value.strip()).strip().lower()


def withheld_number(value: str) -> bool:
    """Whether a caller number is a placeholder for a withheld one."""
    if value.isascii() and value.isdigit():  # the usual number: nothing to strip or lower
        return value in WITHHELD_NUMBERS
    return _plain(value) in WITHHELD_NUMBERS


@functools.lru_cache(maxsize=4096)  # a log repeats a few names
def withheld_name(value: str) -> bool:
    """Whether a caller name says the caller withheld their identity."""
    return _plain(value) in WITHHELD_NAMES


def is_withheld(numbers: Iterable[str], names: Iterable[str], flags: Iterable[str] = ()) -> bool:
    """Whether a call's caller withheld their id: a caller number or name that stands for a
    withheld one, or a privacy flag set (FreeSWITCH's ``privacy_hide_number``)."""
    return (
        any(withheld_number(n) for n in numbers)
        or any(withheld_name(n) for n in names)
        or any(_plain(f) in _TRUE for f in flags)
    )


#: Fewer digits than this, not in E.164: an internal extension or a short service number,
#: the controller's own, shown as written.
SHORT_NUMBER = 7


def masked_counterpart(value: str) -> str:
    """What ``mask`` shows of the other party's number: an outside number (E.164, or seven
    digits and more) masked; an internal extension or short service code as written."""
    if value.startswith("+") or len(digits(value)) >= SHORT_NUMBER:
        return mask(value)
    return value


def mask(value: str) -> str:
    """``value`` with its last :data:`MASKED_DIGITS` digits replaced by ``x`` (all of them
    when it has no more than that: an internal extension); a value without digits becomes
    ``xxxx``."""
    if len(value) > MASKED_DIGITS and value[0] == "+" and value[1:].isascii():
        if value[1:].isdigit():  # E.164, the usual counterpart: the last four digits
            return value[:-MASKED_DIGITS] + "x" * MASKED_DIGITS
    count = len(digits(value))
    if count == 0:
        return "x" * MASKED_DIGITS
    hide = min(count, MASKED_DIGITS)
    out: list[str] = []
    for char in reversed(value):
        if hide and char.isdigit() and char.isascii():
            out.append("x")
            hide -= 1
        else:
            out.append(char)
    return "".join(reversed(out))


def other_party(
    match: Match, name: str, rule: str, *, withheld: bool = False, name_withheld: bool = False
) -> dict[str, Any]:
    """The record fields about the parties on a call: ``counterpart`` (the other party's
    number), ``counterpart_name``, ``caller_name`` (the subject's own, when they called) and
    ``caller_withheld``, as ``rule`` allows.

    ``name`` is the calling party's name as the log has it, ``withheld`` whether the caller
    withheld their id, ``name_withheld`` whether they withheld only their name.
    """
    fields: dict[str, Any] = {}
    if match.direction in ("internal", "outgoing") and name:
        fields["caller_name"] = name  # the subject called: the name is theirs
    if match.direction == "internal":  # both ends are the subject's own numbers
        fields["counterpart"] = match.counterpart
        return fields
    if match.direction == "incoming" and withheld:
        fields["caller_withheld"] = True
        return fields
    if rule == "full":
        fields["counterpart"] = match.counterpart
        if match.direction == "incoming" and name and not name_withheld:
            fields["counterpart_name"] = name
    elif rule == "mask":
        fields["counterpart"] = masked_counterpart(match.counterpart)
    return fields


def scrub(text: str, numbers: Iterable[str], how: str) -> str:
    """``text`` (a recording's file name, a userfield) with every spelling of the E.164
    ``numbers`` masked as written (``how = "mask"``) or removed (``"omit"``); as is with
    ``"full"``."""
    if how == "full" or not text:
        return text
    for e164 in numbers:
        if e164.startswith("+") and len(digits(e164)) >= 3:
            text = number_pattern(e164).sub(
                lambda m: mask(m.group(0)) if how == "mask" else "", text
            )
    return text
