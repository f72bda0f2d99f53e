"""What staff type for one request, and what they get to look at afterwards.

:func:`carry_out` records a request with ``dsr request new``, verifies it, runs it, confirms
the manual tasks (a call log is not rectified by dsr: staff do what the instructions say and
``dsr tasks done`` it), and reads
back ``dsr request show --json``, the bundle ``dsr export`` writes, the notices
(``dsr notices show --json`` and the ``.eml`` files of the outbox) and the CRM before and after,
into a :class:`Done` the tests assert on.
"""

from __future__ import annotations

import email
import email.policy
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import installation
from .conftest import Site

Row = dict[str, Any]
Tables = dict[str, list[Row]]

#: How each CRM table's rows are told apart in a dump (its primary key).
ROW_KEYS = {
    "customers": ("id",),
    "contacts": ("id",),
    "invoices": ("id",),
    "number_history": ("number", "valid_from"),
}


@dataclass
class Done:
    """One request carried out, as staff see it."""

    kind: str
    id: str
    run: dict[str, Any]
    show: dict[str, Any]
    bundle: dict[str, Any]  # name -> parsed JSON of every .json file in the export
    crm_before: Tables
    crm_after: Tables
    notices: dict[str, dict[str, Any]] = field(default_factory=dict)  # supplier -> notice
    mails: dict[str, str] = field(default_factory=dict)  # supplier -> the .eml's text body

    def task(self, system: str) -> dict[str, Any]:
        tasks = {t["system"]: t for t in self.show["tasks"]}
        assert system in tasks, f"no {system} task in {sorted(tasks)}: {self.explain()}"
        return tasks[system]

    def records(self, system: str, category: str) -> list[Row]:
        return list(self.bundle.get(f"data/{system}/{category}.json", []))

    def outcomes(self, system: str) -> list[Row]:
        return list(self.bundle.get(f"data/{system}/outcomes.json", []))

    def explain(self) -> str:
        """The run's refusal or the tasks' states and errors: for assertion messages."""
        if "refused" in self.run:
            return f"`dsr request run {self.id}` refused: {self.run['refused']}"
        return "; ".join(
            f"{t['system']}: {t['state']}" + (f" ({t['error']})" if t.get("error") else "")
            for t in self.show["tasks"]
        )


def record(site: Site, kind: str, name: str, *identity_args: str, received: str) -> str:
    """``dsr request new`` and ``dsr request verify``: the request id."""
    dsr = site.dsr
    new = dsr.json("request", "new", kind, "--name", name, *identity_args, "--received", received)
    rid = str(new["id"])
    dsr("request", "verify", rid, "--method", "eID read at the desk")
    return rid


def carry_out(site: Site, kind: str, name: str, *identity_args: str, received: str) -> Done:
    before = installation.dump(site.inst.crm_url)
    rid = record(site, kind, name, *identity_args, received=received)
    return finish(site, kind, rid, before)


def finish(site: Site, kind: str, rid: str, before: Tables) -> Done:
    """``dsr request run``, then staff confirm the manual tasks; what they see afterwards."""
    ran = run(site, rid)
    for task in ran.get("tasks", []):
        if task["state"] == "manual":  # staff follow the system's instructions, then say so
            site.dsr("tasks", "done", str(task["id"]), "--note", "done as the instructions say")
    return look(site, kind, rid, ran, before)


def run(site: Site, rid: str) -> dict[str, Any]:
    """``dsr request run --json``. Its document is kept whatever the exit code (a failed system
    exits non-zero too); a refusal without one (bad config...) is kept as ``{"refused": text}``
    so that each test reports it instead of erroring in a fixture."""
    result = site.dsr("request", "run", rid, "--json", ok=False)
    try:
        data = json.loads(result.stdout)
    except ValueError:
        data = None
    if isinstance(data, dict) and "tasks" in data:
        return data
    return {"refused": (result.stderr or result.stdout).strip()}


def look(site: Site, kind: str, rid: str, run: dict[str, Any], before: Tables) -> Done:
    """Everything staff can read about request ``rid`` now."""
    dsr = site.dsr
    show = dsr.json("request", "show", rid)
    bundle_path = site.inst.folder / "exports" / f"request-{rid}-{len(show['tasks'])}.zip"
    bundle_path.parent.mkdir(exist_ok=True)
    bundle_path.unlink(missing_ok=True)
    exported = dsr("export", rid, "-o", str(bundle_path), "--json", ok=False)
    if exported.exit_code != 0:  # a system failed: the bundle of what the others did
        exported = dsr("export", rid, "-o", str(bundle_path), "--partial", "--json", ok=False)
    bundle = read_bundle(Path(exported.json["path"])) if exported.exit_code == 0 else {}
    done = Done(kind, rid, run, show, bundle, before, installation.dump(site.inst.crm_url))
    for notice in show.get("notices", []):
        detail = dsr.json("notices", "show", notice["notice_id"])
        done.notices[notice["supplier"]] = detail
        eml = site.inst.outbox / f"{notice['notice_id']}.eml"
        if eml.exists():
            done.mails[notice["supplier"]] = mail_text(eml)
    return done


def read_bundle(path: Path) -> dict[str, Any]:
    """Every ``.json`` file of a bundle, parsed, and ``report.html`` as text."""
    with zipfile.ZipFile(path) as zf:
        out: dict[str, Any] = {
            n: json.loads(zf.read(n)) for n in zf.namelist() if n.endswith(".json")
        }
        if "report.html" in zf.namelist():
            out["report.html"] = zf.read("report.html").decode("utf-8")
        return out


def mail_text(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, f"{path.name}: no text/plain part"
    return str(body.get_content())


def known_by(mail: str) -> list[str]:
    """The lines under "You know this person by:" in an English notice."""
    lines = mail.splitlines()
    assert "You know this person by:" in lines, f"no identities block in:\n{mail}"
    out = []
    for line in lines[lines.index("You know this person by:") + 1 :]:
        if not line.strip():
            break
        out.append(line.strip().removeprefix("- "))
    return out


# -- comparing database dumps -----------------------------------------------------------------


def keyed(tables: Tables) -> dict[tuple[str, tuple[Any, ...]], Row]:
    return {
        (table, tuple(row[k] for k in ROW_KEYS[table])): row
        for table, rows in tables.items()
        for row in rows
    }


def changes(before: Tables, after: Tables) -> dict[tuple[str, tuple[Any, ...]], Any]:
    """Per row that differs: ``"deleted"``, ``"added"`` or ``{column: (old, new)}``."""
    old, new = keyed(before), keyed(after)
    out: dict[tuple[str, tuple[Any, ...]], Any] = {}
    for key in old.keys() | new.keys():
        if key not in new:
            out[key] = "deleted"
        elif key not in old:
            out[key] = "added"
        else:
            cells = {
                c: (old[key][c], new[key][c]) for c in old[key] if old[key][c] != new[key].get(c)
            }
            if cells:
                out[key] = cells
    return out
