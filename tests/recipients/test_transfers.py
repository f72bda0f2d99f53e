"""Transfers outside the EEA (Art. 15(2), Chapter V): a supplier or a standing recipient in a
third country needs its safeguard; staff are warned and asked, or refused in one line."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dsr_core.recipients.terms import EEA, in_eea

ADD = ("suppliers", "add", "CloudCo Inc.", "--role", "processor", "--email", "dpo@cloudco.example")


def _one_line_error(result: Any) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("dsr: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[-1]


def test_the_eea_is_the_eu_27_and_iceland_liechtenstein_norway() -> None:
    assert len(EEA - {"EL"}) == 30  # Greece as ISO "GR" and as the EU's "EL"
    assert all(in_eea(code) for code in ("BE", "nl", " fr ", "EL", "GR", "IS", "LI", "NO"))
    assert not any(in_eea(code) for code in ("CH", "GB", "US", "", None))


def test_a_supplier_outside_the_eea_without_safeguard_is_refused_without_a_terminal(
    dsr: Any,
) -> None:
    dsr("init")
    line = _one_line_error(dsr(*ADD, "--country", "us", ok=False))
    assert "US is outside the EEA" in line and "--safeguard" in line
    warning = dsr(*ADD, "--country", "US", ok=False).stderr.splitlines()[0]
    assert warning.startswith("dsr: warning: US is outside the EEA")
    assert dsr.json("suppliers", "list") == [], "nothing half-added"


def test_a_supplier_outside_the_eea_keeps_its_safeguard(dsr: Any) -> None:
    dsr("init")
    added = dsr(*ADD, "--country", "US", "--safeguard", " SCC ")
    assert "country: US (outside the EEA; safeguard: scc)" in added.stdout
    (data,) = dsr.json("suppliers", "list")
    assert (data["country"], data["safeguard"]) == ("US", "scc")
    assert "outside the EEA; safeguard: scc" in dsr("suppliers", "show", "CloudCo").stdout

    # an EEA supplier moving to a third country needs a safeguard too
    dsr("suppliers", "add", "Snel", "--role", "transport", "--email", "dpo@snel.example",
        "--country", "BE")  # fmt: skip
    line = _one_line_error(dsr("suppliers", "edit", "Snel", "--country", "CH", ok=False))
    assert "CH is outside the EEA" in line
    assert dsr.json("suppliers", "show", "Snel")["country"] == "BE"
    changed = dsr.json("suppliers", "edit", "Snel", "--country", "CH", "--safeguard", "adequacy")
    assert changed["changed"] == ["country", "safeguard"]
    # a supplier with a safeguard may move between third countries without repeating it
    assert dsr.json("suppliers", "edit", "CloudCo", "--country", "CA")["changed"] == ["country"]
    # and clearing the safeguard of a third-country supplier is refused
    line = _one_line_error(dsr("suppliers", "edit", "CloudCo", "--safeguard", " ", ok=False))
    assert "CA is outside the EEA" in line


def test_staff_at_a_terminal_are_asked_for_the_safeguard(dsr: Any) -> None:
    """A real pseudo-terminal, so that ``dsr`` sees a TTY on standard input as staff do."""
    dsr("init")
    env = {**os.environ, **dsr.env}
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dsr_core", *ADD, "--country", "JP"],
        stdin=child,
        stdout=subprocess.PIPE,
        stderr=child,
        env=env,
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Safeguard for transfers to JP" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if ready:
            seen += os.read(main, 1024)
    assert b"JP is outside the EEA" in seen
    os.write(main, b"adequacy\n")
    out, _ = proc.communicate(timeout=60)
    os.close(main)
    assert proc.returncode == 0, seen.decode(errors="replace")
    assert "safeguard: adequacy" in out.decode()
    assert dsr.json("suppliers", "show", "CloudCo")["safeguard"] == "adequacy"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('name = "CloudCo"\nrole = "processor"\ncountry = "US"', "recipients 'CloudCo': US is "
         "outside the EEA: give its safeguard"),
        ('name = "Claes"\nrole = "accountant"\ncountry = "BE"', "recipients 'Claes': role must "
         "be one of processor, recipient, joint_controller"),
        ('name = "Claes"\nrole = "processor"', "recipients 'Claes': 'country' is required"),
        ('name = "Claes"\nrole = "processor"\ncountry = "Belgium"', "recipients 'Claes': a "
         "country is a two-letter ISO code"),
        ('role = "processor"\ncountry = "BE"', "recipients #1: 'name' is required"),
        ('name = "Claes"\nrole = "processor"\ncountry = "BE"\npurpos = "x"', "recipients "
         "'Claes': unknown key 'purpos'"),
    ],
)  # fmt: skip
def test_a_bad_standing_recipient_is_a_one_line_error(dsr: Any, table: str, message: str) -> None:
    path = dsr.write_config(f'[controller]\nname = "Voxtra"\n\n[[recipients]]\n{table}\n')
    line = _one_line_error(dsr("request", "list", ok=False))
    assert line.startswith(f"dsr: error: {path}: ") and message in line, line


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{ de = "Keine" }', "controller.automated_decisions.de: the languages are nl, en, fr"),
        ('{ nl = "" }', "controller.automated_decisions.nl must be a non-empty text"),
        ("3", "controller.automated_decisions must be a text, or a table of texts"),
    ],
)
def test_a_bad_automated_decisions_statement_is_a_one_line_error(
    dsr: Any, value: str, message: str
) -> None:
    dsr.write_config(f'[controller]\nname = "Voxtra"\nautomated_decisions = {value}\n')
    assert message in _one_line_error(dsr("request", "list", ok=False))


def test_good_standing_recipients_load(dsr: Any, tmp_path: Path) -> None:
    dsr.write_config(
        '[controller]\nname = "Voxtra"\nautomated_decisions = "Geen."\n\n'
        '[[recipients]]\nname = "  Claes   Boekhouding "\nrole = "processor"\ncountry = "be"\n'
        'purpose = "Boekhouding"\n\n'
        '[[recipients]]\nname = "CloudCo"\nrole = "joint controller"\ncountry = "US"\n'
        'safeguard = "Data Privacy Framework"\naliases = ["CloudCo Inc."]\n'
    )
    from dsr_core.config import load_config

    config = load_config(str(dsr.home / "dsr.toml"))
    claes, cloud = config.recipients
    assert (claes.name, claes.country, claes.safeguard) == ("Claes Boekhouding", "BE", None)
    assert (cloud.role, cloud.safeguard, cloud.aliases) == (
        "joint_controller",
        "Data Privacy Framework",
        ("CloudCo Inc.",),
    )
    assert config.controller.automated_decisions == {"*": "Geen."}
    assert dsr.json("request", "list") == []  # the CLI loads it too
