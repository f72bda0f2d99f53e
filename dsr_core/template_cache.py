"""Compiled Jinja2 templates kept between processes, in a folder of the dsr home.

Compiling the report's templates takes ~0.1-0.2 s, in every ``dsr export`` (and
``request new --export``) anew; the compiled code is the same each time. :class:`OwnerOnlyCache`
keeps it in ``<home>/cache/templates/`` (made 0700, files 0600, written whole under a temporary
name and renamed). What is loaded from there is executed, so a file is used only when it and
its folder belong to the user running dsr and nobody else may write them.

A file is used only for the very template source it was compiled from (Jinja's checksum of
the source), by the same Python (Jinja's magic), the same Jinja version and the same
environment settings (both in the file's name). Anything else, or a folder that cannot be
written (a read-only home), and the templates are compiled as without a cache: the output is
the same either way. The files hold dsr's own templates, never personal data.
"""

from __future__ import annotations

import os
import stat
from hashlib import sha256
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

#: The folder of the home the compiled templates go to.
FOLDER = Path("cache") / "templates"

#: Environment settings the compiled code depends on.
_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)


def _fingerprint(environment: jinja2.Environment) -> str:
    autoescape = environment.autoescape
    parts = [getattr(jinja2, "__version__", "?")]
    parts += [repr(getattr(environment, name, None)) for name in _SETTINGS]
    parts.append(repr(autoescape) if isinstance(autoescape, bool) else _name(autoescape))
    parts.append(repr(sorted(environment.extensions)))
    parts.append(repr(environment.finalize is not None))
    return "\0".join(parts)


def _name(thing: object) -> str:
    return f"{getattr(thing, '__module__', '')}.{getattr(thing, '__qualname__', repr(thing))}"


def _private(info: os.stat_result) -> bool:
    """Owned by this user, and writable by nobody else."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class OwnerOnlyCache(jinja2.BytecodeCache):
    """A Jinja2 bytecode cache in ``directory`` (created 0700 on the first write); every
    problem reading or writing it is silent: the template is compiled as without it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = sha256(f"{_fingerprint(environment)}\0{name}\0{filename or ''}".encode()).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def _path(self, bucket: Bucket) -> Path:
        return self.directory / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            if not _private(os.stat(self.directory)):
                return
            fd = os.open(self._path(bucket), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return
        try:
            with os.fdopen(fd, "rb") as file:
                if _private(os.fstat(file.fileno())):
                    bucket.load_bytecode(file)
        except Exception:  # noqa: BLE001 - a damaged file: compile the template instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        path = self._path(bucket)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(os.stat(self.directory)):
                return
            flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(temp, flags, 0o600)
            with os.fdopen(fd, "wb") as file:
                bucket.write_bytecode(file)
            os.replace(temp, path)
        except OSError:
            try:
                temp.unlink(missing_ok=True)
            except OSError:
                pass


def bytecode_cache(directory: Path | None) -> OwnerOnlyCache | None:
    """The cache in ``directory`` (usually ``<home>/``:data:`FOLDER`); None without one, or
    where file ownership cannot be told (the templates are then compiled each time)."""
    if directory is None or not hasattr(os, "getuid"):
        return None
    return OwnerOnlyCache(directory)
