"""Reading the techdossier types' config tables: typed values, one-line errors naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dsr_core.retry import RetryPolicy
from dsr_core.systems import ConfigError

#: The retry keys both HTTP-backed types share.
RETRY_KEYS: Mapping[str, str] = {
    "request_timeout": "seconds one HTTP request may take (default 30)",
    "max_attempts": "attempts per request on timeouts, 429 and 5xx (default 4)",
    "backoff": "first wait between attempts in seconds, doubling with jitter (default 0.5)",
    "backoff_max": "longest wait between attempts in seconds (default 10)",
}


class Reader:
    """Typed access to one ``[systems.NAME]`` table."""

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.config = config

    def fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"systems.{self.name}: {key!r} must be {what}")

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.config.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a non-empty string")
        return value.strip()

    def names(self, key: str) -> tuple[str, ...]:
        """A string or a list of strings (absent: empty)."""
        value = self.config.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "a name or a list of names")
        return tuple(v.strip() for v in value)

    def number(self, key: str, default: float, *, minimum: float) -> float:
        value = self.config.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(key, f"a number of at least {minimum}")
        return float(value)

    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=int(self.number("max_attempts", 4, minimum=1)),
            backoff=self.number("backoff", 0.5, minimum=0),
            backoff_max=self.number("backoff_max", 10.0, minimum=0),
            timeout=self.number("request_timeout", 30.0, minimum=0.001),
        )
