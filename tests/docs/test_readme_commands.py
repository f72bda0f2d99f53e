"""The README's commands run as written: a new user copies them into a shell.

The "Using it" block is run by bash with a fresh HOME, so ``~/dsr`` is a new folder; the
configuration example must load and name only keys the system types accept.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(after_heading: str, lang: str) -> str:
    section = README.split(after_heading, 1)[1]
    match = re.search(rf"```{lang}\n(.*?)```", section, re.S)
    assert match, f"no ```{lang} block after {after_heading!r} in README.md"
    return match.group(1)


def test_using_it_block_runs_as_written(tmp_path: Path) -> None:
    script = _block("## Using it", "sh")
    assert "dsr init --home ~/dsr" in script
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DSR_") and k not in ("HOME", "PATH")
    }
    env["HOME"] = str(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin"
    # no -e: `dsr request run 1` exits 5 (docs/exit-codes.md: a manual task waits for staff),
    # which a person at the prompt reads and goes on; every command must still work
    done = subprocess.run(
        ["bash", "-uo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"README commands failed:\n{done.stdout}\n{done.stderr}"
    assert "error" not in done.stderr, f"a README command failed:\n{done.stderr}"
    home = tmp_path / "dsr"
    assert (home / "dsr.toml").is_file(), "dsr init --home ~/dsr made no config there"
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "dsr"), "request", "show", "1", "--json"],
        env={**env, "DSR_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["state"] == "completed"
    assert list((home / "exports").glob("*.zip")), "dsr export 1 wrote no bundle"


def test_configuration_example_is_accepted(tmp_path: Path) -> None:
    from dsr_core.cli import main  # noqa: F401 - the console script's module loads

    config = tmp_path / "dsr.toml"
    config.write_text(_block("## Configuration", "toml"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    env["DSR_DATABASE_URL"] = f"sqlite:///{tmp_path / 'dsr.sqlite3'}"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dsr"), "--config", str(config), "systems", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "pbx" in done.stdout and "archive" in done.stdout


def test_init_writes_the_config_dsr_config_names(tmp_path: Path) -> None:
    """README: the config is --config, else DSR_CONFIG, ...; init must write where the others
    read, or the next command finds no config (or another one)."""
    named = tmp_path / "etc" / "my.toml"
    named.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
    env.update(DSR_HOME=str(tmp_path / "home"), DSR_CONFIG=str(named))
    dsr = str(Path(sys.executable).parent / "dsr")
    done = subprocess.run(
        [dsr, "init", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["config"] == str(named)
    assert named.is_file() and not (tmp_path / "home" / "dsr.toml").exists()
    listed = subprocess.run(
        [dsr, "request", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
