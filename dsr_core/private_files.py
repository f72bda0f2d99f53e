"""Files in a folder of the user's own that nobody else can slip anything into.

dsr keeps caches in ``<home>/cache`` (the report's compiled templates, which it runs as code;
the holiday tables, which set deadlines). A folder is opened once (never through a symbolic
link) and checked on that open descriptor: this user's, writable by nobody else. Its files
are opened relative to it and checked on theirs: a regular file with one name, this user's,
writable by nobody else. So a folder or file swapped in after a check is never what is read,
and a FIFO or device is not even waited on. Writes go to a new file (``O_EXCL``, 0600) renamed
over the old one. Every problem is an answer of None / False: these are caches.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW


#: Whether ownership can be told and files opened within an open folder (``dir_fd``) here.
_USABLE = hasattr(os, "getuid") and os.open in os.supports_dir_fd


def usable() -> bool:
    """Whether ownership can be told and files opened within an open folder here."""
    return _USABLE


def private(info: os.stat_result) -> bool:
    """Owned by this user, and writable by nobody else."""
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _open_folder(directory: Path) -> int | None:
    """A descriptor of ``directory`` when it is this user's alone, else None."""
    try:
        folder = os.open(directory, _DIRECTORY)
    except OSError:
        return None
    try:
        if private(os.fstat(folder)):
            return folder
    except OSError:
        pass
    os.close(folder)
    return None


def read(directory: Path, name: str) -> bytes | None:
    """The bytes of ``directory/name`` when both are private (see the module), else None."""
    if not usable():
        return None
    folder = _open_folder(directory)
    if folder is None:
        return None
    try:
        flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(name, flags, dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    try:
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and private(info):
                return file.read()
    except OSError:
        pass
    return None


def write(directory: Path, name: str, fill: Callable[[BinaryIO], object]) -> bool:
    """Replace ``directory/name`` with what ``fill`` writes (the folder and any missing one
    above it created 0700); False when it could not be written."""
    if not usable():
        return False
    temp = f".{name}.{os.getpid()}.{secrets.token_hex(6)}"  # a name nobody can plant first
    try:
        make_folders(directory)
    except OSError:
        return False
    folder = _open_folder(directory)
    if folder is None:
        return False
    try:
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | _NOFOLLOW
        fd = os.open(temp, flags, 0o600, dir_fd=folder)
        with os.fdopen(fd, "wb") as file:
            fill(file)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
        return True
    except Exception:  # noqa: BLE001 - a cache: nothing half-written stays behind
        try:
            os.unlink(temp, dir_fd=folder)
        except OSError:
            pass
        return False
    finally:
        os.close(folder)


def make_folders(directory: Path) -> None:
    """Create ``directory`` and any missing folder above it, each 0700 (whatever the umask
    would give: a folder above may hold other caches of the home)."""
    missing = []
    for folder in (directory, *directory.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
