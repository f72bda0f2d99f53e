"""Errors a user can cause. The CLI prints their message as one line and exits non-zero."""

from __future__ import annotations

from collections.abc import Iterable


class UserError(Exception):
    """Bad input, missing config, an unknown request, an illegal step: one line, exit 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class NotFound(UserError):
    """An id that names nothing."""


class IllegalTransition(UserError):
    """A request cannot move from its state to the one asked."""


class StoreUnavailable(UserError):
    """The database cannot be reached or opened."""

    exit_code = 3


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to a mistyped ``word``, or ``""``."""
    import difflib

    hint = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""
