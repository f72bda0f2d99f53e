"""Deciding whether a call is the subject's: numbers, validity periods, mapped extensions.

A call is the subject's when one of the numbers in its caller fields (src, the number in
clid, cnum) or callee fields (dst, did) normalises to one of the subject's phone numbers *and*
the call started within the period that number belonged to the subject; or when such a field
is exactly an internal extension the config maps to one of the subject's customer ids (within
the customer id's period and the extension's own, if the config gives one).

A number known several times (given with the request without a period, found by a CRM with
its assignment periods, found twice) matches a call when the call's day lies in the *union*
of those periods: an identity without a period covers every day.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from dsr_core.model import Identity, IdentityKind, Period

from .calls import Call
from .config import ExtensionGrant
from .numbers import digits, normalise, nsn, number_pattern, textual_forms

Scrub = tuple[re.Pattern[str], str]

#: Field values a matcher remembers the parse of (see :meth:`Matcher._candidates`).
MAX_REMEMBERED = 4096


@dataclass(frozen=True, slots=True)
class Owned:
    """One way a field can be the subject's: a number or an extension, with its period."""

    kind: str  # "phone" | "extension"
    value: str  # E.164 or the extension
    period: Period
    identity: Identity  # the identity to report from locate
    customer: Identity | None = None  # an extension's: the customer id it was mapped from

    def covers(self, day: date) -> bool:
        return self.period.covers(day)


@dataclass(frozen=True, slots=True)
class Match:
    """How a call is the subject's."""

    direction: str  # outgoing | incoming | internal
    number: str  # the subject's number (E.164) or extension on the call
    other: str  # the other party's number or extension as written (stripped)
    region: str  # for reading ``other`` when it has no country code
    fields: frozenset[str]  # the fields that hold the subject's number or extension
    owned: tuple[Owned, ...]  # what matched, for locate

    @property
    def counterpart(self) -> str:
        """The other party's number, E.164 when it parses (read only when shown: an erasure
        never needs it, and reading a number costs phone metadata)."""
        return display(self.other, self.region)


def _relabel(identity: Identity, system: str) -> Identity:
    if identity.source == system:
        return identity
    return dataclasses.replace(identity, source="request")


