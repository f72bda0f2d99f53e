"""When and how a request was answered: the ``answers`` table (schema version 5).

One row per answer given; ``--again`` adds a row, nothing is replaced. Other parts read
:func:`answered` (``dsr due`` counts a deadline as met when the first answer went out; access
and portability complete only once answered).
"""

from __future__ import annotations

from datetime import datetime

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
