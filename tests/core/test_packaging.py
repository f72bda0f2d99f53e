"""Every file the code loads at run time is shipped in a wheel, not only in a checkout.

setuptools puts a data file in the wheel only when its folder is a package (found by
``find_packages``, so it has an ``__init__.py``) and its name matches ``package_data`` in
``setup.py``. An editable install reads the checkout and hides a miss; ``pip install dsr``
then fails at ``dsr init`` or at the first letter.
"""

from __future__ import annotations

import ast
import fnmatch
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ("dsr_core", "plugins")
#: files in the code folders that are documentation, not loaded at run time
DOCS = {".md"}


def _package_data_patterns() -> list[str]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "package_data":
            value = ast.literal_eval(node.value)
            return list(value[""])
    raise AssertionError("setup.py has no package_data")


def _tracked_data_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", *CODE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [
        ROOT / name for name in out if not name.endswith(".py") and Path(name).suffix not in DOCS
    ]


def test_every_data_file_lies_in_a_package_and_matches_package_data() -> None:
    patterns = _package_data_patterns()
    files = _tracked_data_files()
    assert files, "no data files found: is this a git checkout?"
    missing = []
    for path in files:
        folder = path.parent
        while folder != ROOT:
            if not (folder / "__init__.py").exists():
                where = folder.relative_to(ROOT)
                missing.append(f"{path.relative_to(ROOT)}: {where} is no package")
                break
            folder = folder.parent
        if not any(fnmatch.fnmatch(path.name, p) for p in patterns):
            missing.append(f"{path.relative_to(ROOT)}: no package_data pattern matches")
    assert not missing, "\n".join(missing)