class Matcher:
    """The subject's numbers and extensions for one system, ready to test calls against."""

    def __init__(
        self,
        identities: Iterable[Identity],
        extensions: Mapping[str, tuple[ExtensionGrant, ...]],
        region: str,
        system: str,
    ) -> None:
        self.region = region
        self.system = system
        self.phones: dict[str, list[Owned]] = {}
        self.extensions: dict[str, list[Owned]] = {}
        self._customers: dict[str, Identity] = {}
        for ident in identities:
            if ident.kind == IdentityKind.PHONE:
                if ident.system is not None and ident.system != system:
                    continue
                e164 = normalise(ident.value, region)
                period = ident.period
                if e164 is None or period is None:
                    continue
                owned = Owned("phone", e164, period, _relabel(ident, system))
                self.phones.setdefault(e164, []).append(owned)
            elif ident.kind == IdentityKind.CUSTOMER_ID:
                for grant in extensions.get(ident.value, ()):
                    self._add_extension(ident, grant)
        self.nsns: tuple[str, ...] = tuple(sorted({nsn(e) for e in self.phones}))
        self._owners: dict[str, tuple[Owned, ...]] = {}

    def _add_extension(self, customer: Identity, grant: ExtensionGrant) -> None:
        held = customer.period
        granted = Period.of(grant.valid_from, grant.valid_to)
        period = held.intersection(granted) if held is not None and granted is not None else None
        if period is None:
            return
        ext_identity = Identity(
            IdentityKind.EXTENSION,
            grant.extension,
            period.start,
            period.end,
            system=self.system,
            source=self.system,
        )
        customer = _relabel(customer, self.system)
        owned = Owned("extension", grant.extension, period, ext_identity, customer)
        self.extensions.setdefault(grant.extension, []).append(owned)
        self._customers.setdefault(grant.extension, customer)

    def __bool__(self) -> bool:
        return bool(self.phones or self.extensions)

    @property
    def key(self) -> tuple[object, ...]:
        """Identifies what this matcher finds and reports (for caching scan results): every
        number and extension with its period and the identity it reports, in order."""
        return (self.region, _owned_key(self.phones), _owned_key(self.extensions))

    def customer_identity(self, extension: Owned | str) -> Identity | None:
        """The customer id a matched extension was mapped from (report it from ``locate``
        with the extension: access and erase match on what locate reported). Given the
        :class:`Owned` that matched, exactly its customer id: an extension mapped from the
        same customer id known twice (with and without a period) matched through one of them.
        """
        if isinstance(extension, Owned):
            return extension.customer
        return self._customers.get(extension)

    # -- per value --------------------------------------------------------------------------
    def owner(self, raw: str, day: date) -> Owned | None:
        """What of the subject's the field value ``raw`` is on ``day``, if anything."""
        candidates = self._owners.get(raw)
        if candidates is None:
            candidates = self._candidates(raw)
        for owned in candidates:
            period = owned.period  # Period.covers, inline: three calls per line
            if (period.start is None or day >= period.start) and (
                period.end is None or day <= period.end
            ):
                return owned
        return None

    def _candidates(self, raw: str) -> tuple[Owned, ...]:
        """What of the subject's the field value ``raw`` can be (on some day): its
        extensions first, then its number's. A value holding one of the subject's numbers'
        digits is remembered (parsing it costs ~20 µs, and a subject's calls repeat a few
        spellings of their numbers); other values (every counterpart's number) are not, so
        memory does not grow with the calls."""
        value = raw.strip()
        if not value:
            return ()
        found = tuple(self.extensions.get(value, ()))
        if not self.phones:
            return found
        only_digits = digits(value)
        if not any(n in only_digits for n in self.nsns):
            return found
        e164 = normalise(value, self.region)
        found += tuple(self.phones.get(e164 or "", ()))
        if len(self._owners) >= MAX_REMEMBERED:
            self._owners.clear()
        self._owners[raw] = found
        return found

    def display(self, raw: str) -> str:
        """A counterpart number as E.164 when it parses, else as written (an extension)."""
        return display(raw, self.region)

    # -- per call ---------------------------------------------------------------------------
    def match(self, call: Call) -> Match | None:
        day = call.day
        caller = [(f, self.owner(v, day)) for f, v in call.callers]
        callee = [(f, self.owner(v, day)) for f, v in call.callees]
        caller_hits = [(f, o) for f, o in caller if o is not None]
        callee_hits = [(f, o) for f, o in callee if o is not None]
        if not caller_hits and not callee_hits:
            return None
        if caller_hits and callee_hits:
            direction = "internal"
            number = caller_hits[0][1].value
            other = callee_hits[0][1].value
        elif caller_hits:
            direction = "outgoing"
            number = caller_hits[0][1].value
            other = _first(call.callees)
        else:
            direction = "incoming"
            number = callee_hits[0][1].value
            other = _first(call.callers)
        hits = caller_hits + callee_hits
        first = hits[0][1]
        if all(o is first for _, o in hits):  # the usual case: no hashing needed
            owned: tuple[Owned, ...] = (first,)
        else:
            owned = tuple(dict.fromkeys(o for _, o in hits))
        return Match(
            direction=direction,
            number=number,
            other=other,
            region=self.region,
            fields=frozenset(f for f, _ in hits),
            owned=owned,
        )

    # -- helpers for searching and scrubbing -------------------------------------------------
    def sql_values(self) -> list[str]:
        """Every spelling of the subject's numbers and extensions, for ``IN`` lookups."""
        values: set[str] = set(self.extensions)
        for e164 in self.phones:
            values |= textual_forms(e164, self.region)
        return sorted(values)


def display(raw: str, region: str) -> str:
    """A number as E.164 when it parses, else as written (an extension); "" for nothing."""
    value = raw.strip()
    return normalise(value, region) or value if value else ""


def _first(pairs: tuple[tuple[str, str], ...]) -> str:
    """The first non-empty value of ``pairs``, stripped."""
    for _, value in pairs:
        text = value.strip()
        if text:
            return text
    return ""


def _owned_key(owned: Mapping[str, list[Owned]]) -> tuple[object, ...]:
    return tuple(
        sorted(
            (o.value, o.period, o.identity.key, o.identity.source)
            for items in owned.values()
            for o in items
        )
    )


def scrub_patterns(match: Match, pseudonymise: Callable[[str], str]) -> list[Scrub]:
    """Regexes replacing, inside free text, each number or extension the call matched on."""
    patterns: list[Scrub] = []
    for owned in match.owned:
        if owned.kind == "phone":
            pattern = number_pattern(owned.value)
        else:
            pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(owned.value)}(?![0-9A-Za-z])")
        patterns.append((pattern, pseudonymise(owned.value)))
    return patterns
