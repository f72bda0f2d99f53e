"""Number forms, clid, CSV fields and the Asterisk/FreeSWITCH line formats."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_core.identities import parse_phone
from dsr_plugins.pbx.asterisk_format import AsteriskCsvFormat
from dsr_plugins.pbx.calls import ParseError
from dsr_plugins.pbx.csvline import decode, field_spans, replace_fields, split_fields
from dsr_plugins.pbx.freeswitch_format import (
    DEFAULT_TEMPLATE,
    FreeswitchCsvFormat,
    TemplateError,
    parse_template,
)
from dsr_plugins.pbx.numbers import (
    digits,
    join_clid,
    normalise,
    nsn,
    number_pattern,
    split_clid,
    textual_forms,
)
from tests.pbx.samples import asterisk_line, freeswitch_line

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0477 12 34 56", "+32477123456"),
        ("0032477123456", "+32477123456"),
        ("+32477123456", "+32477123456"),
        ("32477123456", "+32477123456"),
        ("09/377.12.34", "+3293771234"),
        ("+32 (0)477 12 34 56", "+32477123456"),
        ("201", None),
        ("anonymous", None),
        ("", None),
    ],
)
def test_normalise(raw: str, e164: str | None) -> None:
    assert normalise(raw, "BE") == e164


@pytest.mark.parametrize("e164", ["+32477123456", "+3293771234", "+33612345678", "+390612345678"])
def test_textual_forms_all_normalise_back_and_hold_the_nsn(e164: str) -> None:
    forms = textual_forms(e164, "BE")
    assert e164 in forms and len(forms) > 5
    for form in forms:
        assert normalise(form, "BE") == e164, form
        assert nsn(e164) in digits(form)
    if e164 == "+32477123456":
        assert {"0477 12 34 56", "0477/12.34.56", "0032477123456", "32477123456"} <= forms
    if e164 == "+3293771234":
        assert "09/377.12.34" in forms


@settings(max_examples=150, deadline=None)
@given(
    groups=st.lists(st.integers(1, 4), min_size=1, max_size=5),
    separators=st.lists(st.sampled_from([" ", ".", "/", "-", "", " - "]), min_size=5, max_size=5),
    prefix=st.sampled_from(["0", "+32", "0032", "32", "+32 (0)", "+32 "]),
)
def test_any_spelling_that_normalises_holds_the_nsn(groups, separators, prefix) -> None:
    """What the scanner relies on: a spelling of the number holds its NSN as digits."""
    significant = "477123456"
    parts, at = [], 0
    for size, sep in zip(groups, separators, strict=False):
        parts.append(significant[at : at + size] + sep)
        at += size
    text = prefix + "".join(parts) + significant[at:]
    if parse_phone(text) == "+32477123456":
        assert significant in digits(text)


def test_number_pattern_scrubs_every_spelling_but_not_longer_numbers() -> None:
    pattern = number_pattern("+32477123456")
    for text in [
        "SIP/trunk/0477123456,60",
        "PJSIP/+32477123456@trunk",
        "0032 477 12 34 56",
        "32477123456",
        "dial 0477/12.34.56 now",
    ]:
        assert "X" in pattern.sub("X", text), text
        assert "477" not in pattern.sub("X", text), text
    assert pattern.sub("X", "04771234567") == "04771234567"
    assert pattern.sub("X", "10477123456") == "10477123456"


@pytest.mark.parametrize(
    ("clid", "parts"),
    [
        ('"Jan Peeters" <0477123456>', ("Jan Peeters", "0477123456")),
        ('"Jan "JP" Peeters, jr" <0477123456>', ('Jan "JP" Peeters, jr', "0477123456")),
        ("<201>", ("", "201")),
        ("Jan <201>", ("Jan", "201")),
        ("0477123456", ("", "0477123456")),
        ('"Jan"', ("Jan", "")),
        ("", ("", "")),
    ],
)
def test_split_clid(clid: str, parts: tuple[str, str]) -> None:
    assert split_clid(clid) == parts


def test_join_clid() -> None:
    assert join_clid("", "anon-1") == '"" <anon-1>'
    assert join_clid("", "") == ""


csv_fields = st.lists(st.text(alphabet="ab ,\"'x1é\t", max_size=8), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(fields=csv_fields, quote_all=st.booleans())
def test_split_fields_reads_what_csv_writes(fields: list[str], quote_all: bool) -> None:
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(buffer, quoting=quoting, lineterminator="\n").writerow(fields)
    text = buffer.getvalue().rstrip("\n")
    if fields == [""] and not quote_all:
        return  # an empty line
    assert split_fields(text) == fields
    assert len(field_spans(text)) == len(fields)
    changed = replace_fields(text.encode() + b"\n", {0: 'new,"v"'}, len(fields))
    assert split_fields(decode(changed)) == ['new,"v"', *fields[1:]]
    assert changed.endswith(b"\n")


@pytest.mark.parametrize("line", ['"abc"def,1', '"unterminated,1', '"a" ,b'])
def test_split_fields_refuses_broken_quoting(line: str) -> None:
    with pytest.raises(ParseError, match="broken quoting"):
        split_fields(line)


def test_replace_fields_keeps_quoting_style_and_bytes() -> None:
    raw = b'"a",2,"x""y",\xff\r\n'
    out = replace_fields(raw, {1: "3", 2: 'z"'}, 4)
    assert out == b'"a",3,"z""",\xff\r\n'


