"""When and how a request was answered: the ``answers`` table (schema version 5).

One row per answer given; ``--again`` adds a row, nothing is replaced. Other parts read
:func:`answered` (``dsr due`` counts a deadline as met when the first answer went out; access
and portability complete only once answered).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..store.models import Base, utcnow

#: how the answer reached the subject
BY = ("email", "letter", "in-person")


class AnswerRow(Base):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(sa.String(20))
    letter: Mapped[str] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(5))
    bundle: Mapped[str | None] = mapped_column(sa.String(255))
    bundle_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    encrypted: Mapped[bool] = mapped_column(default=False)
    transport: Mapped[str | None] = mapped_column(sa.String(20))
    message_id: Mapped[str | None] = mapped_column(sa.String(255))
    actor: Mapped[str] = mapped_column(sa.String(100))


def answers(session: Session, request_id: int) -> list[AnswerRow]:
    """Every answer given for the request, first first."""
    stmt = sa.select(AnswerRow).where(AnswerRow.request_id == request_id).order_by(AnswerRow.id)
    return list(session.scalars(stmt))


def answered(session: Session, request_id: int) -> AnswerRow | None:
    """The first answer given, or None while the subject has had none."""
    found = answers(session, request_id)
    return found[0] if found else None


def first_answers(session: Session, request_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these requests was first answered; those never answered are left out."""
    ids = list(request_ids)
    if not ids:
        return {}
    stmt = (
        sa.select(AnswerRow.request_id, sa.func.min(AnswerRow.answered_at))
        .where(AnswerRow.request_id.in_(ids))
        .group_by(AnswerRow.request_id)
    )
    return {rid: _aware(at) for rid, at in session.execute(stmt)}


def answered_since(session: Session, since: datetime) -> dict[int, datetime]:
    """Requests first answered at or after ``since``, with that moment."""
    first = sa.func.min(AnswerRow.answered_at)
    stmt = sa.select(AnswerRow.request_id, first).group_by(AnswerRow.request_id)
    return {rid: _aware(at) for rid, at in session.execute(stmt.having(first >= since))}


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone: they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
