"""The per-call fast paths of the access path give exactly what the general code gave.

Issue 13 made a subject with 200,000 calls cheaper by skipping work for the usual values
(digit-only numbers, ASCII text, E.164 counterparts, an answer time equal to the start). The
references below are the code as it was before (kept here, slow and obvious); the records a
subject with many calls gets must not change by a character.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem
from dsr_plugins.pbx.csv_system import SCANS
from dsr_plugins.pbx.csvline import ENCODING, ERRORS, clean
from dsr_plugins.pbx.numbers import digits
from dsr_plugins.pbx.thirdparty import (
    MASKED_DIGITS,
    WITHHELD_NUMBERS,
    _plain,
    mask,
    withheld_number,
)

_NON_DIGITS = re.compile(r"\D+")


def old_digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def old_clean(text: str) -> str:
    return text.encode(ENCODING, ERRORS).decode(ENCODING, "replace")


def old_mask(value: str) -> str:
    count = len(old_digits(value))
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


#: Numbers as call logs hold them, and the odd values that must take the slow path.
NUMBERS = st.one_of(
    st.from_regex(r"\A\+?[0-9]{0,15}\Z"),
    st.sampled_from(["+", "+1", "+1234", "0000000000", "anonymous", "+٣٢٤٧٧", "²³", " 0477 "]),
    st.text(),
)


@settings(max_examples=400)
@given(NUMBERS)
def test_digits_mask_and_withheld_as_before(value: str) -> None:
    assert digits(value) == old_digits(value)
    assert mask(value) == old_mask(value)
    assert withheld_number(value) == (_plain(value) in WITHHELD_NUMBERS)


@settings(max_examples=300)
@given(st.binary(max_size=40))
def test_clean_as_before(raw: bytes) -> None:
    text = raw.decode(ENCODING, ERRORS)
    assert clean(text) == old_clean(text)


def test_line_digest_as_before(tmp_path: Path) -> None:
    system = AsteriskCsvSystem(
        "pbx", {"path": str(tmp_path / "Master.csv")}, make_context("pbx", tmp_path)
    )
    key = system.context.secret_key or b"dsr-pbx"
    for raw in (b'"","0477123456"\n', b"\xff\xfe,x\r\n", b""):
        expected = hmac.new(key, raw.rstrip(b"\r\n"), hashlib.sha256).hexdigest()[:16]
        assert system._digest(raw) == expected


#: Lines of the subject's calls in every shape the fast paths branch on: answered at once or
#: later or never, an E.164 / national / short / withheld counterpart, a name with bytes that
#: are not UTF-8, a userfield naming the counterpart.
LINES = [
    '"","0477123456","+32499887766","from-internal","""Jan"" <0477123456>","PJSIP/1-1",'
    '"PJSIP/t-2","Dial","PJSIP/t,30","2024-03-01 10:00:00","2024-03-01 10:00:00",'
    '"2024-03-01 10:01:00",60,60,"ANSWERED","DOCUMENTATION","1709283600.1","in-0499887766"',
    '"","0499887766","0477123456","from-trunk","""Piet"" <0499887766>","PJSIP/t-3",'
    '"PJSIP/1-4","Dial","PJSIP/1,30","2024-03-01 11:00:00","2024-03-01 11:00:05",'
    '"2024-03-01 11:02:00",120,115,"ANSWERED","DOCUMENTATION","1709287200.2",""',
    '"","anonymous","0477 12 34 56","from-trunk","""Anonymous"" <anonymous>","PJSIP/t-5",'
    '"PJSIP/1-6","Dial","PJSIP/1,30","2024-03-01 12:00:00","","2024-03-01 12:00:30",'
    '30,0,"NO ANSWER","DOCUMENTATION","1709290800.3",""',
    '"","+32477123456","201","from-internal","""J\xe9r\xf4me"" <+32477123456>","PJSIP/1-7",'
    '"PJSIP/201-8","Dial","PJSIP/201,30","2024-03-01 13:00:00","2024-03-01 13:00:00",'
    '"2024-03-01 13:00:10",10,10,"ANSWERED","DOCUMENTATION","1709294400.4",""',
    '"","0032477123456","099887766","from-internal","""Jan"" <0032477123456>","PJSIP/1-9",'
    '"PJSIP/t-10","Dial","PJSIP/t,30","2024-03-01 14:00:00","2024-03-01 14:00:02",'
    '"2024-03-01 14:03:00",178,176,"BUSY","DOCUMENTATION","1709298000.5","x"',
]


