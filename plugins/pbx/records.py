"""How a call (or a call event) is shown to the subject: the fields of its Record."""

from __future__ import annotations

from typing import Any

from .calls import Call, iso
from .csvline import clean
from .matching import Match


def call_fields(call: Call, match: Match) -> dict[str, Any]:
    """The fields of a call record as exported (access and portability).

    The counterpart's number is shown (it is on the subject's own bill); a name is shown only
    when it is the calling party's and the subject called (the subject's own name), never a
    third party's.
    """
    fields: dict[str, Any] = {
        "direction": match.direction,
        "number": match.number,
        "counterpart": match.counterpart,
        "start": iso(call.start),
        "answer": iso(call.answer),
        "end": iso(call.end),
        "duration": call.duration,
        "billsec": call.billsec,
        "disposition": clean(call.disposition),
    }
    if match.direction in ("outgoing", "internal") and call.caller_name:
        fields["caller_name"] = clean(call.caller_name)
    for key, value in call.extra.items():
        if isinstance(value, str):
            if value.strip():
                fields[key] = clean(value.strip())
        elif value is not None:
            fields[key] = value
    return fields
