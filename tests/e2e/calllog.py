"""Which lines of the fixture's call log are the subject's, worked out from the fixture itself.

The fixture's ``scenarios.py`` lists every call placed (caller number, callee number) and its
README lists how the subject's two numbers are spelled in them. Each scenario's call is
logged as several CDR legs: the dialled legs (``out`` and ``callee`` contexts) carry the
numbers, the ``scenario`` leg (the Local channel that waits) carries none. This module ties
every line to its scenario through the channel names Asterisk wrote (``Local/N@scenario-…;2``
for the caller's leg, whose ``dstchannel`` names the callee's leg) and marks the dialled legs
of the subject's scenarios. It never normalises a number: the expectations do not come from
the code under test.
"""

from __future__ import annotations

import ast
import csv
import re
from dataclasses import dataclass
from pathlib import Path

#: The subject's numbers as the fixture's README says they are written in the calls.
MOBILE_SPELLINGS = frozenset(
    {"0477123456", "+32477123456", "32477123456", "0032477123456", "+32 477 12 34 56"}
)
LANDLINE_SPELLINGS = frozenset({"093771234", "+3293771234", "003293771234", "09/377.12.34"})

_CALLER_LEG = re.compile(r"^Local/(\d+)@scenario-[0-9a-f]+;2$")
_WAIT_LEG = re.compile(r"^Local/(\d+)@scenario-[0-9a-f]+;1$")


@dataclass(frozen=True)
class Line:
    number: int  # 1-based line number in the file
    raw: bytes  # the line as written, with its line ending
    scenario: int
    leg: str  # "caller", "callee" or "wait"


@dataclass(frozen=True)
class Scenario:
    id: int
    caller: str
    dst: str

    @property
    def mobile(self) -> bool:
        return self.caller in MOBILE_SPELLINGS or self.dst in MOBILE_SPELLINGS

    @property
    def landline(self) -> bool:
        return self.caller in LANDLINE_SPELLINGS or self.dst in LANDLINE_SPELLINGS


def scenarios(path: Path) -> dict[int, Scenario]:
    """``SCEN`` of the fixture's ``scenarios.py``, read as data (never executed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "SCEN" for t in node.targets
        ):
            rows = ast.literal_eval(node.value)
            return {r[0]: Scenario(r[0], r[1], r[3]) for r in rows}
    raise AssertionError(f"{path}: no SCEN list")


def lines(path: Path) -> list[Line]:
    """Every line of an Asterisk ``cdr_csv`` file with the scenario and leg it belongs to."""
    raw_lines = path.read_bytes().splitlines(keepends=True)
    rows = [next(csv.reader([r.decode("utf-8")])) for r in raw_lines]
    callee_of: dict[str, int] = {}  # callee leg channel -> scenario
    for row in rows:
        caller = _CALLER_LEG.match(row[5])
        if caller and row[6]:
            callee_of[row[6].removesuffix(";1") + ";2"] = int(caller.group(1))
    out = []
    for number, (raw, row) in enumerate(zip(raw_lines, rows, strict=True), start=1):
        if m := _CALLER_LEG.match(row[5]):
            out.append(Line(number, raw, int(m.group(1)), "caller"))
        elif m := _WAIT_LEG.match(row[5]):
            out.append(Line(number, raw, int(m.group(1)), "wait"))
        elif row[5] in callee_of:
            out.append(Line(number, raw, callee_of[row[5]], "callee"))
        else:
            raise AssertionError(f"{path.name} line {number}: cannot tell its scenario")
    return out


def subject_lines(path: Path, scen: dict[int, Scenario]) -> tuple[set[int], set[int]]:
    """Line numbers of the subject's calls in ``path``: (all of them, those on the landline)."""
    mine, landline = set(), set()
    for line in lines(path):
        s = scen[line.scenario]
        if line.leg == "wait" or not (s.mobile or s.landline):
            continue
        mine.add(line.number)
        if s.landline:
            landline.add(line.number)
    return mine, landline
