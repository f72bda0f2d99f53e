"""Plugin discovery, the hooks (each documented and exercised here), the scaffold."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dsr_core import hookspecs
from tests.engine.helpers import config, new_verified, write_store

ROOT = Path(__file__).parents[2]
HOOKS = sorted(
    n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("dsr_")
)

OBSERVER = '''
import json, os
from dsr_core import hookimpl

def _log(event, **data):
    with open(os.environ["OBSERVER_LOG"], "a") as fh:
        fh.write(json.dumps({"event": event, **data}) + "\\n")

@hookimpl
def dsr_request_created(request):
    _log("created", id=request.id, kind=request.kind.value)

@hookimpl
def dsr_task_finished(request, task):
    _log("task", id=request.id, system=task.system, state=task.state.value)

@hookimpl
def dsr_request_completed(request):
    _log("completed", id=request.id)

@hookimpl
def dsr_request_blockers(request):
    if os.path.exists(os.environ["OBSERVER_LOG"] + ".block"):
        return ["supplier Proximus has not confirmed"]
    return []

@hookimpl
def dsr_register_commands(cli):
    import click

    @cli.command("hello")
    def hello():
        """Say hello from a plugin."""
        click.echo("hello from a plugin")
'''


def test_every_hook_is_documented_with_its_signature_and_tested():
    docs = (ROOT / "docs" / "plugins.md").read_text()
    tests = Path(__file__).read_text()
    for name in HOOKS:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### `{name}({params})" in docs, f"{name} is not documented in docs/plugins.md"
        assert re.search(rf"def test_hook_{name}\b", tests), f"{name} has no test_hook_ test"


@pytest.fixture
def observed(dsr, tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "observer.py").write_text(OBSERVER)
    log = tmp_path / "observer.log"
    dsr.env["OBSERVER_LOG"] = str(log)
    monkeypatch.setenv("OBSERVER_LOG", str(log))
    write_store(
        dsr.home / "crm.json",
        [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}}],
    )
    text = config({"crm": {"type": "test-store", "path": "crm.json"}})
    dsr.write_config(text)
    dsr("init")
    dsr.plugins = plugins
    return log


def _events(log: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_hook_dsr_register_systems(dsr):
    write_store(dsr.home / "crm.json", [])
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    listed = {p["name"]: p for p in dsr.json("plugins", "list")}
    assert listed["testsys"]["system_types"] == ["test-store"]
    assert listed["testsys"]["error"] is None
    assert dsr.json("systems", "list")[0]["kinds"] == [
        "access",
        "erasure",
        "objection",
        "portability",
    ]


def test_hook_dsr_register_commands(dsr, observed):
    out = dsr("--plugins-dir", str(dsr.plugins), "hello")
    assert out.stdout.strip() == "hello from a plugin"
    assert "hello" in dsr("--plugins-dir", str(dsr.plugins), "--help").stdout


def test_hook_dsr_request_created(dsr, observed):
    dsr(
        "--plugins-dir",
        str(dsr.plugins),
        "request",
        "new",
        "access",
        "--name",
        "J",
        "--email",
        "jan@example.be",
    )
    assert _events(observed) == [{"event": "created", "id": 1, "kind": "access"}]


def test_hook_dsr_task_finished(dsr, observed):
    rid = new_verified(dsr)
    dsr("--plugins-dir", str(dsr.plugins), "request", "run", rid)
    assert {"event": "task", "id": 1, "system": "crm", "state": "done"} in _events(observed)


def test_hook_dsr_request_completed(dsr, observed):
    rid = new_verified(dsr)
    dsr("--plugins-dir", str(dsr.plugins), "request", "run", rid)
    assert {"event": "completed", "id": 1} not in _events(observed)
    dsr("--plugins-dir", str(dsr.plugins), "request", "answer", rid, "--by", "letter")
    assert {"event": "completed", "id": 1} in _events(observed)


def test_hook_dsr_request_blockers(dsr, observed):
    rid = new_verified(dsr)
    Path(str(observed) + ".block").write_text("")
    report = dsr.json("--plugins-dir", str(dsr.plugins), "request", "run", rid)
    assert report["state"] == "awaiting_confirmations"
    refused = dsr.fails("--plugins-dir", str(dsr.plugins), "request", "close", rid)
    assert "Proximus has not confirmed" in refused.stderr
    plugins = ("--plugins-dir", str(dsr.plugins))
    answered = dsr.json(*plugins, "request", "answer", rid, "--by", "letter")
    assert answered["state"] == "awaiting_confirmations"  # answered, still waiting on Proximus
    Path(str(observed) + ".block").unlink()
    dsr("--plugins-dir", str(dsr.plugins), "request", "close", rid)
    assert dsr.json("request", "show", rid)["state"] == "completed"


def test_a_broken_plugin_is_reported_and_the_others_load(dsr, tmp_path):
    plugins = tmp_path / "more"
    plugins.mkdir()
    (plugins / "broken.py").write_text("import no_such_module_here\n")
    (plugins / "badhook.py").write_text(
        "from dsr_core import hookimpl\n@hookimpl\ndef dsr_register_systems(registr):\n    pass\n"
    )
    (plugins / "raises.py").write_text(
        "from dsr_core import hookimpl\n@hookimpl\ndef dsr_register_systems(register):\n"
        "    raise RuntimeError('boom')\n"
    )
    (plugins / "typo.py").write_text(
        "from dsr_core import hookimpl\n@hookimpl\ndef dsr_register_system(register):\n    pass\n"
    )
    write_store(dsr.home / "crm.json", [])
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    listed = {p["name"]: p for p in dsr.json("--plugins-dir", str(plugins), "plugins", "list")}
    assert "unknown hook dsr_register_system" in listed["typo"]["error"]
    assert "No module named 'no_such_module_here'" in listed["broken"]["error"]
    assert "registr" in listed["badhook"]["error"]
    assert "boom" in listed["raises"]["error"]
    assert listed["testsys"]["error"] is None and listed["pbx"]["error"] is None
    text = dsr("--plugins-dir", str(plugins), "plugins", "list").stdout
    assert "ERROR" in text


def test_plugins_can_be_disabled_by_name(dsr):
    write_store(dsr.home / "crm.json", [])
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    dsr.env["DSR_DISABLE_PLUGINS"] = "testsys,pbx"
    listed = {p["name"]: p for p in dsr.json("plugins", "list")}
    assert listed["testsys"]["disabled"] and listed["pbx"]["disabled"]
    assert listed["testsys"]["system_types"] == []
    assert "unknown type 'test-store'" in dsr.json("systems", "list")[0]["error"]


def test_builtin_plugins_come_through_entry_points(dsr):
    listed = {p["name"]: p for p in dsr.json("plugins", "list")}
    for name in ("crm", "pbx", "techdossier", "suppliers", "manual"):
        assert listed[name]["origin"].startswith("entry point dsr_"), listed[name]
    assert "manual" in listed["manual"]["system_types"]


def test_scaffolded_plugin_passes_its_conformance_tests(dsr, tmp_path):
    out = dsr.json("plugin", "new", "helpdesk", "--dir", str(tmp_path))
    package = Path(out["path"])
    assert (package / "pyproject.toml").read_text().count('helpdesk = "dsr_helpdesk"') == 1
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
    assert "exists already" in dsr.fails("plugin", "new", "helpdesk", "--dir", str(tmp_path)).stderr


def test_a_plugin_name_may_be_written_with_dashes(dsr, tmp_path):
    out = dsr.json("plugin", "new", "acme-erp", "--dir", str(tmp_path))
    package = Path(out["path"])
    assert package.name == "dsr-acme-erp"
    assert (package / "dsr_acme_erp" / "__init__.py").is_file()
    assert 'acme_erp = "dsr_acme_erp"' in (package / "pyproject.toml").read_text()
    assert "starting with a letter" in dsr.fails("plugin", "new", "9lives").stderr


def test_a_failing_blockers_hook_holds_the_request_open(dsr, tmp_path):
    plugins = tmp_path / "failing"
    plugins.mkdir()
    (plugins / "flaky.py").write_text(
        "from dsr_core import hookimpl\n@hookimpl\ndef dsr_request_blockers(request):\n"
        "    raise RuntimeError('register unreachable')\n"
    )
    write_store(
        dsr.home / "crm.json",
        [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}}],
    )
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    dsr("init")
    rid = new_verified(dsr)
    dsr("--plugins-dir", str(plugins), "request", "run", rid)
    refused = dsr.fails("--plugins-dir", str(plugins), "request", "close", rid)
    assert "plugin flaky could not say" in refused.stderr
    assert "register unreachable" in refused.stderr
