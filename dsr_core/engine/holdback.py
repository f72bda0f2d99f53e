"""What a run (and its dry run) holds back while a system failed to locate.

A system that found nothing then was not searched with every identity: the failed one may
hold identities it needs. A system that found the subject by a number the request gave
without a period waits: the failed one (a CRM's number history) may know since when the
number is the subject's, and before that day its calls were someone else's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..model import Identity, IdentityKind


def by_open_number(keys: Iterable[Identity]) -> bool:
    """The keys hold a phone number given with the request without a period."""
    return any(
        k.kind == IdentityKind.PHONE
        and k.source == "request"
        and k.valid_from is None
        and k.valid_to is None
        for k in keys
    )


def not_searched_error(failed: Sequence[str]) -> str:
    pronoun = "it" if len(failed) == 1 else "they"
    return (
        f"not searched: {', '.join(failed)} failed first, and {pronoun} may hold identities "
        "this system needs"
    )


def waiting_error(failed: Sequence[str]) -> str:
    return (
        f"waiting: {', '.join(failed)} failed while locating; it may know since when the "
        "subject's number is theirs, so nothing is read or changed here until it is fixed and "
        "the request runs again"
    )
