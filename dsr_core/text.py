"""Staff's free text and names, cleaned and bounded before anything stores or shows them.

A 100,000-character name broke `dsr request list`; bidi overrides made staff read another name
than the one stored. Every name, identity and free text (methods, reasons, notes) passes here.
Light on purpose: the CLI's option callbacks use it before any database module loads.
"""

from __future__ import annotations

import unicodedata

from .errors import UserError

#: Longest subject name, identity and staff free text (method, reason, note) accepted.
MAX_NAME = 200
MAX_IDENTITY = 320
MAX_TEXT = 2000
#: Bidirectional embeddings, overrides and isolates (and the marks): they reorder what staff
#: read on a terminal or in a letter, so they are dropped from names and free text.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: str) -> str:
    """The start of ``text`` for an error message (never the whole of a huge value)."""
    return repr(text[:40] + ("..." if len(text) > 40 else ""))


def clean_text(text: str, what: str, *, limit: int = MAX_TEXT, multiline: bool = True) -> str:
    """Staff's free text (or a name) without control or bidi-override characters, trimmed;
    longer than ``limit`` characters is refused in one line naming ``what``.

    With ``multiline`` new lines and tabs stay (a note); else every run of white space
    becomes one space (a name)."""
    kept = []
    for ch in text:
        if ch in _BIDI:
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in "\t\n\r":
            if ch in "\u2028\u2029\x0b\x0c\x85":
                kept.append("\n" if multiline else " ")
            elif ch in "\u200c\u200d":  # zero-width (non-)joiners: emoji, Persian, Indic
                kept.append(ch)
            continue
        kept.append(ch)
    cleaned = "".join(kept)
    if multiline:
        lines = [
            line.rstrip() for line in cleaned.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        ]
        cleaned = "\n".join(lines).strip()
    else:
        cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        raise UserError(
            f"{what} is {len(cleaned)} characters long: at most {limit} are accepted "
            f"(it starts {shown(cleaned)})"
        )
    return cleaned


def clean_optional(text: str | None, what: str, *, limit: int = MAX_TEXT) -> str | None:
    """:func:`clean_text` for an optional text: None or empty stays None."""
    if text is None:
        return None
    return clean_text(text, what, limit=limit) or None
