"""Asterisk ``cdr_csv`` lines (Master.csv and the per-account files).

No header. 16 columns: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp,
lastdata, start, answer, end, duration, billsec, disposition, amaflags; 17 add uniqueid; 18 add
userfield; 21 add peeraccount, linkedid, sequence. Strings are quoted with doubled inner quotes,
integers bare or quoted, an unset answer time is empty, clid is ``"Name" <number>``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from .calls import Call, ParseError, parse_int, parse_stamp, stamp_ok
from .matching import Match, scrub_patterns
from .numbers import join_clid, replace_numbers, split_clid

BASE_COLUMNS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
)
LAYOUTS: dict[int, tuple[str, ...]] = {
    16: BASE_COLUMNS,
    17: (*BASE_COLUMNS, "uniqueid"),
    18: (*BASE_COLUMNS, "uniqueid", "userfield"),
    21: (*BASE_COLUMNS, "uniqueid", "userfield", "peeraccount", "linkedid", "sequence"),
}
#: Free-text columns in which the subject's number may hide (dial strings, channel names).
_FREE_TEXT = ("channel", "dstchannel", "lastdata", "userfield")


class AsteriskCsvFormat:
    """Reads and anonymises Asterisk cdr_csv lines."""

    name = "asterisk cdr_csv"

    def __init__(self, source_tz: tzinfo, target_tz: tzinfo) -> None:
        self.source_tz = source_tz
        self.target_tz = target_tz

    def quick_ok(self, fields: list[str]) -> bool:
        """Cheap test that :meth:`parse` accepts ``fields`` (False: ask parse for the reason)."""
        return (
            len(fields) in LAYOUTS
            and bool(fields[9])
            and stamp_ok(fields[9])
            and stamp_ok(fields[10])
            and stamp_ok(fields[11])
            and fields[12].isdigit()
            and fields[13].isdigit()
        )

    def parse(self, fields: list[str]) -> Call:
        columns = LAYOUTS.get(len(fields))
        if columns is None:
            raise ParseError(f"expected 16, 17, 18 or 21 columns, found {len(fields)}")
        row = dict(zip(columns, fields, strict=True))
        start = parse_stamp(row["start"], "start", self.source_tz, self.target_tz)
        if start is None:
            raise ParseError("start time is empty")
        name, clid_number = split_clid(row["clid"])
        ident = row.get("uniqueid", "").strip()
        if row.get("sequence", "").strip():
            ident = f"{ident}-{row['sequence'].strip()}"
        return Call(
            start=start,
            answer=parse_stamp(row["answer"], "answer", self.source_tz, self.target_tz),
            end=parse_stamp(row["end"], "end", self.source_tz, self.target_tz),
            duration=parse_int(row["duration"], "duration"),
            billsec=parse_int(row["billsec"], "billsec"),
            disposition=row["disposition"].strip(),
            callers=(("src", row["src"]), ("clid", clid_number)),
            callees=(("dst", row["dst"]),),
            caller_name=name,
            ident=ident,
            extra={
                "accountcode": row["accountcode"],
                "uniqueid": row.get("uniqueid", ""),
                "linkedid": row.get("linkedid", ""),
            },
        )

    def anonymise(
        self, fields: list[str], call: Call, match: Match, pseudonymise: Callable[[str], str]
    ) -> dict[int, str]:
        """Column index → new value: the subject's numbers become keyed hashes, the caller
        name is blanked, the subject's numbers are scrubbed from dial strings and channel
        names; times, durations and disposition stay (billing totals)."""
        columns = LAYOUTS[len(fields)]
        index = {name: i for i, name in enumerate(columns)}
        changes: dict[int, str] = {}
        for column in ("src", "dst"):
            if column in match.fields:
                changes[index[column]] = pseudonymise(fields[index[column]].strip())
        _, number = split_clid(fields[index["clid"]])
        if "clid" in match.fields:
            number = pseudonymise(number.strip())
        clid = join_clid("", number)
        if clid != fields[index["clid"]]:
            changes[index["clid"]] = clid
        patterns = scrub_patterns(match, pseudonymise)
        for column in _FREE_TEXT:
            if column in index:
                scrubbed = replace_numbers(fields[index[column]], patterns)
                if scrubbed != fields[index[column]]:
                    changes[index[column]] = scrubbed
        return changes
