"""Safe, unique names for the bundle's paths and the report's element ids.

System names come from ``dsr.toml`` and categories from plugins: they may hold anything. A zip
path component keeps ``[A-Za-z0-9._-]`` only, never starts with a dot and never names a
Windows device; names are unique ignoring case, so that extracting on Windows or macOS never
merges two files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE_ID = re.compile(r"[^a-z0-9_-]+")
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_MAX_LEN = 80


def safe_component(text: str, fallback: str = "unnamed") -> str:
    """A file-name-safe form of ``text`` (not yet unique)."""
    name = _UNSAFE.sub("_", text).strip("._")[:_MAX_LEN].rstrip(".")
    if not name:
        return fallback
    if name.split(".", 1)[0].lower() in _WINDOWS_DEVICES:
        name = f"{name}_"
    return name


def safe_id(text: str, fallback: str = "x") -> str:
    """An HTML id fragment: lower-case ``[a-z0-9_-]`` (not yet unique)."""
    return _UNSAFE_ID.sub("-", text.lower()).strip("-")[:_MAX_LEN] or fallback


class UniqueNames:
    """Hands out names unique ignoring case, adding ``-2``, ``-3``... on a clash.

    ``reserved`` names are never handed out (``outcomes`` in a system's folder belongs to the
    outcome files, not to a record category of that name).
    """

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._taken = {name.lower() for name in reserved}

    def take(self, wanted: str) -> str:
        name = wanted
        n = 1
        while name.lower() in self._taken:
            n += 1
            name = f"{wanted}-{n}"
        self._taken.add(name.lower())
        return name
