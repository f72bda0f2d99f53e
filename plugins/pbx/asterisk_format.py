"""Asterisk ``cdr_csv`` lines (Master.csv and the per-account files).

No header. Asterisk's ``cdr_csv.c`` (``build_csv_record``) writes 16 columns: accountcode, src,
dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration,
billsec, disposition, amaflags; then three optional groups, each on its own ``[csv]`` switch
in cdr.conf and always in this order: ``loguniqueid`` adds uniqueid, ``loguserfield`` adds
userfield, ``newcdrcolumns`` adds peeraccount, linkedid, sequence. Hence six layouts:

====== ============================================================
16     none of the three
17     uniqueid *or* userfield
18     uniqueid, userfield
19     peeraccount, linkedid, sequence
20     uniqueid *or* userfield, then peeraccount, linkedid, sequence
21     all three groups
====== ============================================================

17 and 20 cannot be told apart by counting. The 17th column is settled, in this order:

1. by the config (``loguniqueid``/``loguserfield`` as in cdr.conf's ``[csv]``): when it says
   exactly one of them is on;
2. by the line: an empty value is the userfield (Asterisk never writes an empty uniqueid); a
   value shaped like the uniqueid Asterisk makes (``[systemname-]EPOCH.COUNTER``, the epoch
   within days of the call's start) is the uniqueid;
3. by the file: when another line of the same width has an empty 17th column, the file's
   lines of that width carry the userfield.

Otherwise the line raises :class:`Unsettled`: it is reported as unreadable, never guessed.
Strings are quoted with doubled inner quotes, integers bare or quoted, an unset answer time is
empty, clid is ``"Name" <number>``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from .calls import Call, ParseError, Unsettled, parse_int, parse_stamp, stamp_ok
from .csvline import ENCODING, ERRORS
from .lines import MAX_LINE, bounded_lines
from .matching import Match, scrub_patterns
from .numbers import join_clid, replace_numbers, split_clid
from .thirdparty import is_withheld

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
NEW_COLUMNS = ("peeraccount", "linkedid", "sequence")
#: The cdr.conf ``[csv]`` switches that add columns, in the order Asterisk writes them.
SWITCHES = ("loguniqueid", "loguserfield", "newcdrcolumns")


def columns_for(uniqueid: bool, userfield: bool, new: bool) -> tuple[str, ...]:
    """The columns cdr_csv writes with these ``[csv]`` switches on."""
    return (
        *BASE_COLUMNS,
        *(("uniqueid",) if uniqueid else ()),
        *(("userfield",) if userfield else ()),
        *(NEW_COLUMNS if new else ()),
    )


#: Column count → the layouts with that many columns (two for 17 and 20).
LAYOUTS: dict[int, tuple[tuple[str, ...], ...]] = {}
for _u in (False, True):
    for _f in (False, True):
        for _n in (False, True):
            _cols = columns_for(_u, _f, _n)
            LAYOUTS.setdefault(len(_cols), ())
            LAYOUTS[len(_cols)] += (_cols,)
#: The counts whose 17th column is the uniqueid or the userfield.
AMBIGUOUS = frozenset(n for n, layouts in LAYOUTS.items() if len(layouts) > 1)
#: The column right after the base columns (index 16).
EXTRA = len(BASE_COLUMNS)

#: Free-text columns scrubbed of the subject's numbers on anonymisation (uniqueid too: a
#: userfield read as the uniqueid under a wrong loguniqueid key must not keep the number).
_FREE_TEXT = ("channel", "dstchannel", "lastdata", "uniqueid", "peeraccount")
#: Columns blanked on anonymisation: free text set by the dial plan, it may hold anything.
_BLANKED = ("userfield",)
#: A uniqueid as Asterisk makes it (main/channel.c: "%li.%d" or "%s-%li.%d" with systemname).
_UNIQUEID = re.compile(r'^(?:[^\s,"]+-)?(\d{9,11})\.\d{1,10}$')
#: How far from the call's start a uniqueid's epoch may be (a long-lived channel, a wrong
#: timezone setting); beyond, the value is not taken for a uniqueid.
_UNIQUEID_BEFORE = timedelta(days=14)
_UNIQUEID_AFTER = timedelta(days=1)


def looks_like_uniqueid(value: str, start: datetime | None) -> bool:
    """Whether ``value`` has the shape of a uniqueid Asterisk made for a call at ``start``."""
    match = _UNIQUEID.match(value)
    if match is None:
        return False
    if start is None:
        return True
    made = datetime.fromtimestamp(int(match.group(1)), start.tzinfo)
    return start - _UNIQUEID_BEFORE <= made <= start + _UNIQUEID_AFTER


class AsteriskCsvFormat:
    """Reads and anonymises Asterisk cdr_csv lines."""

    name = "asterisk cdr_csv"

    def __init__(
        self,
        source_tz: tzinfo,
        target_tz: tzinfo,
        switches: Mapping[str, bool] | None = None,
        hint: str = "",
    ) -> None:
        """``switches`` are the cdr.conf ``[csv]`` switches the config gives (a switch it does
        not give is Asterisk's default, off; none given: the layout is read from the lines).
        ``hint`` is what an unsettled line's reason tells staff to do."""
        self.source_tz = source_tz
        self.target_tz = target_tz
        self.switches = dict(switches or {})
        self.extra: str | None = None  # what the 17th column of a 17/20-column line is
        if self.switches:
            uniqueid = self.switches.get("loguniqueid", False)
            userfield = self.switches.get("loguserfield", False)
            if uniqueid != userfield:
                self.extra = "uniqueid" if uniqueid else "userfield"
        self.hint = hint or "set loguniqueid and loguserfield as in cdr.conf's [csv] section"
        self._evidence: dict[tuple[object, ...], str | None] = {}

    @property
    def expected_width(self) -> int | None:
        """How many columns the configured switches make Asterisk write (None: no switch
        configured). Lines of other widths are still read, by their own width (written
        before a cdr.conf change); check() notes them."""
        if not self.switches:
            return None
        return len(columns_for(*(self.switches.get(s, False) for s in SWITCHES)))

    def quick_ok(self, fields: list[str]) -> bool:
        """Cheap test that :meth:`parse` accepts ``fields`` (False: ask parse for the reason)."""
        width = len(fields)
        return (
            width in LAYOUTS
            and bool(fields[9])
            and stamp_ok(fields[9])
            and stamp_ok(fields[10])
            and stamp_ok(fields[11])
            and fields[12].isdigit()
            and fields[13].isdigit()
            and (width < 19 or fields[-1].isdigit())
            and (width not in AMBIGUOUS or self.extra is not None or self._from_value(fields))
        )

    @property
    def contradicted_widths(self) -> frozenset[int]:
        """The widths whose lines :meth:`contradiction` can find at odds with the keys."""
        return AMBIGUOUS if self.extra == "uniqueid" else frozenset()

    def contradiction(self, fields: list[str]) -> str | None:
        """Why the keys cannot be right for this line (an empty 17th column the keys call the
        uniqueid: Asterisk never writes an empty one), or None."""
        if self.extra == "uniqueid" and len(fields) in AMBIGUOUS and not fields[EXTRA].strip():
            return (
                f"{len(fields)} columns with an empty 17th, which the keys call the uniqueid "
                "(Asterisk never writes an empty uniqueid): check loguniqueid and loguserfield"
            )
        return None

    def columns(self, fields: list[str], extra: str | None = None) -> tuple[str, ...]:
        """The columns of a line (raises :class:`ParseError` / :class:`Unsettled`)."""
        layouts = LAYOUTS.get(len(fields))
        if layouts is None:
            raise ParseError(f"expected 16 to 21 columns, found {len(fields)}")
        if len(layouts) == 1:
            return layouts[0]
        chosen = self.extra or extra or self._from_value(fields)
        if chosen is None:
            raise Unsettled(
                f"{len(fields)} columns: the 17th may be the uniqueid or the userfield and "
                f"the line does not tell which; {self.hint}",
                len(fields),
                self._read(fields, _without_extra(layouts[0])),
            )
        return next(c for c in layouts if c[EXTRA] == chosen)

    def _from_value(self, fields: list[str]) -> str | None:
        value = fields[EXTRA].strip()
        if not value:
            return "userfield"  # Asterisk never writes an empty uniqueid
        try:
            start = parse_stamp(fields[9], "start", self.source_tz, self.target_tz)
        except ParseError:
            start = None
        return "uniqueid" if looks_like_uniqueid(value, start) else None

    def parse(self, fields: list[str], extra: str | None = None) -> Call:
        """The call on a line; ``extra`` is what the file says the 17th column of its 17- and
        20-column lines is (see :meth:`settle`), used when the config and the line do not."""
        return self._read(fields, self.columns(fields, extra))

    def _read(self, fields: list[str], columns: tuple[str | None, ...]) -> Call:
        # an unnamed column (None) gets a key no one reads: one C call instead of a loop
        row = dict(zip(columns, fields, strict=True))
        start = parse_stamp(row["start"], "start", self.source_tz, self.target_tz)
        if start is None:
            raise ParseError("start time is empty")
        name, clid_number = split_clid(row["clid"])
        uniqueid = row.get("uniqueid", "").strip()
        sequence = row.get("sequence", "").strip()
        if sequence:
            parse_int(sequence, "sequence")
        ident = ""
        # A record id carries the uniqueid only when the column surely is one: a 17th column
        # settled by a wrong config must not put a userfield (free text) into an id.
        if uniqueid and (len(fields) not in AMBIGUOUS or looks_like_uniqueid(uniqueid, start)):
            ident = f"{uniqueid}-{sequence}" if sequence else uniqueid
        # answered at once (the usual case): the same text is the same time, parse it once
        answer = (
            start
            if row["answer"] == row["start"]
            else parse_stamp(row["answer"], "answer", self.source_tz, self.target_tz)
        )
        return Call(
            start=start,
            answer=answer,
            end=parse_stamp(row["end"], "end", self.source_tz, self.target_tz),
            duration=parse_int(row["duration"], "duration"),
            billsec=parse_int(row["billsec"], "billsec"),
            disposition=row["disposition"].strip(),
            callers=(("src", row["src"]), ("clid", clid_number)),
            callees=(("dst", row["dst"]),),
            caller_name=name,
            ident=ident,
            withheld=is_withheld((row["src"], clid_number), (name,)),
            extra={
                "accountcode": row["accountcode"],
                "uniqueid": row.get("uniqueid", ""),
                "userfield": row.get("userfield", ""),
                **{c: row.get(c, "") for c in NEW_COLUMNS},
            },
            columns=_names(columns),
        )

    # -- the file's word on 17 and 20 columns ------------------------------------------------
    def settle(self, path: Path, width: int, max_line: int = MAX_LINE) -> str | None:
        """What the 17th column of ``path``'s ``width``-column lines is, as far as the file
        tells: ``"userfield"`` when one of them has it empty (Asterisk never writes an empty
        uniqueid), else None. Reads the file once per state (bounded memory)."""
        if width not in AMBIGUOUS:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, width)
        if key not in self._evidence:
            self._evidence[key] = _empty_extra(path, width, max_line)
        return self._evidence[key]

    # -- anonymising --------------------------------------------------------------------------
    def anonymise(
        self, fields: list[str], call: Call, match: Match, pseudonymise: Callable[[str], str]
    ) -> dict[int, str]:
        """Column index → new value: the subject's numbers become keyed hashes, the caller
        name and the userfield are blanked, the subject's numbers are scrubbed from dial
        strings, channel names and ids; times, durations and disposition stay (billing
        totals)."""
        columns = call.columns or self.columns(fields)
        index = {name: i for i, name in enumerate(columns) if name}
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
        for column in _BLANKED:
            if column in index and fields[index[column]]:
                changes[index[column]] = ""
        return changes


#: A layout's column names as a call keeps them (an unnamed column: ""), made once each.
_NAMES: dict[tuple[str | None, ...], tuple[str, ...]] = {}


def _names(columns: tuple[str | None, ...]) -> tuple[str, ...]:
    names = _NAMES.get(columns)
    if names is None:
        names = _NAMES[columns] = tuple(c or "" for c in columns)
    return names


def _without_extra(columns: tuple[str, ...]) -> tuple[str | None, ...]:
    return (*columns[:EXTRA], None, *columns[EXTRA + 1 :])


def _empty_extra(path: Path, width: int, max_line: int) -> str | None:
    with open(path, "rb") as stream:
        for block in bounded_lines(stream, max_line):
            texts = [b.decode(ENCODING, ERRORS) for b in block if isinstance(b, bytes)]
            try:
                for row in csv.reader(texts):
                    if len(row) == width and not row[EXTRA].strip() and row[9]:
                        return "userfield"
            except csv.Error:
                continue
    return None
