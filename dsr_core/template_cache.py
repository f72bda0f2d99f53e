"""Compiled Jinja2 templates kept between processes, in a folder of the dsr home.

Compiling the report's templates takes ~0.1-0.2 s, in every ``dsr export`` (and
``request new --export``) anew; the compiled code is the same each time. :class:`OwnerOnlyCache`
keeps it in ``<home>/cache/templates/`` (made 0700, files 0600, written whole under a temporary
name and renamed). What is loaded from there is executed, so a file is used only when it and
its folder belong to the user running dsr and nobody else may write them, checked on the open
folder and file (not by path, which could be swapped between the check and the read).

A file is used only for the very template source it was compiled from (Jinja's checksum of
the source), by the same Python (Jinja's magic), the same Jinja version and the same
environment settings (both in the file's name). Anything else, or a folder that cannot be
written (a read-only home), and the templates are compiled as without a cache: the output is
the same either way. The files hold dsr's own templates, never personal data.
"""

from __future__ import annotations

import io
from hashlib import sha256
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from . import private_files

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


class OwnerOnlyCache(jinja2.BytecodeCache):
    """A Jinja2 bytecode cache in ``directory`` (created 0700 on the first write, with any
    missing folder above it); every problem reading or writing it is silent: the template is
    compiled as without it.

    The folder is opened once (never through a symbolic link) and checked on that open
    descriptor, and its files are opened relative to it and checked on theirs: a folder or
    file swapped in after a check is never what is read, and what is not a private regular
    file of this user's (a FIFO, a device, a hard link...) is not even waited on."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = sha256(f"{_fingerprint(environment)}\0{name}\0{filename or ''}".encode()).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    @staticmethod
    def _name(bucket: Bucket) -> str:
        return f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: Bucket) -> None:
        data = private_files.read(self.directory, self._name(bucket))
        if data is None:
            return
        try:
            bucket.load_bytecode(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - a damaged file: compile the template instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        private_files.write(self.directory, self._name(bucket), bucket.write_bytecode)


def bytecode_cache(directory: Path | None) -> OwnerOnlyCache | None:
    """The cache in ``directory`` (usually ``<home>/``:data:`FOLDER`); None without one, or
    where file ownership cannot be told or files cannot be opened within an open folder (the
    templates are then compiled each time)."""
    if directory is None or not private_files.usable():
        return None
    return OwnerOnlyCache(directory)
