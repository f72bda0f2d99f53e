"""A process-wide cache of file scans, so that a huge call log is read once per request.

The engine builds a new system object for each step of a task (locate, then access or
erase), so the cache lives in the process, not in the object: the scan ``locate`` made is
still there when ``erase`` plans its rewrite a moment later (and, if the PBX appended lines
meanwhile, only those are read: see :meth:`CsvCallLogSystem._scan`).

An entry holds a scan's counts and unreadable lines in memory, and the subject's matched
lines in the scan's spool (:mod:`.spool`: an unnamed owner-only file, gone when the entry is
dropped and no reader holds it, or when the process ends). It is bounded by entries (open
spools) and by matched lines (the spools' disk use), oldest dropped first. A batch
(:meth:`~.csv_system.CsvCallLogSystem.scan_many`) fills one entry per request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_ENTRIES = 64
MAX_HITS = 2_000_000


class ScanCache(Generic[T]):
    """A small thread-safe LRU map; each value is weighed by its number of matched calls."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_weight: int = MAX_HITS) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[object, ...], tuple[T, int]] = OrderedDict()
        self.max_entries = max_entries
        self.max_weight = max_weight

    def get(self, key: tuple[object, ...]) -> T | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: tuple[object, ...], value: T, weight: int) -> None:
        with self._lock:
            self._items[key] = (value, weight)
            self._items.move_to_end(key)
            total = sum(w for _, w in self._items.values())
            while self._items and (len(self._items) > self.max_entries or total > self.max_weight):
                _, (_, dropped) = self._items.popitem(last=False)
                total -= dropped

    def discard(self, predicate: Callable[[tuple[object, ...]], bool]) -> None:
        """Drop every entry whose key satisfies ``predicate``."""
        with self._lock:
            for key in [k for k in self._items if predicate(k)]:
                del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
