"""Small conversions between database values, identities and what records and outcomes carry."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def plain(value: Any) -> Any:
    """A JSON-friendly copy: dates/times as ISO strings, Decimals as strings, bytes as hex."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def as_date(value: Any) -> date | None:
    """A date from a DATE, DATETIME or ISO text value; None when there is none."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def normalise_vat(raw: str, country: str = "BE") -> str | None:
    """``BE0123456789`` from ``BE 0123.456.789`` or ``0123.456.789`` (country added)."""
    text = _NOT_ALNUM.sub("", raw).upper()
    if len(text) < 4:
        return None
    if text[0].isdigit():
        text = country.upper() + text
    return text


def same_flag(current: Any, wanted: Any) -> bool:
    """Whether a flag column already holds ``wanted`` (MariaDB booleans read back as 0/1)."""
    if isinstance(wanted, bool):
        if current is None:
            return not wanted  # an unset flag is not set
        return bool(current) == wanted
    return bool(current == wanted)


def to_column_type(col: sa.Column[Any], value: Any) -> Any:
    """``value`` as the column's Python type, parsing text where needed."""
    kind = col.type
    if isinstance(kind, sa.Boolean):
        if isinstance(value, str):
            text = value.strip().lower()
            if text not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return text in ("true", "1", "yes")
        return bool(value)
    if isinstance(kind, sa.DateTime):
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        return datetime.fromisoformat(str(value))
    if isinstance(kind, sa.Date):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value))
    if isinstance(kind, sa.Integer):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    if isinstance(kind, sa.Numeric):
        return Decimal(str(value))
    if isinstance(kind, sa.String):
        return str(value)
    return value