# -- the Asterisk format ---------------------------------------------------------------------
def parse(line: str, source=BRUSSELS):
    return AsteriskCsvFormat(source, BRUSSELS).parse(split_fields(line))


@pytest.mark.parametrize("columns", [16, 17, 18, 21])
@pytest.mark.parametrize("quote_ints", [False, True])
def test_asterisk_column_counts(columns: int, quote_ints: bool) -> None:
    call = parse(asterisk_line("0477123456", "201", columns=columns, quote_ints=quote_ints))
    assert call.duration == 175 and call.billsec == 170
    assert call.start.isoformat() == "2024-03-01T10:00:00+01:00"
    assert dict(call.callers) == {"src": "0477123456", "clid": "0477123456"}
    assert call.caller_name == "Some Caller"
    assert call.ident == {16: "", 17: "1709287200.1", 18: "1709287200.1"}.get(
        columns, "1709287200.1-1"
    )


def test_asterisk_empty_answer_and_utc() -> None:
    call = parse(asterisk_line(answer="", start="2024-07-01 08:00:00"), source=UTC)
    assert call.answer is None
    assert call.start.isoformat() == "2024-07-01T10:00:00+02:00"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('"a","b"', "expected 16 to 21 columns, found 2"),
        (asterisk_line(start=""), "start time is empty"),
        (asterisk_line(start="01/03/2024 10:00"), "start time is not YYYY-MM-DD HH:MM:SS"),
        (asterisk_line(start="2024-02-30 10:00:00"), "start time is not a valid date"),
        (asterisk_line(answer="soon"), "answer time is not YYYY-MM-DD HH:MM:SS"),
        (asterisk_line().replace(",175,", ",abc,"), "duration is not a whole number"),
        (asterisk_line().replace(",170,", ",-5,"), "billsec is negative"),
    ],
)
def test_asterisk_broken_lines_say_why(line: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(line)
    assert str(info.value) == reason


# -- the FreeSWITCH format -------------------------------------------------------------------
def test_default_template() -> None:
    columns = parse_template(DEFAULT_TEMPLATE)
    assert columns[:3] == ("caller_id_name", "caller_id_number", "destination_number")
    assert len(columns) == 15
    fmt = FreeswitchCsvFormat(columns, BRUSSELS, BRUSSELS)
    call = fmt.parse(split_fields(freeswitch_line("0477123456", "201", answer="")))
    assert call.answer is None
    assert call.caller_name == "Some Caller"
    assert call.disposition == "NORMAL_CLEARING"
    assert call.ident == "a1b2c3d4-0000-4000-8000-000000000001"


def test_custom_templates_string_and_list() -> None:
    template = '"${start_epoch}",${sip_from_user},"fixed","${sip_to_user}",${billsec}\n'
    columns = parse_template(template)
    assert columns == ("start_epoch", "sip_from_user", None, "sip_to_user", "billsec")
    fmt = FreeswitchCsvFormat(columns, BRUSSELS, BRUSSELS)
    call = fmt.parse(["1709283600", "0477123456", "fixed", "201", "12"])
    assert call.start.isoformat() == "2024-03-01T10:00:00+01:00"
    assert dict(call.callers) == {"sip_from_user": "0477123456"}
    assert parse_template(["start_stamp", "${caller_id_number}"]) == (
        "start_stamp",
        "caller_id_number",
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('"${caller_id_number} ${x}","${start_stamp}"', "mixes text and variables"),
        ('"${caller_id_number}"', "needs start_stamp"),
        ('"${start_stamp}","${context}"', "needs caller_id_number"),
        ('"${start_stamp}","${start_stamp}","${caller_id_number}"', "twice"),
        (["start_stamp", "not a name"], "not a variable name"),
    ],
)
def test_bad_templates(template, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        parse_template(template)
