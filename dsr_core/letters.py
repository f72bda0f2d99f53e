"""Letters to the subject: the refusal (Art. 12(4)) and the extension notice (Art. 12(3)).

Rendered from the templates in ``templates/letters`` in the controller's language (nl or en)
and written owner-only to ``<home>/letters/``.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from .config import ControllerConfig
from .model import RequestKind
from .store.models import RequestRow

KIND_WORDS = {
    "nl": {
        RequestKind.ACCESS: "om inzage in uw persoonsgegevens",
        RequestKind.PORTABILITY: "om uw persoonsgegevens over te dragen",
        RequestKind.ERASURE: "om uw persoonsgegevens te wissen",
        RequestKind.RECTIFICATION: "om uw persoonsgegevens te verbeteren",
        RequestKind.RESTRICTION: "om de verwerking van uw persoonsgegevens te beperken",
        RequestKind.OBJECTION: "waarmee u bezwaar maakt tegen direct marketing",
    },
    "en": {
        RequestKind.ACCESS: "for access to your personal data",
        RequestKind.PORTABILITY: "to receive your personal data in a portable form",
        RequestKind.ERASURE: "to erase your personal data",
        RequestKind.RECTIFICATION: "to rectify your personal data",
        RequestKind.RESTRICTION: "to restrict the processing of your personal data",
        RequestKind.OBJECTION: "objecting to direct marketing",
    },
}

_env = Environment(
    loader=PackageLoader("dsr_core", "templates/letters"),
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(
    letter: str,
    row: RequestRow,
    controller: ControllerConfig,
    *,
    reason: str,
    today: date,
    language: str | None = None,
) -> str:
    lang = language or controller.language
    kind = RequestKind(row.kind)
    return _env.get_template(f"{letter}.{lang}.txt.j2").render(
        controller=controller,
        request=row,
        reason=reason,
        today=today.isoformat(),
        due=row.due_on.isoformat() if row.due_on else "",
        article=kind.article,
        kind_nl=KIND_WORDS["nl"][kind],
        kind_en=KIND_WORDS["en"][kind],
    )


def write(home: Path, row: RequestRow, letter: str, text: str) -> Path:
    folder = home / "letters"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"request-{row.id}-{letter}.txt"
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path
