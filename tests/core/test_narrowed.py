"""A number the subject gives without a period, which a system knows was theirs only from a
day on (a recycled landline), must not match what belonged to the previous holder."""

from __future__ import annotations

from datetime import date

from dsr_core.model import Identity, IdentityKind, Subject

PHONE = IdentityKind.PHONE
LANDLINE = "+3293771234"


def _subject(*idents: Identity) -> Subject:
    return Subject("Jan Peeters", idents)


def test_the_systems_period_replaces_the_open_number_given_with_the_request() -> None:
    given = Identity(PHONE, LANDLINE)
    known = Identity(PHONE, LANDLINE, date(2026, 12, 1), None, source="crm")
    mobile = Identity(PHONE, "+32477123456")
    narrowed = _subject(given, known, mobile).narrowed()
    assert given not in narrowed.identities
    assert known in narrowed.identities and mobile in narrowed.identities
    days = [i.period for i in narrowed.identities if i.value == LANDLINE]
    assert all(p is not None and not p.covers(date(2026, 11, 30)) for p in days)
    assert any(p is not None and p.covers(date(2026, 12, 2)) for p in days)


def test_a_number_no_system_bounds_stays_as_given() -> None:
    given = Identity(PHONE, LANDLINE)
    subject = _subject(given, Identity(IdentityKind.EMAIL, "jan@example.be", source="crm"))
    assert subject.narrowed() == subject


def test_a_system_that_also_knows_the_number_without_a_period_keeps_it_open() -> None:
    given = Identity(PHONE, LANDLINE)
    bounded = Identity(PHONE, LANDLINE, date(2026, 12, 1), None, source="crm")
    open_too = Identity(PHONE, LANDLINE, source="billing")
    assert given in _subject(given, bounded, open_too).narrowed().identities


def test_a_period_given_with_the_request_is_kept() -> None:
    given = Identity(PHONE, LANDLINE, date(2020, 1, 1), date(2020, 12, 31))
    known = Identity(PHONE, LANDLINE, date(2026, 12, 1), None, source="crm")
    assert given in _subject(given, known).narrowed().identities
