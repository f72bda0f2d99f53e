"""How a call (or a call event) is shown to the subject: the fields of its Record."""

from __future__ import annotations

from typing import Any

from .calls import Call, iso
from .csvline import clean
from .matching import Match
from .numbers import normalise
from .thirdparty import DEFAULT_RULE, other_party, scrub

#: Extra fields holding the other party's data: left out unless ``third_parties = "full"``.
THIRD_PARTY_EXTRAS = frozenset({"peeraccount"})
#: Free-text extras that may spell the other party's number (FreePBX names recordings
#: ``in-<caller>-<dialled>-<date>-<time>-<uniqueid>.wav``): their number is masked or removed.
SCRUBBED_EXTRAS = frozenset({"recordingfile", "userfield"})


def _numbers(call: Call, match: Match, region: str) -> list[str]:
    """The other party's numbers, as E.164 where they parse (for scrubbing free text)."""
    side = call.callers if match.direction == "incoming" else call.callees
    found = {match.counterpart} | {normalise(v.strip(), region) or "" for _, v in side}
    return sorted(n for n in found if n.startswith("+"))


def call_fields(
    call: Call, match: Match, rule: str = DEFAULT_RULE, region: str = "BE"
) -> dict[str, Any]:
    """The fields of a call record as exported (access and portability).

    The other party's number and name follow ``rule`` (:mod:`.thirdparty`: Art. 15(4)); a
    caller who withheld their id is never shown; the subject's own number and name are.
    """
    fields: dict[str, Any] = {
        "direction": match.direction,
        "number": match.number,
        **other_party(
            match,
            clean(call.caller_name),
            rule,
            withheld=call.withheld,
            name_withheld=call.name_withheld,
        ),
        "start": iso(call.start),
        "answer": iso(call.answer),
        "end": iso(call.end),
        "duration": call.duration,
        "billsec": call.billsec,
        "disposition": clean(call.disposition),
    }
    _extras(fields, call, match, rule, region)
    return fields


def _extras(fields: dict[str, Any], call: Call, match: Match, rule: str, region: str) -> None:
    """Add the format's extra fields (accountcode, ids, did, recordingfile...), the other
    party's data in them as ``rule`` allows."""
    hidden = match.direction == "incoming" and call.withheld
    how = "omit" if hidden else rule
    if match.direction == "internal":
        how = "full"
    for key, value in call.extra.items():
        if key in THIRD_PARTY_EXTRAS and how != "full":
            continue
        if isinstance(value, str):
            text = value.strip()
            if text and key in SCRUBBED_EXTRAS:
                text = scrub(text, _numbers(call, match, region), how)
            if text:
                fields[key] = clean(text)
        elif value is not None:
            fields[key] = value


def cel_fields(
    call: Call, match: Match, rule: str = DEFAULT_RULE, region: str = "BE"
) -> dict[str, Any]:
    """The fields of a call-event record (FreePBX's ``cel`` table) as exported."""
    fields: dict[str, Any] = {
        "time": iso(call.start),
        "direction": match.direction,
        "number": match.number,
        **other_party(
            match, call.caller_name, rule, withheld=call.withheld, name_withheld=call.name_withheld
        ),
    }
    for key, value in call.extra.items():
        if value:
            fields[key] = value
    return fields
