"""Parsing and normalising what identifies a subject: e-mail addresses and phone numbers.

Phone numbers become E.164 (``+32477123456``) with Belgium as the default region, so that
``0477 12 34 56``, ``0032 477 12 34 56``, ``32477123456`` and ``09/377.12.34`` all compare equal.
"""

from __future__ import annotations

import re


class InvalidIdentity(ValueError):  # noqa: N818 - reads better at the call site
    """An identity that cannot be used; the message names it."""


_PHONE_JUNK = re.compile(r"[\s./\-()]")


def normalise_email(raw: str) -> str:
    """A syntactically valid address, domain lower-cased and IDNA-normalised; local part as is
    except that it is lower-cased too (every mail system our controllers use is
    case-insensitive, and matching must not miss ``Jan.Peeters@`` for ``jan.peeters@``)."""
    from email_validator import EmailNotValidError, validate_email  # slow to import: lazily

    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidIdentity(f"invalid e-mail address {raw!r}: {exc}") from None
    return result.normalized.lower()


def parse_phone(raw: str, region: str = "BE") -> str | None:
    """E.164 for a plausible number, or None. Never raises.

    Accepts the forms a Belgian PBX or CRM holds: national (``0477 12 34 56``, ``09/377.12.34``),
    international with ``00`` or ``+``, and international without either (``32477123456``).
    """
    import phonenumbers  # its metadata is slow to import: only when a number is parsed

    text = raw.strip()
    if not text:
        return None
    compact = _PHONE_JUNK.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    candidates = [compact]
    if compact.isdigit() and not compact.startswith("0"):
        candidates.append("+" + compact)  # 32477123456: international without a prefix
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def normalise_phone(raw: str, region: str = "BE") -> str:
    """Like :func:`parse_phone` but refuses what is not a valid number, naming it."""
    number = parse_phone(raw, region)
    if number is None:
        raise InvalidIdentity(f"invalid phone number {raw!r}")
    return number
