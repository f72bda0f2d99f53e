"""A saved copy of the public-holiday tables the deadlines used, for the light commands.

The ``holidays`` library takes about 0.15 s to import and compute one country's year: more
than half of what ``dsr request list`` may cost. The tables it computed are kept in
``<home>/cache/holidays.json`` together with the library's installed version; a copy made by
another version is ignored (and replaced), so a library update that adds a holiday is seen at
once. The dates are public facts, not personal data.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from . import clock, private_files

FILE = Path("cache") / "holidays.json"


def library_version() -> str | None:
    """The installed ``holidays`` distribution (its dist-info folder's name), found without
    importing it; None when it cannot be told."""
    from importlib.util import find_spec

    try:
        spec = find_spec("holidays")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))).parent
    try:
        names = [
            e.name
            for e in os.scandir(folder)
            if e.name.startswith("holidays-") and e.name.endswith((".dist-info", ".egg-info"))
        ]
    except OSError:
        return None
    return names[0] if len(names) == 1 else None


def _key(country: str, subdiv: str | None, year: int) -> str:
    return f"{country}|{subdiv or ''}|{year}"


def load(home: Path) -> set[str]:
    """Make the saved tables known to :mod:`dsr_core.clock`; returns the keys loaded."""
    version = library_version()
    if version is None:
        return set()
    raw = private_files.read(home / FILE.parent, FILE.name)  # deadlines: nobody else's file
    if raw is None:
        return set()
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return set()
    if not isinstance(data, dict) or data.get("library") != version:
        return set()
    tables = data.get("tables")
    if not isinstance(tables, dict):
        return set()
    loaded = set()
    for key, days in tables.items():
        country, _, rest = str(key).partition("|")
        subdiv, _, year = rest.partition("|")
        try:
            dates = frozenset(date.fromisoformat(d) for d in days)
            clock.KNOWN_HOLIDAYS.setdefault((country, subdiv or None, int(year)), dates)
        except (TypeError, ValueError):
            continue
        loaded.add(key)
    return loaded


def save(home: Path, loaded: set[str]) -> None:
    """Keep the tables computed since :func:`load` (nothing is written when none was)."""
    known = {_key(*k): v for k, v in clock.KNOWN_HOLIDAYS.items()}
    if set(known) <= loaded:
        return
    version = library_version()
    if version is None:
        return
    data = {
        "library": version,
        "tables": {k: sorted(d.isoformat() for d in v) for k, v in sorted(known.items())},
    }
    text = json.dumps(data).encode("utf-8")
    # a cache: when it cannot be written, the next command computes the tables again
    private_files.write(home / FILE.parent, FILE.name, lambda out: out.write(text))
