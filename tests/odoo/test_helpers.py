"""Retention periods and the e-mail/phone helpers."""

from __future__ import annotations

from datetime import date

import pytest

from dsr_plugins.crm.odoo_match import any_of, emails_in, phone_pattern
from dsr_plugins.crm.odoo_retention import Period, odoo_date


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("10 years", date(2024, 3, 5), date(2034, 3, 5)),
        ("1 year", date(2024, 2, 29), date(2025, 2, 28)),
        ("6 months", date(2024, 8, 31), date(2025, 2, 28)),
        ("18 Months", date(2024, 1, 15), date(2025, 7, 15)),
        ("90 days", date(2024, 1, 1), date(2024, 3, 31)),
        ("2 weeks", date(2024, 1, 1), date(2024, 1, 15)),
    ],
)
def test_periods(text: str, start: date, end: date) -> None:
    assert Period.parse(text).after(start) == end


@pytest.mark.parametrize("text", ["", "ten years", "10", "10 decades", "-1 year"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_odoo_dates() -> None:
    assert odoo_date("2024-03-01 10:00:00") == date(2024, 3, 1)
    assert odoo_date("2024-03-01") == date(2024, 3, 1)
    assert odoo_date(False) is None and odoo_date("junk-value") is None


def test_emails_in_odoo_values() -> None:
    value = '"Jan P." <Jan@X.be>, piet@y.be; Not an address'
    assert emails_in(value) == {"jan@x.be", "piet@y.be"}
    assert emails_in(False) == set() and emails_in("") == set()


def test_phone_pattern_and_domains() -> None:
    assert phone_pattern("+32477123456") == "7%7%1%2%3%4%5%6"
    assert any_of([]) == []
    assert any_of([["a", "=", 1]]) == [["a", "=", 1]]
    assert any_of([["a", "=", 1], ["b", "=", 2], ["c", "=", 3]]) == [
        "|",
        "|",
        ["a", "=", 1],
        ["b", "=", 2],
        ["c", "=", 3],
    ]
