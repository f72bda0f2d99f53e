"""``Period``: the validity period of an identity, a value type that orders and merges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_core.model import Identity, IdentityKind, Period, Subject

D1, D2, D3, D4 = date(2024, 1, 1), date(2024, 6, 30), date(2024, 7, 1), date(2025, 1, 1)


def test_open_ends_order_before_and_after_every_day() -> None:
    periods = [Period(D1, None), Period(None, None), Period(D1, D2), Period(None, D2)]
    assert sorted(periods) == [Period(None, D2), Period(None, None), Period(D1, D2), Period(D1)]
    assert Period(None, D1) < Period(date.min, D1)
    assert Period(D1, date.max) < Period(D1, None)


def test_identities_known_with_and_without_a_period_sort() -> None:
    """The class of bug behind issue 10: ``None`` and dates in one sort key."""
    idents = [
        Identity(IdentityKind.PHONE, "+32477123456", D1, None, source="crm"),
        Identity(IdentityKind.PHONE, "+32477123456"),
        Identity(IdentityKind.PHONE, "+32477123456", None, D2),
        Identity(IdentityKind.PHONE, "+32477123456", D3, D1),  # held on no day
    ]
    ordered = sorted(idents, key=lambda i: i.key)
    assert [i.period for i in ordered] == [None, Period(None, D2), Period(), Period(D1)]


def test_a_period_never_ends_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period(D2, D1)
    assert Period.of(D2, D1) is None
    assert Identity(IdentityKind.PHONE, "+32477123456", D2, D1).period is None
    assert not Identity(IdentityKind.PHONE, "+32477123456", D2, D1).covers(D2)


def test_covers_is_inclusive_at_both_ends() -> None:
    period = Period(D1, D2)
    assert period.covers(D1) and period.covers(D2)
    assert not period.covers(D1 - timedelta(days=1)) and not period.covers(D3)
    assert Period().covers(date.min) and Period().covers(date.max)
    assert Period(None, D2).covers(date.min) and Period(D1).covers(date.max)


def test_merge_joins_overlapping_and_adjacent_periods_only() -> None:
    assert Period(D1, D2).merge(Period(D3, D4)) == Period(D1, D4)  # adjacent: 30 Jun, 1 Jul
    assert Period(D1, D3).merge(Period(D2, None)) == Period(D1, None)
    assert Period(None, D2).merge(Period(D1, D4)) == Period(None, D4)
    with pytest.raises(ValueError, match="days between them"):
        Period(D1, D2).merge(Period(D3 + timedelta(days=1), D4))
    assert Period(date.min, date.max).merge(Period(None, D1)) == Period(None, date.max)


def test_union_reduces_to_disjoint_periods() -> None:
    assert Period.union([Period(D3, D4), Period(D1, D2), Period(D4, None)]) == (Period(D1),)
    assert Period.union([Period(None, D1), Period(D3, D4)]) == (
        Period(None, D1),
        Period(D3, D4),
    )
    assert Period.union([]) == ()


def test_intersection_and_overlaps() -> None:
    assert Period(D1, D3).intersection(Period(D2, None)) == Period(D2, D3)
    assert Period().intersection(Period(None, D1)) == Period(None, D1)
    assert Period(D1, D2).intersection(Period(D3, D4)) is None
    assert not Period(D1, D2).overlaps(Period(D3, D4))
    assert Period(D1, D2).overlaps(Period(D2, D4))


def test_str_shows_open_ends() -> None:
    assert str(Period(D1, None)) == "2024-01-01 to …"
    assert str(Period(None, D2)) == "… to 2024-06-30"


def test_with_identities_adds_a_number_known_with_another_period() -> None:
    subject = Subject("Jan", (Identity(IdentityKind.PHONE, "+32477123456"),))
    more = [
        Identity(IdentityKind.PHONE, "+32477123456", source="crm"),  # the same: not repeated
        Identity(IdentityKind.PHONE, "+32477123456", D1, None, source="crm"),
    ]
    assert [i.period for i in subject.with_identities(more).identities] == [Period(), Period(D1)]


# -- properties ---------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 3, 31))
ENDS = st.one_of(st.none(), DAYS)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start, end = draw(ENDS), draw(ENDS)
    if start is not None and end is not None and start > end:
        start, end = end, start
    return Period(start, end)


@settings(max_examples=200, deadline=None)
@given(st.lists(periods(), max_size=6), DAYS)
def test_union_covers_exactly_the_days_of_its_parts(parts: list[Period], day: date) -> None:
    union = Period.union(parts)
    assert any(p.covers(day) for p in union) == any(p.covers(day) for p in parts)
    assert list(union) == sorted(union)
    for first, second in zip(union, union[1:], strict=False):
        assert not first.touches(second)  # disjoint, with at least one day between


@settings(max_examples=200, deadline=None)
@given(periods(), periods(), DAYS)
def test_intersection_and_merge_agree_with_covers(a: Period, b: Period, day: date) -> None:
    both = a.intersection(b)
    assert (both is not None and both.covers(day)) == (a.covers(day) and b.covers(day))
    assert a.overlaps(b) == (both is not None) == b.overlaps(a)
    if a.touches(b):
        assert a.merge(b).covers(day) == (a.covers(day) or b.covers(day))


@settings(max_examples=200, deadline=None)
@given(periods(), periods())
def test_the_order_is_total_and_consistent_with_equality(a: Period, b: Period) -> None:
    assert (a < b) + (a == b) + (a > b) == 1
    assert (a <= b) == (a < b or a == b)
    assert (hash(a) == hash(b)) or a != b
