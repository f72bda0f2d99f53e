"""The report's compiled templates kept between processes (dsr_core.template_cache): the
same report with or without them, owner-only files, and nothing read that others may write."""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jinja2.bccache import Bucket

from dsr_core import private_files
from dsr_core.export import report as report_module
from dsr_core.template_cache import OwnerOnlyCache

from .helpers import make_request, open_bundle, write


def _report(tmp_path: Path, name: str, cache: Path | None, language: str = "nl") -> bytes:
    report_module._environment.cache_clear()  # a new process: nothing compiled in memory
    result = write(
        tmp_path, request=make_request(language=language), name=name, template_cache=cache
    )
    return open_bundle(result.path).read("report.html")


LANGS = ["nl", "en", "fr"]


@pytest.mark.parametrize("language", LANGS)
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


def test_a_permissive_umask_leaves_no_folder_others_may_write(tmp_path: Path) -> None:
    """With umask 000 the cache and the folder above it (also made here, and holding other
    caches such as the holiday tables) stay the user's alone."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    old = os.umask(0)
    try:
        _report(tmp_path, "open.zip", home / "cache" / "templates")
    finally:
        os.umask(old)
    cache = home / "cache" / "templates"
    assert stat.S_IMODE((home / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in cache.iterdir())


def _unblock(fifos: list[Path]) -> None:
    """Open each FIFO for writing, so that a reader stuck on it goes on."""
    for fifo in fifos:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass


def _within(seconds: float, work: Callable[[], bytes], fifos: list[Path]) -> bytes | None:
    """``work()``'s result, or None when it is still blocked after ``seconds`` (then it is
    released)."""
    result: list[bytes] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        _unblock(fifos)
        thread.join(seconds)
        return None
    return result[0]


def test_a_fifo_where_a_kept_template_would_be_does_not_hang_the_export(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    honest = _report(tmp_path, "honest.zip", cache)
    fifos = []
    for kept in list(cache.iterdir()):
        kept.unlink()
        os.mkfifo(kept, 0o600)
        fifos.append(kept)
    assert _within(20, lambda: _report(tmp_path, "fifo.zip", cache), fifos) == honest


def test_a_folder_swapped_after_its_check_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who may write the folder above the cache swaps in a folder of theirs just
    after the cache folder was checked: what is read is still the checked folder's."""
    cache = tmp_path / "cache"
    honest = _report(tmp_path, "honest.zip", cache)
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    fifos = []
    for kept in cache.iterdir():
        os.mkfifo(theirs / kept.name, 0o600)
        fifos += [theirs / kept.name, kept]  # where it is before and after the swap
    real_open = os.open
    swapped = []

    def racing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".jinja") and not swapped:
            swapped.append(True)
            cache.rename(tmp_path / "mine")
            theirs.rename(cache)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(private_files.os, "open", racing_open)
    assert _within(20, lambda: _report(tmp_path, "raced.zip", cache), fifos) == honest
    assert swapped


def test_a_full_disk_leaves_the_export_whole_and_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    honest = _report(tmp_path, "honest.zip", None)

    def full(self: object, file: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Bucket, "write_bytecode", full)
    assert _report(tmp_path, "full.zip", cache) == honest
    assert list(cache.iterdir()) == []


def test_one_cache_serves_every_language(tmp_path: Path) -> None:
    """The templates the languages share are kept once and serve them all."""
    cache = tmp_path / "cache"
    fresh = {lang: _report(tmp_path, f"{lang}-fresh.zip", None, lang) for lang in LANGS}
    for run in range(2):
        for lang in LANGS:
            assert _report(tmp_path, f"{lang}-{run}.zip", cache, lang) == fresh[lang]


def test_kept_code_of_another_template_or_with_a_second_name_is_not_used(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    honest = _report(tmp_path, "honest.zip", cache)
    first, second = sorted(cache.iterdir())
    swap = cache / "swap"
    first.rename(swap)
    second.rename(first)
    swap.rename(second)  # each template's name now holds the other's code
    assert _report(tmp_path, "swapped.zip", cache) == honest

    _plant(cache)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for kept in cache.iterdir():
        os.link(kept, elsewhere / kept.name)  # a second name, in a folder not checked
    assert _report(tmp_path, "linked.zip", cache) == honest
