"""The ``asterisk-csv`` system type: Asterisk/FreePBX ``cdr_csv`` call logs."""

from __future__ import annotations

from typing import ClassVar

from .config import ConfigReader
from .csv_system import CSV_KEYS, CsvCallLogSystem, LineFormat


class AsteriskCsvSystem(CsvCallLogSystem):
    """Master.csv and the per-account files Asterisk's cdr_csv writes."""

    description: ClassVar[str] = (
        "Asterisk/FreePBX call-detail records in cdr_csv files (Master.csv and per-account "
        "files): access, portability, erasure with billing retention"
    )
    config_keys: ClassVar[dict[str, str]] = dict(CSV_KEYS)

    def make_format(self, reader: ConfigReader) -> LineFormat:
        from .asterisk_format import AsteriskCsvFormat

        return AsteriskCsvFormat(self.source_tz, self.context.timezone)
