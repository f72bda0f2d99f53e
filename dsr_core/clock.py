"""The response clock of a data-subject request: when the answer is due.

Pure functions, no I/O and no database. The rules:

* GDPR Art. 12(3): the controller answers "without undue delay and in any event within one
  month of receipt of the request"; that period "may be extended by two further months where
  necessary", provided the subject is told so within the first month.
* Regulation (EEC, Euratom) No 1182/71 on periods, dates and time limits (applied by the EDPB
  Guidelines 01/2022 on the right of access): the day of receipt is not counted; a period in
  months ends at the end of the day in the last month that has the same date as the day of
  receipt, or on the last day of that month when it has no such date (31 Aug -> 30 Sep,
  31 Jan -> 28/29 Feb, 5 Mar -> 5 Apr); a period ending on a Saturday, Sunday or public holiday
  ends at the end of the next working day.
* While identity verification or a clarification asked of the subject is outstanding, the clock
  stops. A pause starting on day P and ending on day R (the day the answer arrives) pushes the
  deadline back by R - P days. Weekend/holiday roll-over is applied once, at the very end.

Public holidays come from the ``holidays`` library for a configurable country (default Belgium,
``"BE"``) and optional subdivision.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

__all__ = [
    "DEFAULT_COUNTRY",
    "EXTENSION_MONTHS",
    "PERIOD_MONTHS",
    "ClockStatus",
    "UnknownRegion",
    "Pause",
    "add_months",
    "days_left",
    "due_date",
    "extension_allowed",
    "is_working_day",
    "next_working_day",
    "paused_days",
    "raw_due_date",
    "status",
    "validate_pauses",
]

#: Country whose public holidays apply when none is configured.
DEFAULT_COUNTRY = "BE"
#: The ordinary response period, in months (Art. 12(3), first sentence).
PERIOD_MONTHS = 1
#: The most the period may be extended by, in months (Art. 12(3), second sentence).
EXTENSION_MONTHS = 2


@dataclass(frozen=True)
class Pause:
    """A span during which the clock is stopped (identity check or clarification outstanding).

    The clock is stopped from ``start`` on and runs again from ``end`` on (the day the answer
    arrived); ``end`` is ``None`` while the answer is still awaited.
    """

    start: date
    end: date | None = None

    @property
    def is_open(self) -> bool:
        return self.end is None

    def days(self, as_of: date | None = None) -> int:
        """Days the clock stood still; an open pause counts as ending on ``as_of``."""
        end = self.end if self.end is not None else as_of
        if end is None:
            raise ValueError(f"pause started {self.start} is still open: pass as_of")
        if end < self.start:
            raise ValueError(f"pause started {self.start} cannot end earlier, on {end}")
        return (end - self.start).days


@dataclass(frozen=True)
class ClockStatus:
    """Where a request stands against its deadline on ``today``."""

    received: date
    extended: bool
    #: The due day, or ``None`` while a pause is open.
    due: date | None
    #: Days from ``today`` to ``due`` (negative when overdue), ``None`` while paused.
    days_left: int | None
    overdue: bool
    #: Start of the open pause, if any.
    paused_since: date | None
    #: Days the clock stood still so far (open pause counted up to ``today``).
    paused_days: int


def add_months(day: date, months: int) -> date:
    """Return the same date ``months`` later, clamped to the end of a shorter month.

    This is the month arithmetic of Regulation 1182/71: 31 Aug + 1 -> 30 Sep,
    31 Jan + 1 -> 28 or 29 Feb, 5 Mar + 1 -> 5 Apr.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


class UnknownRegion(ValueError):
    """The ``holidays`` library has no table for this country or subdivision."""


#: Holiday tables already known, by (country, subdivision, year): filled from a saved copy by
#: the light commands (:mod:`dsr_core.holiday_cache`), which keep what the library computed.
KNOWN_HOLIDAYS: dict[tuple[str, str | None, int], frozenset[date]] = {}


