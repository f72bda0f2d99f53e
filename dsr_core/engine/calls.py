"""Calling a system safely: retries on transient errors, and a watchdog for hangs.

A step runs in a daemon thread. It reports progress (every record counts), and the watchdog
fails it when nothing has happened for the system's ``timeout`` seconds: a hanging system is
abandoned (its thread can no longer write anything, see :class:`Progress`), the others go on.
Transient errors (:class:`TransientError`, timeouts, lost connections) are retried with
exponential backoff and jitter; anything else fails at once.
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import tenacity

from ..errors import UserError
from ..systems import ConfigError, ManualStep, PermanentError, TransientError

T = TypeVar("T")


class Cancelled(Exception):  # noqa: N818 - a signal
    """The watchdog gave up on this step; its thread must stop writing."""


class Progress:
    def __init__(self) -> None:
        self.last = time.monotonic()
        self.cancelled = threading.Event()

    def tick(self) -> None:
        self.last = time.monotonic()
        if self.cancelled.is_set():
            raise Cancelled()

    def idle_for(self) -> float:
        return time.monotonic() - self.last


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, PermanentError | Cancelled):
        return False
    return isinstance(exc, TransientError | TimeoutError | ConnectionError)


def with_retries(
    fn: Callable[[], T],
    *,
    retries: int,
    progress: Progress,
    wait_initial: float = 0.5,
    wait_max: float = 30.0,
) -> T:
    """``fn()``, tried again up to ``retries`` times while it fails transiently."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retries + 1),
        wait=tenacity.wait_exponential_jitter(
            multiplier=wait_initial, max=wait_max, jitter=wait_initial
        ),
        retry=tenacity.retry_if_exception(is_transient),
        before_sleep=lambda _state: progress.tick(),
        reraise=True,
    )
    return retrying(fn)


def describe_error(exc: BaseException) -> str:
    """One line for staff: the system's own message, with the error's kind when it helps."""
    text = " ".join(str(exc).split())
    if isinstance(exc, TransientError | PermanentError | UserError | ConfigError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def is_internal(exc: BaseException) -> bool:
    """A bug (in a plugin or the core), not a system's own error: no error class of the
    System contract, nothing a user caused, no lost connection or timeout."""
    known = (TransientError, PermanentError, ManualStep, ConfigError, UserError)
    return not isinstance(exc, known + (TimeoutError, ConnectionError, Cancelled))


def report_internal(log: Any, exc: BaseException, system: str, identities: Iterable[str]) -> str:
    """Log a bug with its traceback (identifiers hashed) under a short event id, and return
    the line staff see: ``internal error in SYSTEM: TypeError (log event 3f9a12c0)``."""
    from ..logging import scrub_text

    event = secrets.token_hex(4)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("internal error", log_event=event, error_type=type(exc).__name__)
    log.info(
        "internal error traceback",
        log_event=event,
        error_type=type(exc).__name__,
        traceback=scrub_text(text, identities),
    )
    return f"internal error in {system}: {type(exc).__name__} (log event {event})"
