"""Setting a task's or a notice's state directly in a test's store.

The engine produces ``not_searched`` tasks and ``summary["unread"]`` on another branch; these
helpers build those rows as the engine will leave them, so the views can be tested today.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from dsr_core.config import load_config
from dsr_core.store import open_store
from dsr_core.store.models import NoticeRow, RequestRow, TaskRow


def _store(dsr: Any) -> Any:
    return open_store(load_config(None, str(dsr.home)).database_url)


def set_task(dsr: Any, request_id: str | int, system: str, **values: Any) -> None:
    """Overwrite columns of the request's task for ``system``."""
    store = _store(dsr)
    try:
        with store.session() as session:
            task = session.execute(
                sa.select(TaskRow).where(
                    TaskRow.request_id == int(request_id), TaskRow.system == system
                )
            ).scalar_one()
            for key, value in values.items():
                setattr(task, key, value)
    finally:
        store.engine.dispose()


def set_request(dsr: Any, request_id: str | int, **values: Any) -> None:
    store = _store(dsr)
    try:
        with store.session() as session:
            row = session.get(RequestRow, int(request_id))
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
    finally:
        store.engine.dispose()


def set_notice(dsr: Any, notice_id: str, **values: Any) -> None:
    store = _store(dsr)
    try:
        with store.session() as session:
            row = session.execute(
                sa.select(NoticeRow).where(NoticeRow.notice_id == notice_id)
            ).scalar_one()
            for key, value in values.items():
                setattr(row, key, value)
    finally:
        store.engine.dispose()


#: What the engine will leave on a dossier store whose customer ids come from a failed CRM.
NOT_SEARCHED_ERROR = "not searched: crm failed first, and it may hold identities this system needs"
#: A staff text for unread data, as a system reports it (file and line numbers).
UNREAD_LINE = "/var/log/asterisk/cdr-csv/Master.csv lines 17, 40: not valid UTF-8"
