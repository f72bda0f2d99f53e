"""Finding a subject among Odoo partners: broad search domains, then an exact confirmation.

Odoo stores e-mail addresses and phone numbers as typed (``"Jan Peeters" <Jan@X.be>``,
``0477 12 34 56``, ``+32 477/12.34.56``), so an exact ``=`` search misses. The search is broad:

- e-mail: ``email ilike <address>``;
- phone: ``phone ilike 7%7%1%2%3%4%5%6`` (Odoo wraps an ``ilike`` value in ``%...%`` and
  keeps the ``%`` inside as wildcards: the last eight digits in order, anything between them)
  or ``phone ilike 77123456`` (the same digits written together), on ``phone`` and ``mobile``
  (where the database still has that field);

and every candidate is confirmed by normalising what Odoo holds with the same rules as the
request (:func:`dsr_core.identities.normalise_email` / :func:`parse_phone`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dsr_core.identities import InvalidIdentity, normalise_email, parse_phone

#: How many trailing digits of a number the broad search uses.
PHONE_TAIL = 8

_LIST_SPLIT = re.compile(r"[,;]")
_ANGLE = re.compile(r"<([^<>]+)>")


def emails_in(value: Any) -> set[str]:
    """Every valid, normalised address in an Odoo ``email`` value ("a@x.be, B <b@y.be>")."""
    if not isinstance(value, str) or not value.strip():
        return set()
    found: set[str] = set()
    for part in _LIST_SPLIT.split(value):
        angle = _ANGLE.search(part)
        candidates = [angle.group(1)] if angle else part.split()
        for candidate in candidates:
            candidate = candidate.strip().strip("\"'")
            if "@" not in candidate:
                continue
            try:
                found.add(normalise_email(candidate))
            except InvalidIdentity:
                continue
    return found


def phone_of(value: Any, region: str) -> str | None:
    """E.164 of an Odoo phone value, or None."""
    if not isinstance(value, str):
        return None
    return parse_phone(value, region)


def phone_tail(e164: str) -> str:
    """The number's last digits: ``+32477123456`` → ``77123456``."""
    return re.sub(r"\D", "", e164)[-PHONE_TAIL:]


def phone_pattern(e164: str) -> str:
    """An ``ilike`` value matching the number's last digits however they were typed."""
    return "%".join(phone_tail(e164))


def any_of(leaves: Iterable[Any]) -> list[Any]:
    """An Odoo domain that is the OR of ``leaves`` (prefix notation); [] when there are none."""
    terms = list(leaves)
    if not terms:
        return []
    return ["|"] * (len(terms) - 1) + terms


def search_leaves(
    emails: Iterable[str], phones: Iterable[str], phone_fields: Iterable[str]
) -> list[Any]:
    """The broad leaves for the subject's addresses and numbers."""
    leaves: list[Any] = [["email", "ilike", email] for email in sorted(emails)]
    fields = list(phone_fields)
    for number in sorted(phones):
        for value in (phone_pattern(number), phone_tail(number)):
            leaves.extend([name, "ilike", value] for name in fields)
    return leaves


def confirms(
    partner: Mapping[str, Any],
    emails: set[str],
    phones: set[str],
    phone_fields: Iterable[str],
    region: str,
) -> bool:
    """True when the partner really holds one of the subject's addresses or numbers."""
    if emails & emails_in(partner.get("email")):
        return True
    return any(phone_of(partner.get(name), region) in phones for name in phone_fields)


def identities_of(
    partner: Mapping[str, Any], phone_fields: Iterable[str], region: str
) -> Iterator[tuple[str, str]]:
    """``("email", address)`` and ``("phone", e164)`` pairs the partner holds."""
    for email in sorted(emails_in(partner.get("email"))):
        yield "email", email
    for name in phone_fields:
        number = phone_of(partner.get(name), region)
        if number:
            yield "phone", number
