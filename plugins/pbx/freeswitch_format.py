"""FreeSWITCH ``mod_cdr_csv`` lines, laid out by a template.

The default template (``example`` in cdr_csv.conf.xml) writes caller_id_name,
caller_id_number, destination_number, context, start_stamp, answer_stamp, end_stamp, duration,
billsec, hangup_cause, uuid, bleg_uuid, accountcode, read_codec, write_codec. Any other template
is given in the config, as the template string itself or as a list of variable names; the
variables this module knows (below) give the call its meaning, the others are carried along.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from .calls import Call, ParseError, parse_epoch, parse_int, parse_stamp, stamp_ok
from .matching import Match, scrub_patterns
from .numbers import replace_numbers
from .thirdparty import is_withheld

DEFAULT_TEMPLATE = (
    '"${caller_id_name}","${caller_id_number}","${destination_number}","${context}",'
    '"${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}",'
    '"${hangup_cause}","${uuid}","${bleg_uuid}","${accountcode}","${read_codec}",'
    '"${write_codec}"'
)

#: Variables that carry the calling party's number, in order of preference.
CALLER_NUMBERS = (
    "caller_id_number",
    "effective_caller_id_number",
    "ani",
    "sip_from_user",
    "sip_from_user_stripped",
    "orig_caller_id_number",
)
#: Variables that carry the called party's number.
CALLEE_NUMBERS = (
    "destination_number",
    "callee_id_number",
    "dialed_user",
    "dialed_extension",
    "sip_to_user",
    "sip_req_user",
    "rdnis",
)
#: Variables holding a person's name: blanked on anonymisation.
NAMES = (
    "caller_id_name",
    "effective_caller_id_name",
    "orig_caller_id_name",
    "callee_id_name",
    "sip_from_display",
    "sip_to_display",
)
_TIMES = {
    "start": ("start_stamp", "start_epoch", "start_uepoch"),
    "answer": ("answer_stamp", "answer_epoch", "answer_uepoch"),
    "end": ("end_stamp", "end_epoch", "end_uepoch"),
}
_VARIABLE = re.compile(r"^\$\{([A-Za-z0-9_:\-]+)\}$")


class TemplateError(ValueError):
    """The template cannot be used; the message says why (one line)."""


def parse_template(template: str | Sequence[str]) -> tuple[str | None, ...]:
    """The variable of each column (None for a column of fixed text)."""
    if isinstance(template, str):
        parts = _split_template(template.strip())
    else:
        parts = [str(p) for p in template]
    columns: list[str | None] = []
    for number, part in enumerate(parts, 1):
        text = part.strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        match = _VARIABLE.match(text)
        if match:
            columns.append(match.group(1))
        elif "${" in text:
            raise TemplateError(f"column {number} mixes text and variables: {part.strip()!r}")
        elif isinstance(template, str):
            columns.append(None)
        elif re.fullmatch(r"[A-Za-z0-9_:\-]+", text):
            columns.append(text)
        else:
            raise TemplateError(f"column {number} is not a variable name: {part!r}")
    names = [c for c in columns if c]
    if not columns or not names:
        raise TemplateError("names no variables")
    if len(set(names)) != len(names):
        raise TemplateError("names a variable twice")
    if not any(t in names for t in _TIMES["start"]):
        raise TemplateError("needs start_stamp, start_epoch or start_uepoch")
    if not any(n in names for n in CALLER_NUMBERS + CALLEE_NUMBERS):
        raise TemplateError("needs caller_id_number or destination_number")
    return tuple(columns)


def _split_template(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


class FreeswitchCsvFormat:
    """Reads and anonymises mod_cdr_csv lines written with one template."""

    name = "freeswitch mod_cdr_csv"

    def __init__(self, columns: tuple[str | None, ...], source_tz: tzinfo, target_tz: tzinfo):
        self.columns = columns
        self.index = {name: i for i, name in enumerate(columns) if name}
        self.source_tz = source_tz
        self.target_tz = target_tz
        self._stamps = [i for i, n in enumerate(columns) if n and n.endswith("_stamp")]
        self._numbers = [
            i
            for i, n in enumerate(columns)
            if n and (n.endswith(("_epoch", "_uepoch", "sec")) or n == "duration")
        ]
        starts = [self.index[n] for n in _TIMES["start"] if n in self.index]
        self._start = starts[0] if len(starts) == 1 else None

    def quick_ok(self, fields: list[str]) -> bool:
        """Cheap test that :meth:`parse` accepts ``fields`` (False: ask parse for the reason)."""
        if len(fields) != len(self.columns):
            return False
        if self._start is None or fields[self._start] in ("", "0"):
            return False
        return all(stamp_ok(fields[i]) for i in self._stamps) and all(
            not fields[i] or fields[i].isdigit() for i in self._numbers
        )

    def _time(self, row: dict[str, str], which: str) -> datetime | None:
        for variable in _TIMES[which]:
            if variable not in row:
                continue
            value = row[variable]
            if variable.endswith("_stamp"):
                stamp = parse_stamp(value, which, self.source_tz, self.target_tz)
            else:
                micro = variable.endswith("_uepoch")
                stamp = parse_epoch(value, which, self.target_tz, micro=micro)
            if stamp is not None:
                return stamp
        return None

    def parse(self, fields: list[str], extra: str | None = None) -> Call:
        if len(fields) != len(self.columns):
            raise ParseError(
                f"expected {len(self.columns)} columns (the template), found {len(fields)}"
            )
        row = {name: fields[i] for name, i in self.index.items()}
        start = self._time(row, "start")
        if start is None:
            raise ParseError("start time is empty")
        answer = self._time(row, "answer")
        end = self._time(row, "end")
        name = next((row[n] for n in NAMES[:3] if row.get(n, "").strip()), "")
        return Call(
            start=start,
            answer=answer,
            end=end,
            duration=parse_int(row.get("duration"), "duration"),
            billsec=parse_int(row.get("billsec"), "billsec"),
            disposition=row.get("hangup_cause", "").strip(),
            callers=tuple((n, row[n]) for n in CALLER_NUMBERS if n in row),
            callees=tuple((n, row[n]) for n in CALLEE_NUMBERS if n in row),
            caller_name=name.strip(),
            ident=row.get("uuid", "").strip(),
            withheld=is_withheld(
                (row[n] for n in CALLER_NUMBERS if n in row),
                (row[n] for n in NAMES[:3] if n in row),
                (row.get("privacy_hide_number", ""),),
            ),
            name_withheld=row.get("privacy_hide_name", "").strip().lower() == "true",
            extra={"accountcode": row.get("accountcode", ""), "uuid": row.get("uuid", "")},
            columns=tuple(c or "" for c in self.columns),
        )

    def settle(self, path: object, width: int) -> str | None:
        """A template settles every column: nothing is left to the file."""
        return None

    #: A template cannot contradict itself; a line of another width is unparseable anyway.
    contradicted_widths: frozenset[int] = frozenset()
    expected_width: int | None = None

    def contradiction(self, fields: list[str]) -> str | None:
        return None

    def anonymise(
        self, fields: list[str], call: Call, match: Match, pseudonymise: Callable[[str], str]
    ) -> dict[int, str]:
        """Column index → new value: the subject's numbers become keyed hashes, names are
        blanked, other text is scrubbed of the subject's numbers; times and durations stay."""
        changes: dict[int, str] = {}
        patterns = scrub_patterns(match, pseudonymise)
        for i, name in enumerate(self.columns):
            if name is None:
                continue
            value = fields[i]
            if name in match.fields:
                new = pseudonymise(value.strip())
            elif name in NAMES:
                new = ""
            elif name.endswith(("_stamp", "_epoch", "_uepoch", "sec", "duration")):
                continue
            else:
                new = replace_numbers(value, patterns)
            if new != value:
                changes[i] = new
        return changes
