"""The fast scanner: it must find every line a naive search finds, at any chunk size."""

from __future__ import annotations

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_plugins.pbx.scan import ScanStats, digit_trie, scan

NEEDLE = b"477123456"


def naive(data: bytes, digit_needles: list[bytes], text_needles: list[bytes]) -> list[tuple]:
    """(offset, raw, number) of each line holding a needle, the slow obvious way."""
    result = []
    offset = 0
    lines = data.split(b"\n")
    for number, content in enumerate(lines, 1):
        raw = content + b"\n" if number < len(lines) else content
        if not raw:
            break
        digits = re.sub(rb"[^0-9]", b"", content)
        hit = any(n in digits for n in digit_needles)
        for needle in text_needles:
            for m in re.finditer(re.escape(needle), content):
                before = content[m.start() - 1 : m.start()]
                after = content[m.end() : m.end() + 1]
                if not re.match(rb"[0-9A-Za-z]", before) and not re.match(rb"[0-9A-Za-z]", after):
                    hit = True
        if hit:
            result.append((offset, raw, number))
        offset += len(raw)
    return result


def run(data: bytes, digit_needles, text_needles=(), chunk_size=1 << 16, limit=None):
    stats = ScanStats()
    found = [
        (c.offset, c.raw, c.number)
        for c in scan(
            io.BytesIO(data),
            digit_needles,
            text_needles,
            stats=stats,
            chunk_size=chunk_size,
            limit=limit,
        )
    ]
    return found, stats


FORMS = [
    b"0477123456",
    b"0477 12 34 56",
    b"+32 477 12 34 56",
    b"0032477123456",
    b"32477123456",
    b"+32 (0)477 12 34 56",
    b"0477/12.34.56",
    b"0477-12-34-56",
]

line_parts = st.lists(
    st.one_of(
        st.sampled_from(FORMS),
        st.binary(max_size=30).filter(lambda b: b"\n" not in b),
        st.sampled_from([b'"201"', b"<201>", b",2010,", b"SIP/201-00", b"x201y"]),
    ),
    max_size=6,
)


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(line_parts.map(lambda parts: b",".join(parts)), max_size=40),
    final_newline=st.booleans(),
    chunk_size=st.integers(min_value=1, max_value=300),
)
def test_scanner_agrees_with_naive_search(lines, final_newline, chunk_size) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    expected = naive(data, [NEEDLE], [b"201"])
    found, stats = run(data, [NEEDLE], [b"201"], chunk_size=chunk_size)
    assert found == expected
    assert stats.size == len(data)
    assert stats.lines == data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def test_every_form_is_a_candidate_and_offsets_are_exact() -> None:
    filler = [b'"x","0499887766","201","2024-01-01 10:00:00",12,10' for _ in range(50)]
    lines = []
    for form in FORMS:
        lines += filler + [b'"","' + form + b'","201"']
    data = b"\r\n".join(lines) + b"\r\n"
    found, stats = run(data, [NEEDLE], chunk_size=4096)
    assert len(found) == len(FORMS)
    for offset, raw, number in found:
        assert data[offset : offset + len(raw)] == raw
        assert raw.endswith(b"\r\n")
        assert data.split(b"\r\n")[number - 1] + b"\r\n" == raw
    assert stats.lines == len(lines)
    assert stats.candidates == len(FORMS)


def test_limit_stops_at_the_planned_size() -> None:
    data = b"a 0477123456\nb\nc 0477123456\n"
    found, _ = run(data, [NEEDLE], limit=15)
    assert [f[2] for f in found] == [1]


def test_extensions_need_non_alphanumeric_boundaries() -> None:
    data = b'"201"\n2010\nSIP/201-1\nx201\n<201>\n201\n'
    found, _ = run(data, [], [b"201"])
    assert [f[2] for f in found] == [1, 3, 5, 6]


def test_long_lines_longer_than_a_chunk() -> None:
    data = b"a" * 5000 + b"0477123456" + b"b" * 5000 + b"\nshort\n" + b"c" * 3000 + b"0477 123456"
    found, stats = run(data, [NEEDLE], chunk_size=1000)
    assert [f[2] for f in found] == [1, 3]
    assert stats.lines == 3


NEEDLES = [NEEDLE, b"477123", b"9377123", b"477654321", b"2233445566", b"477123457"]


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(line_parts.map(lambda parts: b",".join(parts)), max_size=40),
    needles=st.lists(
        st.one_of(st.sampled_from(NEEDLES), st.from_regex(rb"\A[0-9]{1,6}\Z")),
        min_size=3,
        max_size=12,
    ),
    chunk_size=st.integers(min_value=1, max_value=300),
)
def test_many_numbers_in_one_pass_find_what_one_search_each_finds(
    lines, needles, chunk_size
) -> None:
    """Above FIND_NEEDLES numbers the scan runs one combined search: same lines found."""
    data = b"\n".join(lines)
    expected = naive(data, needles, [b"201"])
    found, _ = run(data, needles, [b"201"], chunk_size=chunk_size)
    assert found == expected


def test_digit_trie_finds_a_text_exactly_when_it_holds_a_needle() -> None:
    needles = [b"477123456", b"477123", b"4771239", b"9377", b"12"]
    pattern = re.compile(digit_trie(needles))
    for text in [*needles, b"0477123", b"99937799", b"5125"]:
        assert pattern.search(text)
    for text in [b"4771", b"477134", b"937", b"1", b"13", b"47713", b"9370"]:
        assert not pattern.search(text)


@settings(max_examples=120, deadline=None)
@given(
    lines=st.lists(line_parts.map(lambda parts: b",".join(parts)), max_size=40),
    tails=st.lists(st.from_regex(rb"\A[0-9]{0,4}\Z"), min_size=3, max_size=12),
    prefix=st.sampled_from([b"4771", b"477123", b"47712345"]),
    chunk_size=st.integers(min_value=1, max_value=300),
)
def test_a_block_of_numbers_is_found_from_its_common_prefix(
    lines, tails, prefix, chunk_size
) -> None:
    """Numbers sharing ANCHOR_MIN or more leading digits (a company's direct lines) are
    searched by their prefix, then the trie where it occurs: same lines found."""
    needles = [prefix + t for t in tails]
    data = b"\n".join(lines)
    expected = naive(data, needles, [b"201"])
    found, _ = run(data, needles, [b"201"], chunk_size=chunk_size)
    assert found == expected
