"""The files ``dsr plugin new NAME`` writes: a working plugin to grow from.

The generated system type keeps its records in a JSON file, so it passes the conformance suite
as generated; its author replaces the file access with their system's API.
"""

from __future__ import annotations

from pathlib import Path

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "dsr-{dash}"
version = "0.1.0"
description = "dsr plugin: {name}"
requires-python = ">=3.11"
dependencies = ["dsr"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.dsr]
{name} = "dsr_{name}"

[tool.setuptools]
packages = ["dsr_{name}"]

[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
"""

MODULE = '''"""dsr plugin {name}: the system type ``{name}``.

Configure it in dsr.toml::

    [systems.{name}]
    type = "{name}"
    path = "{name}.json"

The sample keeps records in a JSON file ``[{{"id": ..., "email": ..., "category": ...,
"fields": {{...}}}}]``. Replace the file access with your system's API; keep the behaviour the
conformance tests check (tests/test_conformance.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dsr_core import hookimpl
from dsr_core.fields import Field, labels
from dsr_core.model import (
    Action,
    Identity,
    IdentityKind,
    Outcome,
    Record,
    RequestKind,
    Subject,
)
from dsr_core.systems import ConfigError, RegisterSystem, System


class {cls}(System):
    description = "{name}: records in a JSON file (scaffold)"
    kinds = frozenset({{RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.ERASURE}})
    config_keys = {{"path": "the JSON file holding the records"}}
    required_keys = frozenset({{"path"}})
    # What the subject reads in report.html instead of your names (docs/plugins.md): the
    # system's name, and every category and field the core table does not know already.
    titles = labels("{name}", "{name}", "{name}")
    categories = {{"order": labels("Bestellingen", "Orders", "Commandes")}}
    fields = {{"item": Field(labels("Artikel", "Item", "Article"))}}

    def __init__(self, name: str, config: Any, context: Any) -> None:
        super().__init__(name, config, context)
        if not isinstance(self.config["path"], str):
            raise ConfigError(f"systems.{{name}}: 'path' must be a file name")
        self.path: Path = context.resolve(self.config["path"])

    def _load(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _save(self, rows: list[dict[str, Any]]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(rows, fh)
        os.replace(tmp, self.path)

    def locate(self, subject: Subject) -> Sequence[Identity]:
        emails = subject.values(IdentityKind.EMAIL)
        return [
            Identity(IdentityKind.EMAIL, e)
            for e in sorted({{r["email"] for r in self._load() if r["email"] in emails}})
        ]

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        emails = {{k.value for k in keys if k.kind == IdentityKind.EMAIL}}
        for row in self._load():
            if row["email"] in emails:
                yield Record(self.name, row["category"], str(row["id"]), row["fields"],
                             source="{name}", provided_by_subject=True)

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        emails = {{k.value for k in keys if k.kind == IdentityKind.EMAIL}}
        rows = self._load()
        keep = [r for r in rows if r["email"] not in emails]
        gone = [r for r in rows if r["email"] in emails]
        if not dry_run and gone:
            self._save(keep)
        for row in gone:
            yield Outcome(str(row["id"]), row["category"], Action.ERASED)


@hookimpl
def dsr_register_systems(register: RegisterSystem) -> None:
    register("{name}", {cls})
'''

TEST = '''"""The dsr conformance suite, run against this plugin's system type."""

from __future__ import annotations

import json

import pytest

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.testing import SystemConformance, make_context
from dsr_{name} import {cls}


class TestConformance(SystemConformance):
    @pytest.fixture
    def system(self, tmp_path):
        rows = [
            {{"id": 1, "email": "jan@example.be", "category": "contact",
              "fields": {{"name": "Jan"}}}},
            {{"id": 2, "email": "jan@example.be", "category": "order",
              "fields": {{"item": "printer"}}}},
            {{"id": 3, "email": "other@example.be", "category": "contact",
              "fields": {{"name": "Other"}}}},
        ]
        (tmp_path / "data.json").write_text(json.dumps(rows))
        return {cls}("{name}", {{"path": "data.json"}}, make_context("{name}", tmp_path))

    @pytest.fixture
    def subject(self):
        return Subject("Jan", (Identity(IdentityKind.EMAIL, "jan@example.be"),))

    @pytest.fixture
    def stranger(self):
        return Subject("Nobody", (Identity(IdentityKind.EMAIL, "nobody@example.be"),))

    @pytest.fixture
    def bad_config(self):
        return {{"path": 42}}
'''

README = """# dsr-{dash}

A dsr plugin adding the system type `{name}`.

    pip install -e '.[test]'
    pytest

Configure it in dsr.toml:

    [systems.{name}]
    type = "{name}"
    path = "{name}.json"

See dsr's docs/plugins.md for every hook and the system contract.
"""


def scaffold(name: str, target: Path) -> list[Path]:
    dash = name.replace("_", "-")
    cls = "".join(part.capitalize() for part in name.split("_")) + "System"
    values = {"name": name, "dash": dash, "cls": cls}
    files = {
        target / "pyproject.toml": PYPROJECT.format(**values),
        target / f"dsr_{name}" / "__init__.py": MODULE.format(**values),
        target / "tests" / "test_conformance.py": TEST.format(**values),
        target / "README.md": README.format(**values),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
