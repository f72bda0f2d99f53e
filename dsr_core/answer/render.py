"""A :class:`~dsr_core.answer.compose.Letter` laid out as HTML (A4 print stylesheet: nothing
wider than the page, long words wrapped), as plain text (the same words, one line per
paragraph, for the e-mail body) and, when ``dsr[pdf]`` (WeasyPrint) is installed, as PDF.
"""

from __future__ import annotations

import logging
from functools import cache

import jinja2

from .compose import Letter

WIDTH = 78  # the underline of a heading, at most


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dsr_core", "templates/letters"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html(letter: Letter) -> str:
    return _env().get_template("letter.html.j2").render(letter=letter)


def _wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
    """One line per paragraph (mail clients and editors wrap them to their own width); the
    continuation lines of a multi-line reason indented like its first."""
    lines = text.splitlines() or [""]
    head = indent if first is None else first
    return [head + lines[0], *(indent + line for line in lines[1:])]


def text(letter: Letter) -> str:
    out: list[str] = [letter.sender, *letter.sender_lines]
    if letter.sender_email:
        out.append(letter.sender_email)
    out.append("")
    if letter.addressee or letter.addressee_lines:
        out += (
            [letter.addressee, *letter.addressee_lines, ""]
            if letter.addressee
            else [
                *letter.addressee_lines,
                "",
            ]
        )
    out += [letter.dated, "", *_wrap(letter.reference), "", letter.salutation, ""]
    for block in letter.blocks:
        if block.heading:
            out += [block.heading, "-" * min(len(block.heading), WIDTH), ""]
        elif block.items:
            for item in block.items:
                out += _wrap(item, indent="  ", first="- ")
            out.append("")
        elif block.quote:
            out += [*_wrap(block.text, indent="    "), ""]
        else:
            out += [*_wrap(block.text), ""]
    out += _wrap(letter.closing)
    out += ["", letter.signature, ""]
    return "\n".join(out)


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there, Pango is not
        return False
    return True


def pdf(letter: Letter) -> bytes | None:
    """The letter as PDF (WeasyPrint, from the same HTML), or None without ``dsr[pdf]``."""
    if not pdf_available():
        return None
    import weasyprint

    # WeasyPrint logs what it ignores of the CSS (the screen-only rules, for one) as warnings:
    # news for a developer, noise in staff's console and in --json output
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        data: bytes = weasyprint.HTML(string=html(letter)).write_pdf()
    finally:
        logger.setLevel(level)
    return data
