"""Retention periods written as text ("10 years", "18 months", "90 days") and date arithmetic.

A period added to 29 February lands on 28 February when the target year has no 29th; a month
period added to the 31st lands on the last day of the target month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

_PERIOD = re.compile(r"^\s*(\d+)\s*(year|month|day|week)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Period:
    """A number of years, months, weeks or days."""

    amount: int
    unit: str  # "year" | "month" | "week" | "day"

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"10 years"`` → Period(10, "year"). Raises ValueError naming the accepted forms."""
        match = _PERIOD.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a period such as '10 years', '6 months', '90 days'")
        return cls(int(match.group(1)), match.group(2).lower())

    def after(self, day: date) -> date:
        """The day ``self`` after ``day``."""
        if self.unit == "day":
            return day + timedelta(days=self.amount)
        if self.unit == "week":
            return day + timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "year" else 1)
        index = day.month - 1 + months
        year, month = day.year + index // 12, index % 12 + 1
        last = calendar.monthrange(year, month)[1]
        return date(year, month, min(day.day, last))

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


def odoo_date(value: Any) -> date | None:
    """A date from Odoo's ``"2024-03-01"`` or ``"2024-03-01 10:00:00"``; None for False/junk."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
