"""Renders a notice's subject line and plain-text body in the supplier's language."""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from .message import Controller, Language, Notice
from .texts import REGULATION, identity_label, long_date

TEMPLATES = Path(__file__).with_name("templates")

#: Body lines longer than this are wrapped (lists keep their indentation); values never break.
WIDTH = 76


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # text/plain, never HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _context(
    notice: Notice, supplier_name: str, controller: Controller, lang: Language
) -> dict[str, Any]:
    return {
        "supplier_name": supplier_name,
        "controller": controller,
        "address_lines": [ln.strip() for ln in (controller.address or "").splitlines() if ln],
        "notice_id": notice.notice_id,
        "kind": str(notice.kind),
        "article": notice.article,
        "regulation": REGULATION[lang],
        "identities": [(identity_label(k, lang), v) for k, v in notice.identities],
        "changes": [(identity_label(k, lang), v) for k, v in notice.changes.items()],
        "confirm_by": long_date(notice.confirm_by, lang),
    }


def _wrap(text: str, width: int = WIDTH) -> str:
    """Wraps long lines; a ``  - item`` line continues under its text."""
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        hanging = indent + "  " if body.startswith("- ") else indent
        out.append(
            textwrap.fill(
                body,
                width=width,
                initial_indent=indent,
                subsequent_indent=hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(out) + "\n"


def render_notice(
    notice: Notice, supplier_name: str, controller: Controller, language: Language | str
) -> tuple[str, str]:
    """``(subject, body)`` of the e-mail notice in ``language`` ("nl", "en" or "fr")."""
    lang = Language(language)
    env = _environment()
    context = _context(notice, supplier_name, controller, lang)
    subject = env.get_template(f"{lang}.subject.j2").render(context)
    subject = " ".join(subject.split())
    body = env.get_template(f"{lang}.body.j2").render(context)
    return subject, _wrap(body)
