"""Reading and checking the config keys the PBX system types share.

Every error is a :class:`~dsr_core.systems.ConfigError` of one line naming ``systems.NAME`` and
the key, raised while the system is constructed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dsr_core.systems import ConfigError, SystemContext

#: Keys every PBX system type accepts, with their one-line description.
COMMON_KEYS: dict[str, str] = {
    "timezone": (
        '"local" (the controller\'s timezone, default), "UTC", or an IANA zone name: the zone '
        "the PBX wrote call times in"
    ),
    "keep_calls_for": (
        'billing retention of a call, counted from its start: "12 months", "90 days", "2 years"'
        "; calls younger than that are kept on erasure (default: none kept)"
    ),
    "retention_basis": "the legal basis reported for kept calls",
    "after_retention": '"delete" (default) or "anonymise": what erasure does to older calls',
    "extensions": (
        "customer id → list of internal extensions (strings, or tables with extension, "
        "from, to) that count as that customer's"
    ),
    "country": "default region for numbers written without a country code (default: the "
    "controller's country)",
    "third_parties": (
        'what the subject\'s copy shows of the other party on a call (Art. 15(4) GDPR): "mask" '
        '(default: the number without its last four digits, no name), "full" or "omit"'
    ),
}

#: The basis reported for kept calls, in each language the subject reads (a
#: ``retention_basis`` from the config is reported as staff wrote it).
DEFAULT_BASIS: Mapping[str, str] = {
    "nl": "Art. 17, lid 3, punt b, AVG: verkeersgegevens bewaard voor de facturatie en de "
    "termijn om die te betwisten (art. 122, § 2, wet van 13 juni 2005 betreffende de "
    "elektronische communicatie)",
    "en": "Art. 17(3)(b) GDPR: traffic data kept for billing and its dispute period "
    "(Art. 122 §2 Belgian Electronic Communications Act)",
    "fr": "Art. 17, paragraphe 3, point b, du RGPD\u00a0: données de trafic conservées pour la "
    "facturation et le délai de contestation (art. 122, § 2, de la loi du 13 juin 2005 "
    "relative aux communications électroniques)",
}

_DURATION = re.compile(r"^\s*(\d+)\s*(day|days|week|weeks|month|months|year|years)\s*$", re.I)
_ISO_DURATION = re.compile(r"^\s*P(\d+)([DWMY])\s*$", re.I)
_ISO_UNITS = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}


@dataclass(frozen=True, slots=True)
class Retention:
    """How long a call is kept for billing, and what happens after."""

    amount: int = 0
    unit: str = "days"  # days | months
    basis: str | Mapping[str, str] = field(default_factory=lambda: DEFAULT_BASIS)
    anonymise: bool = False

    @property
    def keeps(self) -> bool:
        return self.amount > 0

    def until(self, day: date) -> date:
        """The last day a call made on ``day`` is kept (it may go the day after): ``day``
        plus the retention, a month ending early when the day does not exist (31 Jan + 1
        month = 28/29 Feb)."""
        if self.unit == "days":
            return day + timedelta(days=self.amount)
        month0 = day.month - 1 + self.amount
        year, month = day.year + month0 // 12, month0 % 12 + 1
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class ExtensionGrant:
    """An extension the config gives a customer, optionally for a period (both inclusive)."""

    extension: str
    valid_from: date | None = None
    valid_to: date | None = None


class ConfigReader:
    """Typed access to one ``[systems.NAME]`` table, raising one-line ConfigErrors."""

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        self.name = name
        self.config = config
        self.context = context

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"systems.{self.name}: {key} {message}")

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.config.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value.strip()

    def boolean(self, key: str, default: bool) -> bool:
        value = self.config.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def choice(self, key: str, choices: Mapping[str, str], default: str) -> str:
        value = self.config.get(key, default)
        if not isinstance(value, str) or value.strip().lower() not in choices:
            shown = ", ".join(f'"{c}"' for c in sorted(set(choices.values())))
            raise self.error(key, f"must be one of {shown}")
        return choices[value.strip().lower()]

    def processes(self) -> int | None:
        """``scan_processes``: how many processes may scan a big file at once (None: one per
        core, see :mod:`.scanpool`; 1: this process only)."""
        value = self.config.get("scan_processes")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error("scan_processes", "must be a whole number of at least 1")
        return value

    def third_parties(self) -> str:
        """The Art. 15(4) rule for the other party's number and name (:mod:`.thirdparty`)."""
        from .thirdparty import DEFAULT_RULE, RULES

        return self.choice("third_parties", {r: r for r in RULES}, DEFAULT_RULE)

    def timezone(self) -> ZoneInfo:
        value = self.config.get("timezone", "local")
        if not isinstance(value, str) or not value.strip():
            raise self.error("timezone", 'must be "local", "UTC" or an IANA zone name')
        if value.strip().lower() == "local":
            return self.context.timezone
        if value.strip().upper() in ("UTC", "GMT"):
            return ZoneInfo("UTC")
        try:
            return ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error("timezone", f"names no known timezone: {value!r}") from None

    def region(self) -> str:
        import phonenumbers

        value = self.config.get("country", self.context.country)
        if not isinstance(value, str) or value.strip().upper() not in (
            phonenumbers.SUPPORTED_REGIONS
        ):
            raise self.error("country", 'must be a two-letter region code such as "BE"')
        return value.strip().upper()

    def retention(self) -> Retention:
        after = self.choice(
            "after_retention",
            {"delete": "delete", "anonymise": "anonymise", "anonymize": "anonymise"},
            "delete",
        )
        basis = self.string("retention_basis") or DEFAULT_BASIS
        raw = self.config.get("keep_calls_for")
        if raw is None:
            return Retention(basis=basis, anonymise=after == "anonymise")
        match = _DURATION.match(raw) if isinstance(raw, str) else None
        iso = _ISO_DURATION.match(raw) if isinstance(raw, str) else None
        if match is None and iso is not None:  # ISO 8601: P12M, P90D, P2Y, P6W
            match = _DURATION.match(f"{iso.group(1)} {_ISO_UNITS[iso.group(2).upper()]}")
        if match is None:
            raise self.error(
                "keep_calls_for", f'must read like "12 months", "90 days" or "2 years", not {raw!r}'
            )
        amount, unit = int(match.group(1)), match.group(2).lower().rstrip("s")
        if unit == "week":
            amount, unit = amount * 7, "day"
        elif unit == "year":
            amount, unit = amount * 12, "month"
        return Retention(amount, unit + "s", basis, after == "anonymise")

    def extensions(self) -> dict[str, tuple[ExtensionGrant, ...]]:
        raw = self.config.get("extensions", {})
        if not isinstance(raw, Mapping):
            raise self.error("extensions", "must be a table: customer id = [extensions]")
        result: dict[str, tuple[ExtensionGrant, ...]] = {}
        for customer, entries in raw.items():
            if not isinstance(entries, list):
                raise self.error(f"extensions.{customer}", "must be a list of extensions")
            grants = [self._grant(f"extensions.{customer}", entry) for entry in entries]
            result[str(customer)] = tuple(grants)
        return result

    def _grant(self, key: str, entry: Any) -> ExtensionGrant:
        if isinstance(entry, int) and not isinstance(entry, bool):
            entry = str(entry)
        if isinstance(entry, str):
            if not entry.strip():
                raise self.error(key, "holds an empty extension")
            return ExtensionGrant(entry.strip())
        if isinstance(entry, Mapping):
            unknown = sorted(set(entry) - {"extension", "from", "to"})
            if unknown or "extension" not in entry:
                raise self.error(key, "entries are strings or {extension, from, to} tables")
            ext = entry["extension"]
            if isinstance(ext, int) and not isinstance(ext, bool):
                ext = str(ext)
            if not isinstance(ext, str) or not ext.strip():
                raise self.error(key, "holds an empty extension")
            return ExtensionGrant(
                ext.strip(), self._day(key, entry.get("from")), self._day(key, entry.get("to"))
            )
        raise self.error(key, "entries are strings or {extension, from, to} tables")

    def _day(self, key: str, value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(key, f"has a date that is not YYYY-MM-DD: {value!r}")
