"""What was written for one system: the record files and the outcome files, with counts."""

from __future__ import annotations

from dataclasses import dataclass

from .outcomes import OutcomesResult
from .records import RecordsResult
from .types import SystemSection


@dataclass(slots=True)
class SystemOutput:
    """One system's part of the bundle, once written (for the report and the manifest)."""

    section: SystemSection
    folder: str
    records: RecordsResult
    outcomes: OutcomesResult

    def close(self) -> None:
        """Drop the report's preview spools."""
        for category in self.records.categories:
            category.preview.close()
