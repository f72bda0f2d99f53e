"""Errors a user can cause are one line and a non-zero exit (2), never a traceback."""

from __future__ import annotations

import errno
import os
import stat

import pytest


def _one_line_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dsr: error: "), result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    return lines[0]


def test_a_config_file_that_is_not_utf8_is_a_one_line_error(dsr):
    path = dsr.home / "dsr.toml"
    path.write_bytes(b'[controller]\nname = "Caf\xe9 bvba"\n')  # Latin-1, as an editor may save
    line = _one_line_error(dsr("request", "list", ok=False))
    assert str(path) in line and "UTF-8" in line and "line 2" in line


def test_json_mode_gets_the_same_error_as_a_document(dsr):
    (dsr.home / "dsr.toml").write_bytes(b"\xff\xfe[controller]\n")
    result = dsr("request", "list", "--json", ok=False)
    assert result.exit_code == 2 and "UTF-8" in result.json["error"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_due_ics_into_a_folder_it_cannot_write_is_a_one_line_error(dsr, tmp_path):
    dsr("init")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        line = _one_line_error(dsr("due", "--ics", str(locked / "due.ics"), ok=False))
    finally:
        locked.chmod(stat.S_IRWXU)
    assert "due.ics" in line and "cannot write" in line


def test_due_ics_where_a_folder_is_a_file_is_a_one_line_error(dsr, tmp_path):
    dsr("init")
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    line = _one_line_error(dsr("due", "--ics", str(blocker / "due.ics"), ok=False))
    assert "cannot write" in line and "due.ics" in line
    assert blocker.read_text() == "x"


def test_due_ics_into_a_missing_folder_is_refused_like_export(dsr, tmp_path):
    dsr("init")
    line = _one_line_error(dsr("due", "--ics", str(tmp_path / "nope" / "due.ics"), ok=False))
    assert "does not exist" in line
    assert not (tmp_path / "nope").exists()


def test_due_ics_on_a_full_disk_is_a_one_line_error_and_leaves_nothing(dsr, tmp_path, monkeypatch):
    dsr("init")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("dsr_core.cli.init_cmd.os.fsync", full)
    target = tmp_path / "due.ics"
    line = _one_line_error(dsr("due", "--ics", str(target), ok=False))
    assert f"cannot write {target}: No space left on device" in line
    assert list(tmp_path.iterdir()) == [dsr.home], "no file, no temporary file is left"
