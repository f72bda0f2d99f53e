"""One call, whatever format it came from, and what a parse failure says about it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any


class ParseError(ValueError):
    """A line or row that cannot be read as a call. The message is the reason, and never holds
    the line's content (it may be logged)."""


class Unsettled(ParseError):
    """A line whose layout the line alone cannot settle (cdr_csv's 17 and 20 columns: the 17th
    may be the uniqueid or the userfield).

    ``call`` is the line read without the unsettled column (its numbers and times are
    certain), so a caller can tell whether the line is the subject's; ``width`` is its column
    count, for the format's ``settle``."""

    def __init__(self, message: str, width: int, call: Call) -> None:
        super().__init__(message)
        self.width = width
        self.call = call


def parse_warnings(
    listed: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
    source_key: str,
    *,
    each: Callable[[Mapping[str, Any]], str],
    more: Callable[[Mapping[str, Any], int], str],
) -> list[str]:
    """A system's warnings about what it could not parse: one line per ``listed`` example
    (``each``), then for each source (file or table) whose ``parse_errors`` count exceeds the
    examples listed for it, one line saying so (``more``, given how many were listed)."""
    result = [each(example) for example in listed]
    for source in sources:
        shown = sum(1 for example in listed if example[source_key] == source[source_key])
        if source["parse_errors"] > shown:
            result.append(more(source, shown))
    return result


@dataclass(slots=True)
class Call:
    """A call-detail record, in the controller's timezone.

    ``callers`` and ``callees`` hold the (field name, raw value) pairs that may carry the
    number of the calling / called party, in order of preference (``src`` before the number
    inside ``clid``). ``names`` are the fields holding a person's name (blanked on
    anonymisation); ``caller_name`` is the calling party's name when the format has one.
    ``columns`` names the columns of the line the call was read from (CSV formats).
    ``withheld`` says the caller withheld their id (a placeholder number or name, a privacy
    flag), ``name_withheld`` their name only.
    """

    start: datetime
    answer: datetime | None
    end: datetime | None
    duration: int | None
    billsec: int | None
    disposition: str
    callers: tuple[tuple[str, str], ...]
    callees: tuple[tuple[str, str], ...]
    caller_name: str = ""
    ident: str = ""  # uniqueid / uuid (and sequence), when the format has one
    extra: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()  # the name of each column of the line ("" when unnamed)
    withheld: bool = False  # the caller withheld their id (never shown: .thirdparty)
    name_withheld: bool = False  # the caller withheld their name only

    @property
    def day(self) -> date:
        """The local day the call started on: what validity periods and retention count."""
        return self.start.date()


_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$")


def parse_stamp(
    value: str | datetime | date | None, what: str, source_tz: tzinfo, target_tz: tzinfo
) -> datetime | None:
    """A ``YYYY-MM-DD HH:MM:SS`` time (or a driver's datetime) in ``source_tz``, as an aware
    datetime in ``target_tz``. Empty → None; anything else unreadable → :class:`ParseError`.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, date):
        stamp = datetime(value.year, value.month, value.day)
    else:
        text = value.strip()
        if not text or text.startswith("0000-00-00"):
            return None
        if not _STAMP.match(text):
            raise ParseError(f"{what} time is not YYYY-MM-DD HH:MM:SS")
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            raise ParseError(f"{what} time is not a valid date") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=source_tz)
    return stamp.astimezone(target_tz)


def stamp_ok(text: str) -> bool:
    """Quick test: ``text`` is empty or a valid ``YYYY-MM-DD HH:MM:SS`` time (what
    :func:`parse_stamp` accepts, give or take fractions of seconds)."""
    if not text:
        return True
    if len(text) != 19 or text[10] != " ":
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_epoch(
    value: str, what: str, target_tz: tzinfo, *, micro: bool = False
) -> datetime | None:
    """Seconds (or microseconds) since the epoch; ``0`` and empty mean unset."""
    text = value.strip()
    if not text or text == "0":
        return None
    try:
        number = int(text)
    except ValueError:
        raise ParseError(f"{what} time is not a number of seconds") from None
    seconds = number / 1_000_000 if micro else number
    try:
        return datetime.fromtimestamp(seconds, UTC).astimezone(target_tz)
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"{what} time is out of range") from None


def parse_int(value: Any, what: str) -> int | None:
    """A whole number of seconds; empty → None; anything else → :class:`ParseError`."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            raise ParseError(f"{what} is not a whole number") from None
        if not as_float.is_integer():
            raise ParseError(f"{what} is not a whole number") from None
        number = int(as_float)
    if number < 0:
        raise ParseError(f"{what} is negative")
    return number


def derive_answer_end(
    start: datetime, duration: int | None, billsec: int | None, disposition: str
) -> tuple[datetime | None, datetime | None]:
    """Answer and end times of a legacy row that only has ``calldate``: Asterisk defines
    duration = end - start and billsec = end - answer."""
    if duration is None:
        return None, None
    end = start + timedelta(seconds=duration)
    answered = (billsec or 0) > 0 or disposition.strip().upper() == "ANSWERED"
    answer = end - timedelta(seconds=billsec or 0) if answered else None
    return answer, end


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
