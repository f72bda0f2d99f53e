"""For plugins: retrying one exchange with a remote API (Odoo, Hudu, ...).

Exponential backoff with jitter and bounded attempts. Only
:class:`~dsr_core.systems.TransientError` is retried (a timeout, a lost connection, a 5xx or a
429, honouring the server's ``retry_after`` hint); anything else (a 4xx, an XML-RPC fault) goes
straight back to the caller. When the attempts run out the last TransientError is raised, and
the engine may retry the whole task later; with ``final=True`` it is raised as
:class:`RetriesExhausted` instead, a PermanentError, so that no outer loop (the engine's
``retries``) multiplies the attempts: one retry policy per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .logging import get_logger
from .systems import PermanentError, TransientError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry. ``backoff`` is the first wait in seconds."""

    attempts: int = 4
    backoff: float = 0.5
    backoff_max: float = 10.0
    timeout: float = 30.0

    def run(self, call: Callable[[], T], what: str, *, final: bool = False) -> T:
        """Run ``call``; retry it on TransientError. ``what`` names it in logs (no data).

        ``final``: this policy is the only one for the step; when it runs out, raise
        :class:`RetriesExhausted` (not retried again by the engine)."""
        from tenacity import (
            RetryCallState,
            Retrying,
            retry_if_exception_type,
            stop_after_attempt,
            wait_random_exponential,
        )

        jitter = wait_random_exponential(multiplier=self.backoff, max=self.backoff_max)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hint = getattr(exc, "retry_after", None)
            if isinstance(hint, int | float):
                return float(min(max(hint, 0.0), self.backoff_max))
            return float(jitter(state))

        def before_sleep(state: RetryCallState) -> None:
            exc: Any = state.outcome.exception() if state.outcome else None
            get_logger(__name__).info(
                "retrying",
                call=what,
                attempt=state.attempt_number,
                of=self.attempts,
                reason=getattr(exc, "reason", type(exc).__name__),
            )

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.attempts)),
            wait=wait,
            retry=retry_if_exception_type(TransientError),
            before_sleep=before_sleep,
            reraise=True,
        )
        if not final:
            return retrying(call)
        try:
            return retrying(call)
        except TransientError as exc:
            attempts = max(1, self.attempts)
            raise RetriesExhausted(
                f"{exc} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})",
                reason=getattr(exc, "reason", type(exc).__name__),
                attempts=attempts,
            ) from None


class RetriesExhausted(PermanentError):
    """A call still failed transiently after every attempt of its (final) policy."""

    def __init__(self, message: str, *, reason: str, attempts: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.attempts = attempts


class RetryableError(TransientError):
    """A transient failure with a short, data-free ``reason`` and an optional server hint."""

    def __init__(self, message: str, *, reason: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form, else None."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None
