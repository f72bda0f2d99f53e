"""A phone number known twice: given with the request, and found by a system with its period.

Issue 10: ``dsr request new access --phone "0477 12 34 56"`` with a CRM that also returns that
number with its assignment period (``phone_period``) made the PBX task fail with
``TypeError: '<' not supported between instances of 'datetime.date' and 'NoneType'``.
"""

from __future__ import annotations

import json
import zipfile
from typing import Any

from tests.crm import sample as crm_sample
from tests.pbx.samples import asterisk_line, write_lines


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def _config(systems: dict[str, dict[str, Any]]) -> str:
    lines = ["[controller]", 'name = "Voxtra"']
    for name, table in systems.items():
        lines.append(f"[systems.{name}]")
        lines += [f"{key} = {_toml(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def _crm_table(url: str) -> dict[str, Any]:
    return {"type": "sql-crm", **crm_sample.config(url)}


def test_a_number_given_and_found_with_its_period_does_not_crash_the_pbx(dsr) -> None:
    url = f"sqlite:///{dsr.home / 'crm.sqlite3'}"
    crm_sample.build(url)  # Jan Peeters holds +32 477 12 34 56 from 2016-01-01, open-ended
    log = dsr.home / "Master.csv"
    write_lines(
        log,
        [
            asterisk_line("0477123456", "201", start="2015-06-01 10:00:00", uniqueid="before"),
            asterisk_line("0032477123456", "202", start="2024-03-01 10:00:00", uniqueid="during"),
            asterisk_line("0499887766", "201", start="2024-03-02 10:00:00", uniqueid="other"),
        ],
    )
    dsr.write_config(
        _config({"crm": _crm_table(url), "pbx": {"type": "asterisk-csv", "path": str(log)}})
    )
    dsr("init")
    rid = str(
        dsr.json("request", "new", "access", "--name", "Jan Peeters", "--phone", "0477 12 34 56")[
            "id"
        ]
    )
    dsr("request", "verify", rid, "--method", "eID at the desk")
    report = dsr.json("request", "run", rid)
    tasks = {t["system"]: t for t in report["tasks"]}
    assert tasks["crm"]["state"] == "done", tasks["crm"]
    assert tasks["pbx"]["state"] == "done", tasks["pbx"].get("error")
    shown = dsr.json("request", "show", rid)
    phones = [i for i in shown["subject"]["identities"] if i["value"] == "+32477123456"]
    # the number is known twice: open-ended from the request, from 2016 from the CRM
    assert {(p["valid_from"], p["valid_to"]) for p in phones} == {
        (None, None),
        ("2016-01-01", None),
    }
    # the request gave the number without a period, but the CRM knows it has been Jan's only
    # since 2016 (Subject.narrowed): the 2015 call was the number's previous holder's
    bundle = dsr.home / "bundle.zip"
    dsr("export", rid, "-o", str(bundle))
    with zipfile.ZipFile(bundle) as zf:
        calls = json.loads(zf.read("data/pbx/call.json"))
    assert [c.get("uniqueid") for c in calls] == ["during"], calls


def test_with_the_crm_down_the_pbx_does_not_erase_calls_by_the_open_number(dsr) -> None:
    """The CRM knows the number is Jan's since 2016; while it fails, the PBX cannot know that,
    and must not erase the 2015 call (the previous holder's) on the number given without a
    period. Once the CRM answers, the erasure takes only Jan's calls."""
    url = f"sqlite:///{dsr.home / 'crm.sqlite3'}"
    crm_sample.build(url)
    log = dsr.home / "Master.csv"
    write_lines(
        log,
        [
            asterisk_line("0477123456", "201", start="2015-06-01 10:00:00", uniqueid="before"),
            asterisk_line("0032477123456", "202", start="2024-03-01 10:00:00", uniqueid="during"),
        ],
    )
    original = log.read_bytes()
    pbx = {"type": "asterisk-csv", "path": str(log)}
    down = {**_crm_table(url), "url": f"sqlite:///{dsr.home / 'missing' / 'crm.sqlite3'}"}
    dsr.write_config(_config({"crm": down, "pbx": pbx}))
    dsr("init")
    rid = str(
        dsr.json("request", "new", "erasure", "--name", "Jan Peeters", "--phone", "0477123456")[
            "id"
        ]
    )
    dsr("request", "verify", rid, "--method", "eID at the desk")
    ran = dsr("request", "run", rid, "--json", ok=False)
    assert ran.exit_code == 4
    tasks = {t["system"]: t for t in ran.json["tasks"]}
    assert tasks["crm"]["state"] == "failed"
    assert tasks["pbx"]["state"] == "pending", tasks["pbx"]
    assert "crm failed while locating" in tasks["pbx"]["error"]
    assert log.read_bytes() == original, "nothing erased while the CRM could not say since when"

    dsr.write_config(_config({"crm": _crm_table(url), "pbx": pbx}))
    ran = dsr.json("request", "run", rid)
    tasks = {t["system"]: t for t in ran["tasks"]}
    assert tasks["pbx"]["state"] == "done", tasks["pbx"]
    kept = log.read_text()
    assert "before" in kept and "during" not in kept, kept
