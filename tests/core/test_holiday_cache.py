"""The saved holiday tables (``<home>/cache/holidays.json``) set deadlines: only a file of
this user's, in a folder nobody else can write, is believed, and saving never writes through
a link someone planted."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from dsr_core import clock, holiday_cache

KEY = ("BE", None, 2031)
FAKE = date(2031, 3, 3)  # a Monday no Belgian law makes a holiday


@pytest.fixture(autouse=True)
def fresh_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "KNOWN_HOLIDAYS", {})
    clock._holiday_dates.cache_clear()


def _plant(home: Path, folder_mode: int = 0o700, file_mode: int = 0o600) -> Path:
    cache = home / "cache"
    cache.mkdir(mode=folder_mode)
    cache.chmod(folder_mode)
    path = cache / "holidays.json"
    data = {"library": holiday_cache.library_version(), "tables": {"BE||2031": [FAKE.isoformat()]}}
    path.write_text(json.dumps(data), encoding="utf-8")
    path.chmod(file_mode)
    return path


def test_a_private_copy_is_used(tmp_path: Path) -> None:
    _plant(tmp_path)
    assert holiday_cache.load(tmp_path) == {"BE||2031"}
    assert clock.KNOWN_HOLIDAYS[KEY] == frozenset({FAKE})


@pytest.mark.parametrize(("folder_mode", "file_mode"), [(0o777, 0o600), (0o700, 0o666)])
def test_a_copy_others_could_write_is_ignored(
    tmp_path: Path, folder_mode: int, file_mode: int
) -> None:
    _plant(tmp_path, folder_mode, file_mode)
    assert holiday_cache.load(tmp_path) == set()
    assert KEY not in clock.KNOWN_HOLIDAYS


def test_a_link_in_place_of_the_copy_is_not_followed(tmp_path: Path) -> None:
    path = _plant(tmp_path)
    elsewhere = tmp_path / "elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert holiday_cache.load(tmp_path) == set()


def test_saving_replaces_a_planted_link_without_writing_through_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    # the name the old code wrote through first: .holidays.json.<pid>
    (cache / f".holidays.json.{os.getpid()}").symlink_to(victim)
    clock._holiday_dates("BE", None, 2031)  # a table computed now: to be saved
    holiday_cache.save(tmp_path, set())
    assert victim.read_text(encoding="utf-8") == "precious"
    saved = json.loads((cache / "holidays.json").read_text(encoding="utf-8"))
    assert "BE||2031" in saved["tables"]
    assert oct((cache / "holidays.json").stat().st_mode & 0o777) == "0o600"
