"""Phone numbers as call logs write them: normalising, prefilter needles, textual forms.

Every comparison is on E.164 (``+32477123456``), obtained with the core's
:func:`dsr_core.identities.parse_phone` and the configured default region. The helpers here
make that fast and safe:

* :func:`normalise` caches ``parse_phone`` (phonenumbers is slow, and a call log repeats the
  same numbers endlessly);
* :func:`nsn` gives the *national significant number* (``477123456``). Every textual form that
  normalises to a number holds its NSN as consecutive digits once separators are removed
  (``0477 12 34 56``, ``0032477123456``, ``+32 (0)477 12 34 56``, ``09/377.12.34``...), which is
  what the fast file scanner searches for;
* :func:`textual_forms` lists the spellings an SQL column may hold, for index lookups;
* :func:`replace_number` rewrites every spelling of a number inside free text (channel names,
  dial strings) when a call is anonymised.

phonenumbers is imported lazily so that importing the plugin stays cheap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_NON_DIGITS = re.compile(r"\D+")
#: What may separate the digits of one number in free text (mirrors the core's parse_phone).
_SEPARATORS = r"[\s./\-()]*"


#: Numbers :func:`normalise` remembers: a few MB, whatever the size of the call log or the
#: number of the subject's calls (a subject's counterparts repeat; 200,000 held 40 MB).
NORMALISE_CACHE = 16_384


@functools.lru_cache(maxsize=NORMALISE_CACHE)
def normalise(raw: str, region: str) -> str | None:
    """E.164 for ``raw`` read with ``region`` as the default country, or None. Cached: a
    subject's calls repeat a few spellings of their numbers (parsing one costs ~20 µs)."""
    from dsr_core.identities import parse_phone

    return parse_phone(raw, region)


def digits(text: str) -> str:
    """Only the digits of ``text`` (``\\d``: Unicode decimal digits too)."""
    if text.isascii() and text.isdigit():  # most call-log numbers: nothing to remove
        return text
    return _NON_DIGITS.sub("", text)


@functools.lru_cache(maxsize=4096)
def nsn(e164: str) -> str:
    """The national significant number of an E.164 number (``+32477123456`` → ``477123456``)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return digits(e164)
    return phonenumbers.national_significant_number(number)


def textual_forms(e164: str, region: str) -> frozenset[str]:
    """The spellings of ``e164`` a PBX or a person may have stored in a column.

    Compact forms (``+32477123456``, ``0032477123456``, ``32477123456``, ``0477123456``,
    ``477123456``) and the grouped ones (``0477 12 34 56``, ``0477/12.34.56``,
    ``09/377.12.34``, ``+32 477 12 34 56``, ``+32 (0)477 12 34 56``...). National forms are
    only listed when the number belongs to ``region``: elsewhere they mean another number.
    Every form listed normalises back to ``e164``.
    """
    import phonenumbers

    fmt = phonenumbers.PhoneNumberFormat
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return frozenset({e164})
    cc = str(number.country_code)
    significant = phonenumbers.national_significant_number(number)
    forms = {e164, "00" + cc + significant, cc + significant}
    intl_groups = re.findall(r"\d+", phonenumbers.format_number(number, fmt.INTERNATIONAL))[1:]
    for prefix in ("+" + cc, "00" + cc, cc, "+" + cc + " (0)", "+" + cc + "(0)"):
        for sep in (" ", ".", "-"):
            forms.add(prefix + sep + sep.join(intl_groups))
        forms.add(prefix + " " + "".join(intl_groups))
    if phonenumbers.region_code_for_number(number) == region.upper():
        national = phonenumbers.format_number(number, fmt.NATIONAL)
        groups = re.findall(r"\d+", national)
        forms.add("".join(groups))
        forms.add(significant)
        for sep in (" ", ".", "/", "-"):
            forms.add(sep.join(groups))
        if len(groups) > 1:
            head, rest = groups[0], groups[1:]
            for first, others in (("/", "."), ("/", " "), (" ", "."), ("/", "")):
                forms.add(head + first + others.join(rest))
    # only spellings that really read as this number (a "(0)" means nothing in Italy...)
    return frozenset(f for f in forms if normalise(f, region) == e164)


def number_pattern(e164: str) -> re.Pattern[str]:
    """A regex finding any spelling of ``e164`` inside free text, digits bounded.

    Matches an optional ``+``/``00`` and country code, an optional trunk ``0``/``(0)``, then the
    NSN with optional separators between its digits. Used to scrub dial strings and channel
    names when a call is anonymised.
    """
    cc = e164[1 : len(e164) - len(nsn(e164))] if e164.startswith("+") else ""
    body = _SEPARATORS.join(re.escape(d) for d in nsn(e164))
    prefix = ""
    if cc:
        prefix = rf"(?:(?:\+|00)?{re.escape(cc)}{_SEPARATORS}(?:\(0\){_SEPARATORS})?)?"
    return re.compile(rf"(?<![0-9]){prefix}0?{_SEPARATORS}{body}(?![0-9])")


def replace_numbers(text: str, patterns: Iterable[tuple[re.Pattern[str], str]]) -> str:
    """``text`` with every match of each pattern replaced by its replacement."""
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    return text


_CLID_NUMBER = re.compile(r"<([^<>]*)>\s*$")


@functools.lru_cache(maxsize=4096)  # a log repeats the subject's few caller ids
def split_clid(clid: str) -> tuple[str, str]:
    """``"Jan Peeters" <0477123456>`` → (``Jan Peeters``, ``0477123456``).

    The number is what is in the last ``<...>``; the name what precedes it, without one pair
    of surrounding quotes (inner quotes are kept: Asterisk does not escape them). A bare value
    that looks like a number is taken as the number, anything else as the name.
    """
    text = clid.strip()
    match = _CLID_NUMBER.search(text)
    number = match.group(1).strip() if match else None
    name = text[: match.start()].strip() if match else text
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]
    name = name.replace('\\"', '"').strip()
    if number is None and name and not re.search(r"[A-Za-z]", name) and re.search(r"\d", name):
        return "", name
    return name, number or ""


def join_clid(name: str, number: str) -> str:
    """The Asterisk callerid form: ``"Name" <number>`` (an empty name stays ``""``)."""
    if not name and not number:
        return ""
    escaped = name.replace('"', '\\"')
    return f'"{escaped}" <{number}>' if number else f'"{escaped}"'
