"""Tests for dsr_core.clock: the Art. 12(3) response deadline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_core.clock import (
    Pause,
    add_months,
    days_left,
    due_date,
    extension_allowed,
    is_working_day,
    next_working_day,
    paused_days,
    raw_due_date,
    status,
)

receipts = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
fast = settings(max_examples=150, deadline=None)


# --- month arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2025, 3, 5), 1, date(2025, 4, 5)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 10, 31), 3, date(2026, 1, 31)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# --- plain due dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # 31 Aug -> 30 Sep (Tue 2025)
        (date(2025, 8, 31), date(2025, 9, 30)),
        # 5 Mar -> 5 Apr
        (date(2025, 3, 5), date(2025, 4, 7)),  # 5 Apr 2025 is a Saturday -> Mon 7 Apr
        (date(2024, 3, 5), date(2024, 4, 5)),  # Fri 5 Apr 2024
        # due on Saturday 2026-03-07 -> Monday 9 Mar
        (date(2026, 2, 7), date(2026, 3, 9)),
        # due on Sunday 2026-03-08 -> Monday 9 Mar
        (date(2026, 2, 8), date(2026, 3, 9)),
        # due on Easter Monday 2026-04-06 -> Tuesday 7 Apr
        (date(2026, 3, 6), date(2026, 4, 7)),
        # due on National Day, Tuesday 2026-07-21 -> Wednesday 22 Jul
        (date(2026, 6, 21), date(2026, 7, 22)),
        # due on Armistice Day, Wednesday 2026-11-11 -> Thursday 12 Nov
        (date(2026, 10, 11), date(2026, 11, 12)),
        # due on Sunday 2024-11-10, Monday 11 Nov is a holiday -> Tuesday 12 Nov
        (date(2024, 10, 10), date(2024, 11, 12)),
        # due on Christmas, Friday 2026-12-25 -> Monday 28 Dec
        (date(2026, 11, 25), date(2026, 12, 28)),
        # due on Ascension, Thursday 2026-05-14 -> Friday 15 May
        (date(2026, 4, 14), date(2026, 5, 15)),
        # due on New Year's Day, Thursday 2026-01-01 -> Friday 2 Jan (across the year end)
        (date(2025, 12, 1), date(2026, 1, 2)),
    ],
)
def test_due_date_belgium(received: date, expected: date) -> None:
    assert due_date(received) == expected


def test_belgian_holidays() -> None:
    for day in [
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 7, 21),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]:
        assert day.weekday() < 5
        assert not is_working_day(day), day
    assert is_working_day(date(2026, 4, 7))
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert not is_working_day(date(2026, 3, 8))  # Sunday
    assert next_working_day(date(2026, 4, 7)) == date(2026, 4, 7)
    assert next_working_day(date(2026, 4, 4)) == date(2026, 4, 7)


def test_country_is_case_insensitive() -> None:
    assert due_date(date(2026, 3, 6), country="be") == date(2026, 4, 7)


def test_holiday_table_follows_the_country() -> None:
    # 14 Jul is a French holiday, not a Belgian one; 21 Jul the other way round.
    assert not is_working_day(date(2026, 7, 14), "FR")
    assert is_working_day(date(2026, 7, 14), "BE")
    assert is_working_day(date(2026, 7, 21), "FR")
    assert due_date(date(2026, 6, 14), country="FR") == date(2026, 7, 15)
    assert due_date(date(2026, 6, 14), country="BE") == date(2026, 7, 14)
    assert due_date(date(2026, 6, 21), country="FR") == date(2026, 7, 21)
    # King's Day, Monday 2026-04-27, in the Netherlands.
    assert due_date(date(2026, 3, 27), country="NL") == date(2026, 4, 28)
    assert due_date(date(2026, 3, 27), country="BE") == date(2026, 4, 27)


def test_subdivision() -> None:
    # Epiphany (Tuesday 2026-01-06) is a holiday in Bavaria, not in Germany as a whole.
    assert due_date(date(2025, 12, 6), country="DE", subdiv="BY") == date(2026, 1, 7)
    assert due_date(date(2025, 12, 6), country="DE") == date(2026, 1, 6)


def test_unknown_country() -> None:
    with pytest.raises(ValueError, match="unknown country code 'XX' for public holidays"):
        due_date(date(2026, 3, 6), country="XX")
    with pytest.raises(ValueError, match="unknown country code 'XX'"):
        is_working_day(date(2026, 3, 7), "XX")  # a Saturday: still validated
    with pytest.raises(ValueError, match="unknown country code 'XX'"):
        due_date(date(2026, 3, 6), country="XX", pauses=[Pause(date(2026, 3, 7))])


def test_unknown_subdivision() -> None:
    with pytest.raises(ValueError, match="unknown subdivision 'ZZ' of country 'NL'"):
        is_working_day(date(2026, 3, 9), "NL", "ZZ")


# --- extension -----------------------------------------------------------------------------


def test_extended_due_is_receipt_plus_three_months() -> None:
    assert due_date(date(2025, 11, 30), extended=True) == date(2026, 3, 2)  # Sat 28 Feb -> Mon
    assert due_date(date(2026, 3, 5), extended=True) == date(2026, 6, 5)  # Friday
    assert due_date(date(2026, 3, 6), extended=True) == date(2026, 6, 8)  # Sat 6 Jun -> Mon


def test_extension_allowed_only_within_first_month() -> None:
    received = date(2026, 3, 6)  # first month ends Tue 7 Apr (Easter Monday roll-over)
    assert extension_allowed(received, date(2026, 3, 6))
    assert extension_allowed(received, date(2026, 4, 6))
    assert extension_allowed(received, date(2026, 4, 7))  # the last day
    assert not extension_allowed(received, date(2026, 4, 8))


def test_extension_window_follows_pauses() -> None:
    received = date(2026, 3, 2)  # unpaused: due Thu 2 Apr
    pauses = [Pause(date(2026, 3, 10), date(2026, 3, 20))]  # +10 -> Sun 12 Apr -> Mon 13 Apr
    assert not extension_allowed(received, date(2026, 4, 3))
    assert extension_allowed(received, date(2026, 4, 13), pauses=pauses)
    assert not extension_allowed(received, date(2026, 4, 14), pauses=pauses)
    # While a pause is open, the first month cannot run out.
    assert extension_allowed(received, date(2026, 6, 1), pauses=[Pause(date(2026, 3, 10))])


def test_extension_decided_before_receipt() -> None:
    with pytest.raises(ValueError, match="before the request was received"):
        extension_allowed(date(2026, 3, 6), date(2026, 3, 5))


# --- pauses --------------------------------------------------------------------------------


def test_pause_moves_raw_due() -> None:
    received = date(2026, 3, 2)  # raw due Thu 2 Apr
    pause = Pause(date(2026, 3, 10), date(2026, 3, 20))
    assert paused_days([pause]) == 10
    assert raw_due_date(received, pauses=[pause]) == date(2026, 4, 12)
    assert due_date(received, pauses=[pause]) == date(2026, 4, 13)  # Sunday -> Monday


def test_two_pauses_add_up() -> None:
    received = date(2026, 3, 2)
    pauses = [
        Pause(date(2026, 3, 20), date(2026, 3, 23)),  # given out of order on purpose
        Pause(date(2026, 3, 3), date(2026, 3, 10)),
    ]
    assert paused_days(pauses) == 10
    assert due_date(received, pauses=pauses) == date(2026, 4, 13)
    # Back-to-back pauses are allowed.
    touching = [
        Pause(date(2026, 3, 3), date(2026, 3, 10)),
        Pause(date(2026, 3, 10), date(2026, 3, 13)),
    ]
    assert due_date(received, pauses=touching) == date(2026, 4, 13)


def test_roll_over_is_applied_once_at_the_end() -> None:
    # Raw due Sat 7 Mar 2026; a 2-day pause makes it Mon 9 Mar, not Mon 9 + 2 = Wed 11.
    pause = Pause(date(2026, 2, 10), date(2026, 2, 12))
    assert due_date(date(2026, 2, 7), pauses=[pause]) == date(2026, 3, 9)


def test_zero_day_pause() -> None:
    received = date(2026, 3, 2)
    pause = Pause(date(2026, 3, 10), date(2026, 3, 10))
    assert due_date(received, pauses=[pause]) == due_date(received)


def test_open_pause_gives_none() -> None:
    received = date(2026, 3, 2)
    closed = Pause(date(2026, 3, 3), date(2026, 3, 5))
    open_ = Pause(date(2026, 3, 10))
    assert due_date(received, pauses=[open_]) is None
    assert due_date(received, pauses=[closed, open_], extended=True) is None
    # as_of: "what if the answer arrived on as_of"
    assert due_date(received, pauses=[open_], as_of=date(2026, 3, 20)) == date(2026, 4, 13)
    assert due_date(received, pauses=[closed, open_], as_of=date(2026, 3, 18)) == date(2026, 4, 13)
    # as_of does not change the answer when no pause is open (Sat 4 Apr, Easter Mon -> Tue).
    assert due_date(received, pauses=[closed], as_of=date(2026, 12, 1)) == date(2026, 4, 7)


def test_paused_days_open_pause() -> None:
    open_ = Pause(date(2026, 3, 10))
    assert paused_days([open_], as_of=date(2026, 3, 15)) == 5
    with pytest.raises(ValueError, match="still open"):
        paused_days([open_])
    with pytest.raises(ValueError, match="cannot end earlier"):
        due_date(date(2026, 3, 2), pauses=[open_], as_of=date(2026, 3, 9))


@pytest.mark.parametrize(
    ("pauses", "message"),
    [
        ([Pause(date(2026, 3, 1), date(2026, 3, 5))], "before the request was received"),
        ([Pause(date(2026, 3, 10), date(2026, 3, 9))], "cannot end earlier"),
        (
            [
                Pause(date(2026, 3, 3), date(2026, 3, 10)),
                Pause(date(2026, 3, 9), date(2026, 3, 12)),
            ],
            "overlaps",
        ),
        ([Pause(date(2026, 3, 3)), Pause(date(2026, 3, 9), date(2026, 3, 12))], "overlaps"),
        ([Pause(date(2026, 3, 3)), Pause(date(2026, 3, 9))], "overlaps"),
        (
            [Pause(date(2026, 3, 3), date(2026, 3, 20)), Pause(date(2026, 3, 5), date(2026, 3, 6))],
            "overlaps",
        ),
    ],
)
def test_invalid_pauses(pauses: list[Pause], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        due_date(date(2026, 3, 2), pauses=pauses, as_of=date(2026, 4, 1))
    assert "\n" not in str(info.value)


def test_pause_on_day_of_receipt_is_allowed() -> None:
    pause = Pause(date(2026, 3, 2), date(2026, 3, 4))
    assert raw_due_date(date(2026, 3, 2), pauses=[pause]) == date(2026, 4, 4)


# --- days left and status ------------------------------------------------------------------


def test_days_left() -> None:
    due = date(2026, 4, 7)
    assert days_left(due, date(2026, 4, 1)) == 6
    assert days_left(due, due) == 0
    assert days_left(due, date(2026, 4, 9)) == -2


def test_status_running_and_overdue() -> None:
    received = date(2026, 3, 6)
    running = status(received, today=date(2026, 4, 1))
    assert running.due == date(2026, 4, 7)
    assert running.days_left == 6
    assert not running.overdue
    assert running.paused_since is None
    assert running.paused_days == 0
    on_the_day = status(received, today=date(2026, 4, 7))
    assert on_the_day.days_left == 0 and not on_the_day.overdue
    late = status(received, today=date(2026, 4, 8))
    assert late.days_left == -1 and late.overdue
    extended = status(received, today=date(2026, 4, 8), extended=True)
    assert extended.due == date(2026, 6, 8) and not extended.overdue


def test_status_paused() -> None:
    received = date(2026, 3, 2)
    pauses = [Pause(date(2026, 3, 3), date(2026, 3, 5)), Pause(date(2026, 3, 10))]
    paused = status(received, today=date(2026, 3, 15), pauses=pauses)
    assert paused.due is None
    assert paused.days_left is None
    assert not paused.overdue
    assert paused.paused_since == date(2026, 3, 10)
    assert paused.paused_days == 2 + 5


# --- properties ----------------------------------------------------------------------------


@fast
@given(received=receipts)
def test_due_is_a_working_day_close_to_the_calendar_date(received: date) -> None:
    due = due_date(received)
    assert due is not None
    calendar_due = add_months(received, 1)
    assert is_working_day(due)
    assert due.weekday() < 5
    assert calendar_due <= due <= calendar_due + timedelta(days=5)
    # No working day is skipped: every day between the calendar date and the due day is off.
    day = calendar_due
    while day < due:
        assert not is_working_day(day)
        day += timedelta(days=1)


@fast
@given(received=receipts)
def test_extended_due_is_not_earlier(received: date) -> None:
    due = due_date(received)
    extended = due_date(received, extended=True)
    assert due is not None and extended is not None
    assert extended >= due
    assert add_months(received, 3) <= extended <= add_months(received, 3) + timedelta(days=5)
    assert is_working_day(extended)


@fast
@given(
    received=receipts,
    offset=st.integers(min_value=0, max_value=27),
    length=st.integers(min_value=0, max_value=60),
    extended=st.booleans(),
)
def test_pause_moves_due_by_at_least_its_length(
    received: date, offset: int, length: int, extended: bool
) -> None:
    start = received + timedelta(days=offset)
    pause = Pause(start, start + timedelta(days=length))
    before = due_date(received, extended=extended)
    after = due_date(received, extended=extended, pauses=[pause])
    assert before is not None and after is not None
    assert after >= before
    # Roll-over slack: the unpaused due may already have been pushed by up to 5 days.
    assert (after - before).days >= length - 5
    assert is_working_day(after)
    # An open pause gives the same answer when asked "as of" its would-be end.
    open_ = Pause(start)
    assert due_date(received, extended=extended, pauses=[open_]) is None
    assert due_date(received, extended=extended, pauses=[open_], as_of=pause.end) == after


@fast
@given(received=receipts, on_offset=st.integers(min_value=0, max_value=40))
def test_extension_allowed_matches_due(received: date, on_offset: int) -> None:
    on = received + timedelta(days=on_offset)
    due = due_date(received)
    assert due is not None
    assert extension_allowed(received, on) == (on <= due)
