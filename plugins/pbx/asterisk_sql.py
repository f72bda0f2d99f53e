"""The ``asterisk-sql`` system type: the ``cdr`` (and FreePBX ``cel``) table over SQLAlchemy.

This module stays light (it is imported when the plugin loads): SQLAlchemy is imported by
:mod:`.sql_backend`, only when a system of this type is constructed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from dsr_core.fields import Field
from dsr_core.model import CheckResult, Identity, Outcome, Record, RequestKind, Subject
from dsr_core.systems import System, SystemContext

from . import labels
from .config import COMMON_KEYS, ConfigReader

SQL_KEYS: dict[str, str] = {
    "url": "SQLAlchemy URL of the CDR database (FreePBX: mysql+pymysql://.../asteriskcdrdb); "
    'put secrets in the environment: url = "${CDR_DATABASE_URL}"',
    "table": 'the call-detail table (default "cdr"; "schema.table" allowed)',
    "layout": '"auto" (default), "calldate" (legacy/FreePBX: calldate, no answer/end) or '
    '"start" (Asterisk\'s own: start, answer, end)',
    "cel_table": 'also search and erase this channel-event-log table (FreePBX: "cel")',
    "search": '"indexed" (default: exact lookups of every spelling of the numbers, served by '
    'indexes) or "full" (also finds odd spellings and clid-only numbers; scans the table)',
    **COMMON_KEYS,
}


class AsteriskSqlSystem(System):
    """Asterisk/FreePBX call-detail records in an SQL database."""

    kinds: ClassVar[frozenset[RequestKind]] = frozenset(
        {RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.ERASURE}
    )
    description: ClassVar[str] = (
        "Asterisk/FreePBX call-detail records in an SQL cdr table (and FreePBX's cel): "
        "access, portability, erasure with billing retention"
    )
    config_keys: ClassVar[dict[str, str]] = SQL_KEYS
    required_keys: ClassVar[frozenset[str]] = frozenset({"url"})
    titles: ClassVar[Mapping[str, str]] = labels.TITLES
    categories: ClassVar[Mapping[str, Mapping[str, str]]] = labels.CATEGORIES
    fields: ClassVar[Mapping[str, Field]] = labels.FIELDS

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        super().__init__(name, config, context)
        reader = ConfigReader(name, self.config, context)
        from .sql_backend import SqlCallLog

        self.backend = SqlCallLog(self, reader)

    def close(self) -> None:
        """Release the database connections (the system can still be used afterwards)."""
        self.backend.close()

    def check(self) -> CheckResult:
        return self.backend.check()

    def locate(self, subject: Subject) -> list[Identity]:
        return self.backend.locate(subject)

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        yield from self.backend.access(subject, keys)

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        yield from self.backend.erase(subject, keys, dry_run=dry_run)

    def unreadable(self) -> list[str]:
        """The rows the last call found but could not read: table, row id and reason (the
        rows are left as they are). Holds no numbers or names."""
        return self.backend.unreadable()

    def last_run_summary(self) -> dict[str, Any]:
        """What the last run looked at: rows matched and rows that could not be read, per
        table (with the row's key and the reason); for erasure the counts per action."""
        return self.backend.summary()
