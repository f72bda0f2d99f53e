"""Values as people write them, by field kind (:data:`dsr_core.fields.KINDS`), for the report.

The report's tables read their cells from the preview spools, where every value is already
its CSV text (:func:`.values.csv_text`: ISO 8601 dates, ``true``/``false``, numbers as Python
writes them). Each kind turns such a text into what the subject reads in the report's
language: ``19 januari 2025, 10:05``, ``6 min 2 s``, ``€ 77,86`` / ``€77.86``, ``ja``/``oui``.
A text that does not parse as its kind is shown as it is. The JSON and CSV files are never
changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..answer.words import date_words

_NBSP = "\u00a0"
_BOOLEANS = {
    "nl": ("ja", "nee"),
    "en": ("yes", "no"),
    "fr": ("oui", "non"),
}
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_HOURS = {"nl": "u", "en": "h", "fr": "h"}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
_CENT = Decimal("0.01")

#: A formatter: the CSV text of a value -> what the report shows.
Formatter = Callable[[str], str]


def colon(language: str) -> str:
    """``:`` after a label; French puts a (no-break) space before it."""
    return "\u00a0:" if language == "fr" else ":"


def date_text(language: str, value: date) -> str:
    """``19 januari 2025`` / ``19 January 2025`` / ``19 janvier 2025`` (``1er`` in French)."""
    return date_words(language, value)


def datetime_text(language: str, value: datetime) -> str:
    """``19 januari 2025, 10:05``: the local time the value was written in."""
    return f"{date_words(language, value)}, {value:%H:%M}"


def _datetime(language: str, text: str) -> str:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) <= 10:  # a date alone
        return date_text(language, value)
    return datetime_text(language, value)


def _date(language: str, text: str) -> str:
    try:
        return date_text(language, datetime.fromisoformat(text))
    except ValueError:
        return text


def duration_text(language: str, seconds: int) -> str:
    """``6 min 2 s``; ``1 u 2 min`` (nl) / ``1 h 2 min``; ``0 s``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}{_NBSP}{_HOURS[language]}")
    if minutes:
        parts.append(f"{minutes}{_NBSP}min")
    if secs or not parts:
        parts.append(f"{secs}{_NBSP}s")
    return " ".join(parts)


def _duration(language: str, text: str) -> str:
    try:
        seconds = float(text)
    except ValueError:
        return text
    if seconds != seconds or seconds < 0 or seconds > 10**9:  # NaN, negative, absurd
        return text
    return duration_text(language, round(seconds))


def _grouped(value: Decimal, decimals: int, point: str, group: str) -> str:
    text = f"{abs(value):,.{decimals}f}"  # 1,234.56
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", group)
    return whole + (point + fraction if fraction else "")


def amount_text(language: str, value: Decimal, currency: str = "EUR") -> str:
    """``€ 77,86`` (nl), ``€ 77,86`` (fr), ``€77.86`` (en); ``-`` before a negative amount."""
    value = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    symbol = _SYMBOLS.get(currency.upper(), currency.upper())
    sign = "-" if value < 0 else ""
    if language == "en":
        spaced = "" if symbol in _SYMBOLS.values() else _NBSP
        return f"{sign}{symbol}{spaced}{_grouped(value, 2, '.', ',')}"
    group = "." if language == "nl" else _NBSP
    return f"{symbol}{_NBSP}{sign}{_grouped(value, 2, ',', group)}"


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def number_text(language: str, value: Decimal) -> str:
    """A number with the language's decimal sign (``3,5`` in nl and fr)."""
    text = format(value.normalize(), "f") if value != value.to_integral() else str(int(value))
    return text if language == "en" else text.replace(".", ",")


def _boolean(language: str, text: str) -> str:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return _BOOLEANS[language][0]
    if lowered in _FALSE:
        return _BOOLEANS[language][1]
    return text


def formatter(kind: str, language: str, currency: str = "EUR") -> Formatter | None:
    """How the report shows a value of ``kind`` (``None``: as it is)."""
    if kind == "datetime":
        return lambda text: _datetime(language, text) if text else text
    if kind == "date":
        return lambda text: _date(language, text) if text else text
    if kind == "duration":
        return lambda text: _duration(language, text) if text else text
    if kind == "boolean":
        return lambda text: _boolean(language, text)
    if kind in ("amount", "number"):

        def number(text: str) -> str:
            value = _decimal(text) if text else None
            if value is None:
                return text
            if kind == "amount":
                return amount_text(language, value, currency)
            return number_text(language, value)

        return number
    return None
