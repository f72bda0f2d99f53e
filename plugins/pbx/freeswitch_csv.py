"""The ``freeswitch-csv`` system type: FreeSWITCH ``mod_cdr_csv`` call logs."""

from __future__ import annotations

from typing import ClassVar

from .config import ConfigReader
from .csv_system import CSV_KEYS, CsvCallLogSystem, LineFormat


class FreeswitchCsvSystem(CsvCallLogSystem):
    """Master.csv (and per-account files) written by FreeSWITCH's mod_cdr_csv."""

    description: ClassVar[str] = (
        "FreeSWITCH call-detail records in mod_cdr_csv files (default or configured "
        "template): access, portability, erasure with billing retention"
    )
    config_keys: ClassVar[dict[str, str]] = {
        **CSV_KEYS,
        "template": "the mod_cdr_csv template the files are written with: the template string "
        '("${caller_id_name}","${caller_id_number}",...) or a list of variable names '
        "(default: mod_cdr_csv's example template)",
    }

    def make_format(self, reader: ConfigReader) -> LineFormat:
        from .freeswitch_format import (
            DEFAULT_TEMPLATE,
            FreeswitchCsvFormat,
            TemplateError,
            parse_template,
        )

        template = self.config.get("template", DEFAULT_TEMPLATE)
        if not isinstance(template, str | list) or (
            isinstance(template, list) and not all(isinstance(t, str) for t in template)
        ):
            raise reader.error("template", "must be a template string or a list of names")
        try:
            columns = parse_template(template)
        except TemplateError as exc:
            raise reader.error("template", str(exc)) from None
        return FreeswitchCsvFormat(columns, self.source_tz, self.context.timezone)
