"""The ``asterisk-csv`` system type: Asterisk/FreePBX ``cdr_csv`` call logs."""

from __future__ import annotations

from typing import ClassVar

from .config import ConfigReader
from .csv_system import CSV_KEYS, CsvCallLogSystem, LineFormat

#: cdr.conf's ``[csv]`` switches that decide the columns (see :mod:`.asterisk_format`).
LAYOUT_KEYS: dict[str, str] = {
    "loguniqueid": "true when cdr.conf's [csv] section has loguniqueid=yes (the uniqueid "
    "column); settles 17- and 20-column lines",
    "loguserfield": "true when cdr.conf's [csv] section has loguserfield=yes (the userfield "
    "column); settles 17- and 20-column lines",
    "newcdrcolumns": "true when cdr.conf's [csv] section has newcdrcolumns=yes (peeraccount, "
    "linkedid, sequence)",
}


class AsteriskCsvSystem(CsvCallLogSystem):
    """Master.csv and the per-account files Asterisk's cdr_csv writes."""

    description: ClassVar[str] = (
        "Asterisk/FreePBX call-detail records in cdr_csv files (Master.csv and per-account "
        "files): access, portability, erasure with billing retention"
    )
    config_keys: ClassVar[dict[str, str]] = {**CSV_KEYS, **LAYOUT_KEYS}

    def make_format(self, reader: ConfigReader) -> LineFormat:
        from .asterisk_format import SWITCHES, AsteriskCsvFormat

        switches: dict[str, bool] = {}
        for key in SWITCHES:
            if key in self.config:
                switches[key] = reader.boolean(key, False)
        hint = (
            f"set loguniqueid and loguserfield in [systems.{self.name}] as cdr.conf's [csv] "
            "section has them"
        )
        return AsteriskCsvFormat(self.source_tz, self.context.timezone, switches, hint)
