"""Sample call-log lines, written the way the PBXs write them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from dsr_core.model import Identity, IdentityKind, Subject

JAN = "+32477123456"  # the subject's mobile
JAN_OFFICE = "+3293771234"  # the subject's landline (09/377.12.34)
OTHER = "+32499887766"


def q(value: str) -> str:
    """A field quoted the cdr_csv way (inner quotes doubled)."""
    return '"' + value.replace('"', '""') + '"'


def asterisk_line(
    src: str = "0499887766",
    dst: str = "201",
    *,
    clid: str | None = None,
    start: str = "2024-03-01 10:00:00",
    answer: str = "2024-03-01 10:00:05",
    end: str = "2024-03-01 10:03:00",
    duration: int = 175,
    billsec: int = 170,
    disposition: str = "ANSWERED",
    accountcode: str = "",
    columns: int = 18,
    uniqueid: str = "1709287200.1",
    quote_ints: bool = False,
    lastdata: str | None = None,
    name: str = "Some Caller",
    userfield: str = "",
    extra: str = "uniqueid",
    sequence: int = 1,
) -> str:
    """One Master.csv line (without its newline) with 16 to 21 columns, laid out as cdr_csv
    (cdr_csv.c, build_csv_record) writes them: the base 16, then uniqueid (loguniqueid),
    userfield (loguserfield), then peeraccount, linkedid, sequence (newcdrcolumns). For 17
    and 20 columns ``extra`` says which of uniqueid and userfield is there."""
    clid = clid if clid is not None else f'"{name}" <{src}>'
    ints = [str(duration), str(billsec)]
    if quote_ints:
        ints = [q(i) for i in ints]
    fields = [
        q(accountcode),
        q(src),
        q(dst),
        q("from-internal"),
        q(clid),
        q("SIP/trunk-0000001"),
        q(f"SIP/{dst}-0000002"),
        q("Dial"),
        q(lastdata if lastdata is not None else f"SIP/{dst},30,tT"),
        q(start),
        q(answer),
        q(end),
        *ints,
        q(disposition),
        q("DOCUMENTATION"),
    ]
    with_uniqueid = columns in (18, 21) or (columns in (17, 20) and extra == "uniqueid")
    with_userfield = columns in (18, 21) or (columns in (17, 20) and extra == "userfield")
    if with_uniqueid:
        fields.append(q(uniqueid))
    if with_userfield:
        fields.append(q(userfield))
    if columns >= 19:
        fields += [q(""), q(uniqueid), str(sequence)]
    assert len(fields) == columns, columns
    return ",".join(fields)


def freeswitch_line(
    caller: str = "0499887766",
    destination: str = "201",
    *,
    name: str = "Some Caller",
    start: str = "2024-03-01 10:00:00",
    answer: str = "2024-03-01 10:00:05",
    end: str = "2024-03-01 10:03:00",
    duration: int = 175,
    billsec: int = 170,
    cause: str = "NORMAL_CLEARING",
    uuid: str = "a1b2c3d4-0000-4000-8000-000000000001",
    accountcode: str = "",
) -> str:
    """One line of mod_cdr_csv's default (example) template."""
    values = [
        name,
        caller,
        destination,
        "default",
        start,
        answer,
        end,
        str(duration),
        str(billsec),
        cause,
        uuid,
        "",
        accountcode,
        "PCMA",
        "PCMA",
    ]
    return ",".join(q(v) for v in values)


def write_lines(
    path: Path, lines: Iterable[str], *, newline: str = "\n", final: bool = True
) -> Path:
    """Write a call log owner-only (it holds personal data)."""
    text = newline.join(lines) + (newline if final else "")
    path.write_bytes(text.encode())
    os.chmod(path, 0o600)
    return path


def phone(value: str, valid_from=None, valid_to=None, source: str = "request") -> Identity:
    return Identity(IdentityKind.PHONE, value, valid_from, valid_to, source=source)


def subject(*identities: Identity, name: str = "Jan Peeters") -> Subject:
    return Subject(name, tuple(identities))


JAN_SUBJECT = subject(phone(JAN))
STRANGER = subject(phone("+32470000001"), name="Nobody")
