"""Letters to the subject, written owner-only to ``<home>/letters/``.

Every letter (the answer to each kind of request, the Art. 18(3) notice before a restriction
is lifted, the refusal of Art. 12(4) and the extension notice of Art. 12(3)) is composed by
:mod:`dsr_core.answer.compose` in nl, en or fr and laid out by :mod:`dsr_core.answer.render`:
HTML with a print stylesheet, its plain-text twin, and PDF when ``dsr[pdf]`` is installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .answer import render as layout
from .answer.compose import Extras, Letter, RequestFacts, compose
from .config import ControllerConfig
from .model import RequestKind
from .store.models import RequestRow


@dataclass(frozen=True, slots=True)
class LetterFiles:
    """Where one letter was written: HTML, text, and PDF when it could be made."""

    html: Path
    text: Path
    pdf: Path | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"html": str(self.html), "text": str(self.text), "pdf": self.pdf and str(self.pdf)}


def request_facts(row: RequestRow) -> RequestFacts:
    return RequestFacts(
        id=row.id,
        kind=RequestKind(row.kind),
        subject_name=row.subject_name,
        received_on=row.received_on,
        due_on=row.due_on,
    )


def letter_for(
    name: str,
    row: RequestRow,
    controller: ControllerConfig,
    *,
    today: date,
    language: str | None = None,
    extras: Extras | None = None,
) -> Letter:
    """The letter ``name`` for ``row`` in ``language``, else the request's language (``dsr
    request new --language``), else the controller's."""
    return compose(
        name,
        request_facts(row),
        controller,
        today=today,
        language=language or row.language,
        extras=extras,
    )


class LetterText(str):
    """A letter's plain text that remembers its :class:`Letter`, so that :func:`write` can lay
    the same letter out as HTML (and PDF) beside the text."""

    letter: Letter

    def __new__(cls, letter: Letter) -> LetterText:
        made = super().__new__(cls, layout.text(letter))
        made.letter = letter
        return made


def render(
    letter: str,
    row: RequestRow,
    controller: ControllerConfig,
    *,
    reason: str,
    today: date,
    language: str | None = None,
) -> LetterText:
    """The plain text of ``letter`` (``refusal``, ``extension``...) for ``row``."""
    composed = letter_for(
        letter, row, controller, today=today, language=language, extras=Extras(reason=reason)
    )
    return LetterText(composed)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write(home: Path, row: RequestRow, letter: str, text: str) -> Path:
    """``request-ID-LETTER.txt``; for a :class:`LetterText`, also its ``.html`` (and
    ``.pdf``) twin. Returns the text file."""
    if isinstance(text, LetterText):
        return write_all(home, row.id, text.letter).text
    path = home / "letters" / f"request-{row.id}-{letter}.txt"
    _write_private(path, text.encode("utf-8"))
    return path


def write_all(home: Path, request_id: int, letter: Letter, *, pdf: bool = True) -> LetterFiles:
    """The letter as ``request-ID-NAME.html``, ``.txt`` and (with ``dsr[pdf]``) ``.pdf``."""
    base = home / "letters" / f"request-{request_id}-{letter.name}"
    html_path, text_path = base.with_suffix(".html"), base.with_suffix(".txt")
    _write_private(html_path, layout.html(letter).encode("utf-8"))
    _write_private(text_path, layout.text(letter).encode("utf-8"))
    pdf_path = None
    if pdf:
        data = layout.pdf(letter)
        if data is not None:
            pdf_path = base.with_suffix(".pdf")
            _write_private(pdf_path, data)
    return LetterFiles(html_path, text_path, pdf_path)
