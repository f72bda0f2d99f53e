"""Values as people write them, by field kind (:data:`dsr_core.fields.KINDS`), for the report.

The report's tables read their cells from the preview spools, where every value is already
its CSV text (:func:`.values.csv_text`: ISO 8601 dates, ``true``/``false``, numbers as Python
writes them). Each kind turns such a text into what the subject reads in the report's
language: ``19 januari 2025, 10:05``, ``6 min 2 s``, ``€ 77,86`` / ``€77.86``, ``ja``/``oui``.
A text that does not parse as its kind is shown as it is. The JSON and CSV files are never
changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..answer.words import date_words
from ..fields import field_label

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


def _nested(language: str, text: str) -> str:
    """A nested value (JSON text in the files) as a plain list: ``klant, vip``,
    ``street: Kerkstraat 1, city: Gent``."""
    if text[:1] not in "[{":
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{field_label(None, '', k, language)}{colon(language)} {_plain(v)}"
            for k, v in value.items()
        )
    return text


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def formatter(
    kind: str,
    language: str,
    currency: str = "EUR",
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> Formatter | None:
    """How the report shows a value of ``kind`` (``None``: as it is). ``values`` gives known
    values their words per language."""
    if values:
        words = {raw: texts[language] for raw, texts in values.items() if texts.get(language)}
        inner = formatter(kind, language, currency)
        if inner is None:
            return lambda text: words.get(text, text)
        return lambda text: words[text] if text in words else inner(text)
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
    if kind in ("text", "recipient", "third_party"):
        return lambda text: _nested(language, text)
    return None
