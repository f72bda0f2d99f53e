"""The report's compiled templates kept between processes (dsr_core.template_cache): the
same report with or without them, owner-only files, and nothing read that others may write."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dsr_core.export import report as report_module
from dsr_core.template_cache import OwnerOnlyCache

from .helpers import make_request, open_bundle, write


def _report(tmp_path: Path, name: str, cache: Path | None, language: str = "nl") -> bytes:
    report_module._environment.cache_clear()  # a new process: nothing compiled in memory
    result = write(
        tmp_path, request=make_request(language=language), name=name, template_cache=cache
    )
    return open_bundle(result.path).read("report.html")


@pytest.mark.parametrize("language", ["nl", "en", "fr"])
def test_the_report_is_the_same_with_its_templates_compiled_or_kept(
    tmp_path: Path, language: str
) -> None:
    cache = tmp_path / "home" / "cache" / "templates"
    fresh = _report(tmp_path, "none.zip", None, language)
    first = _report(tmp_path, "first.zip", cache, language)  # compiles and keeps them
    kept = list(cache.iterdir())
    second = _report(tmp_path, "second.zip", cache, language)  # loads them

    assert fresh == first == second
    assert kept and sorted(cache.iterdir()) == sorted(kept)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in kept)


def _plant(cache: Path) -> None:
    """Replace each kept template with code of the same template name and source checksum
    that renders ``PLANTED``: what someone who could write the folder might do."""
    env = report_module._environment("nl", cache)
    source_of = {}
    for name in ("report.nl.html.j2", "report.html.j2"):
        assert env.loader is not None
        source, filename, _ = env.loader.get_source(env, name)
        source_of[name] = (source, filename)
    planter = OwnerOnlyCache(cache)
    for name, (source, filename) in source_of.items():
        bucket = planter.get_bucket(env, name, filename, source)
        bucket.code = env.compile("PLANTED", name, filename)
        planter.dump_bytecode(bucket)


def test_kept_code_is_used_only_from_a_folder_nobody_else_may_write(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    honest = _report(tmp_path, "honest.zip", cache)
    _plant(cache)
    assert _report(tmp_path, "planted.zip", cache) == b"PLANTED"  # the folder is the user's

    _plant(cache)
    os.chmod(cache, 0o777)
    assert _report(tmp_path, "shared.zip", cache) == honest

    os.chmod(cache, 0o700)
    _plant(cache)
    for kept in cache.iterdir():
        os.chmod(kept, 0o666)
    assert _report(tmp_path, "writable.zip", cache) == honest


def test_damaged_or_unwritable_kept_templates_change_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    honest = _report(tmp_path, "honest.zip", cache)
    for kept in cache.iterdir():
        kept.write_bytes(kept.read_bytes()[:100])  # cut short
    assert _report(tmp_path, "damaged.zip", cache) == honest

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would be")
    assert _report(tmp_path, "blocked.zip", blocked / "templates") == honest