def expected_fields(index: int) -> dict[str, object]:
    """What the records held before issue 13's fast paths (the default rule, "mask")."""
    return [
        {
            "direction": "outgoing",
            "number": "+32477123456",
            "caller_name": "Jan",
            "counterpart": "+3249988xxxx",
            "start": "2024-03-01T10:00:00+01:00",
            "answer": "2024-03-01T10:00:00+01:00",
            "end": "2024-03-01T10:01:00+01:00",
            "duration": 60,
            "billsec": 60,
            "disposition": "ANSWERED",
            "uniqueid": "1709283600.1",
            "userfield": "in-049988xxxx",
        },
        {
            "direction": "incoming",
            "number": "+32477123456",
            "counterpart": "+3249988xxxx",
            "start": "2024-03-01T11:00:00+01:00",
            "answer": "2024-03-01T11:00:05+01:00",
            "end": "2024-03-01T11:02:00+01:00",
            "duration": 120,
            "billsec": 115,
            "disposition": "ANSWERED",
            "uniqueid": "1709287200.2",
        },
        {
            "direction": "incoming",
            "number": "+32477123456",
            "caller_withheld": True,
            "start": "2024-03-01T12:00:00+01:00",
            "answer": None,
            "end": "2024-03-01T12:00:30+01:00",
            "duration": 30,
            "billsec": 0,
            "disposition": "NO ANSWER",
            "uniqueid": "1709290800.3",
        },
        {
            "direction": "outgoing",
            "number": "+32477123456",
            "caller_name": "J\ufffdr\ufffdme",
            "counterpart": "201",
            "start": "2024-03-01T13:00:00+01:00",
            "answer": "2024-03-01T13:00:00+01:00",
            "end": "2024-03-01T13:00:10+01:00",
            "duration": 10,
            "billsec": 10,
            "disposition": "ANSWERED",
            "uniqueid": "1709294400.4",
        },
        {
            "direction": "outgoing",
            "number": "+32477123456",
            "caller_name": "Jan",
            "counterpart": "09988xxxx",
            "start": "2024-03-01T14:00:00+01:00",
            "answer": "2024-03-01T14:00:02+01:00",
            "end": "2024-03-01T14:03:00+01:00",
            "duration": 178,
            "billsec": 176,
            "disposition": "BUSY",
            "uniqueid": "1709298000.5",
            "userfield": "x",
        },
    ][index]


def test_many_calls_records_unchanged(tmp_path: Path) -> None:
    """A subject with thousands of calls (past the spool's in-memory part, so most come back
    from disk) gets, for each line, the very fields the code before the fast paths gave."""
    master = tmp_path / "Master.csv"
    repeat = 1200  # 6,000 calls: beyond the spool's 2,048 kept in memory
    with master.open("wb") as out:
        for _ in range(repeat):
            for line in LINES:
                out.write(line.encode("latin-1") + b"\n")
    context = make_context("pbx", tmp_path, today=date(2025, 1, 1))
    subject = Subject("Jan", (Identity(IdentityKind.PHONE, "+32477123456"),))
    SCANS.clear()
    keys = AsteriskCsvSystem("pbx", {"path": str(master)}, context).locate(subject)
    records = list(AsteriskCsvSystem("pbx", {"path": str(master)}, context).access(subject, keys))
    assert len(records) == repeat * len(LINES)
    for i, record in enumerate(records):
        assert dict(record.fields) == expected_fields(i % len(LINES)), i
        assert record.source == f"Master.csv line {i + 1}"