@lru_cache(maxsize=512)
def _holiday_dates(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    known = KNOWN_HOLIDAYS.get((country, subdiv, year))
    if known is not None:
        return known
    import holidays  # slow to import: only when a deadline is computed

    try:
        table = holidays.country_holidays(country, subdiv=subdiv, years=year)
    except NotImplementedError as exc:
        if subdiv is not None and country in holidays.list_supported_countries():
            raise UnknownRegion(
                f"unknown subdivision {subdiv!r} of country {country!r} for public holidays"
            ) from exc
        raise UnknownRegion(f"unknown country code {country!r} for public holidays") from exc
    KNOWN_HOLIDAYS[(country, subdiv, year)] = frozenset(table)
    return KNOWN_HOLIDAYS[(country, subdiv, year)]


def _normalise_country(country: str) -> str:
    return country.strip().upper()


def is_working_day(day: date, country: str = DEFAULT_COUNTRY, subdiv: str | None = None) -> bool:
    """True unless ``day`` is a Saturday, a Sunday or a public holiday of the country.

    Raises ValueError for a country (or subdivision) the ``holidays`` library does not know.
    """
    public = _holiday_dates(_normalise_country(country), subdiv, day.year)
    return day.weekday() < 5 and day not in public


def next_working_day(day: date, country: str = DEFAULT_COUNTRY, subdiv: str | None = None) -> date:
    """Return ``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day, country, subdiv):
        day += timedelta(days=1)
    return day


def validate_pauses(received: date, pauses: Sequence[Pause]) -> tuple[Pause, ...]:
    """Check the pauses and return them sorted by start.

    A pause cannot start before receipt, cannot end before it starts and cannot overlap another
    one (one may start on the day the previous one ended). Only the last pause may be open.
    Raises ValueError with a one-line message otherwise.
    """
    ordered = tuple(sorted(pauses, key=lambda p: p.start))
    previous: Pause | None = None
    for pause in ordered:
        if pause.start < received:
            raise ValueError(f"pause starts {pause.start}, before the request was received")
        if pause.end is not None and pause.end < pause.start:
            raise ValueError(f"pause started {pause.start} cannot end earlier, on {pause.end}")
        if previous is not None:
            if previous.end is None:
                raise ValueError(
                    f"pause started {pause.start} overlaps the open pause started {previous.start}"
                )
            if pause.start < previous.end:
                raise ValueError(
                    f"pause started {pause.start} overlaps the pause "
                    f"{previous.start}..{previous.end}"
                )
        previous = pause
    return ordered


def paused_days(pauses: Sequence[Pause], as_of: date | None = None) -> int:
    """Total days the clock stood still; an open pause counts up to ``as_of``.

    Raises ValueError when a pause is open and ``as_of`` is not given (or precedes its start).
    """
    return sum(pause.days(as_of) for pause in pauses)


def raw_due_date(
    received: date,
    *,
    extended: bool = False,
    pauses: Sequence[Pause] = (),
    as_of: date | None = None,
) -> date | None:
    """The due day before weekend/holiday roll-over, or ``None`` while a pause is open.

    With ``as_of``, an open pause is treated as ending on ``as_of``.
    """
    ordered = validate_pauses(received, pauses)
    if as_of is None and any(pause.is_open for pause in ordered):
        return None
    months = PERIOD_MONTHS + (EXTENSION_MONTHS if extended else 0)
    return add_months(received, months) + timedelta(days=paused_days(ordered, as_of))


def due_date(
    received: date,
    *,
    extended: bool = False,
    pauses: Sequence[Pause] = (),
    country: str = DEFAULT_COUNTRY,
    subdiv: str | None = None,
    as_of: date | None = None,
) -> date | None:
    """The last day to answer a request received on ``received``.

    One month after receipt (three when ``extended``), pushed back by the paused days, then
    moved to the next working day of ``country``/``subdiv`` if it falls on a weekend or public
    holiday. Returns ``None`` while a pause is open, unless ``as_of`` is given: then the open
    pause is treated as ending on ``as_of`` ("what if the answer arrived on as_of").
    Raises ValueError for invalid pauses or an unknown country.
    """
    raw = raw_due_date(received, extended=extended, pauses=pauses, as_of=as_of)
    if raw is None:
        # Still validate the country so a misconfiguration surfaces early.
        is_working_day(received, country, subdiv)
        return None
    return next_working_day(raw, country, subdiv)


def extension_allowed(
    received: date,
    on: date,
    *,
    pauses: Sequence[Pause] = (),
    country: str = DEFAULT_COUNTRY,
    subdiv: str | None = None,
) -> bool:
    """Whether the two-month extension may still be decided (and notified) on ``on``.

    Art. 12(3) allows it only within the first month: ``on`` must not be later than the
    unextended, pause-adjusted, rolled-over due day. An open pause is treated as ending on
    ``on`` (the clock is stopped, so the first month has not run out during it).
    """
    if on < received:
        raise ValueError(f"extension decided {on}, before the request was received {received}")
    due = due_date(received, pauses=pauses, country=country, subdiv=subdiv, as_of=on)
    assert due is not None  # as_of is given, so an open pause is closed on `on`
    return on <= due


def days_left(due: date, today: date) -> int:
    """Days from ``today`` to ``due``: 0 on the due day, negative when overdue."""
    return (due - today).days


def status(
    received: date,
    *,
    today: date,
    extended: bool = False,
    pauses: Sequence[Pause] = (),
    country: str = DEFAULT_COUNTRY,
    subdiv: str | None = None,
) -> ClockStatus:
    """Summarise the clock on ``today``: due day, days left, overdue, open pause."""
    ordered = validate_pauses(received, pauses)
    open_pause = next((p for p in ordered if p.is_open), None)
    due = due_date(received, extended=extended, pauses=ordered, country=country, subdiv=subdiv)
    left = days_left(due, today) if due is not None else None
    stood_still = paused_days(ordered, as_of=max(today, open_pause.start) if open_pause else None)
    return ClockStatus(
        received=received,
        extended=extended,
        due=due,
        days_left=left,
        overdue=left is not None and left < 0,
        paused_since=open_pause.start if open_pause else None,
        paused_days=stood_still,
    )
