"""What a bundle is made of, read from the store: the request, each task's results, the
subject's actual recipients. Results stream from ``task_results``; nothing is held in a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import requests as reqs
from .engine import results
from .engine.context import EngineContext
from .export import BundleRequest, Controller, ProcessingInfo, Recipient, SystemSection
from .model import Identity, Outcome, Record, RequestKind, RequestState
from .unread import unread_count

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .config import Config

#: Called to list the subject's actual recipients (Art. 15(1)(c)); the recipients register
#: sets it. Takes the engine context and the request id.
RecipientSource = Callable[[EngineContext, int], list[Recipient]]
_recipient_sources: list[RecipientSource] = []


def add_recipient_source(source: RecipientSource) -> None:
    if source not in _recipient_sources:
        _recipient_sources.append(source)


def _records(
    ctx: EngineContext, task_id: int, attempt: str | None
) -> Callable[[], Iterable[Record]]:
    if attempt is None:
        return lambda: ()
    return lambda: results.records(ctx.store, task_id, attempt)


def _outcomes(ctx: EngineContext, task_id: int) -> Callable[[], Iterable[Outcome]]:
    """Every attempt's outcomes, merged: what was done stays done, whatever the task's state."""
    return lambda: results.merged_outcomes(ctx.store, task_id)


def shown_system(ctx: EngineContext, name: str) -> Any:
    """The system the report takes display names and labels from (:mod:`dsr_core.fields`):
    the configured instance (a plugin may set labels from its config), else its type (a
    config the type refuses, an unset ``${VAR}``), else ``None`` for a system no longer
    configured or of a type no longer installed (the report shows raw names)."""
    if name not in ctx.config.systems:
        return None
    try:
        return ctx.build(name)
    except Exception:  # noqa: BLE001 - labels are a nicety; the bundle must not fail for them
        pass
    try:
        return ctx.system_type(name)
    except Exception:  # noqa: BLE001
        return None


def bundle_inputs(
    ctx: EngineContext, request_id: int
) -> tuple[BundleRequest, list[SystemSection], list[Recipient]]:
    controller = ctx.config.controller
    with ctx.store.session(readonly=True) as session:
        row = reqs.get(session, request_id)
        subject = reqs.subject_of(row)
        tasks = list(row.tasks)
        session.expunge_all()
    kind = RequestKind(row.kind)
    request = BundleRequest(
        id=row.id,
        kind=kind,
        subject_name=row.subject_name,
        identities=subject.identities,
        received_on=row.received_on,
        due_on=row.due_on or row.received_on,
        state=RequestState(row.state),
        controller=Controller(
            name=controller.name,
            email=controller.email,
            address=tuple(line.strip() for line in controller.address.split(",") if line.strip()),
            language=controller.language,
            automated_decisions=controller.automated_decisions,
        ),
        generated_at=datetime.now(controller.tz),
        language=row.language,
    )
    sections = []
    for task in tasks:
        conf = ctx.config.systems.get(task.system)
        attempt = (task.summary or {}).get("attempt") if task.state == "done" else None
        contributed: tuple[Identity, ...] = tuple(
            i for i in subject.identities if i.source == task.system
        )
        sections.append(
            SystemSection(
                name=task.system,
                type=task.system_type,
                status=task.state,
                error=task.error,
                unread_count=unread_count(task.summary),
                processing=ProcessingInfo.from_config(conf.processing if conf else {}),
                identities=contributed,
                system=shown_system(ctx, task.system),
                title=conf.title if conf else None,
                records=_records(ctx, task.id, attempt) if not kind.changes_data else (lambda: ()),
                outcomes=_outcomes(ctx, task.id) if kind.changes_data else (lambda: ()),
            )
        )
    recipients: list[Recipient] = []
    if not _recipient_sources:
        from .recipients.disclosures import recipient_source

        add_recipient_source(recipient_source)
    for source in _recipient_sources:
        recipients.extend(source(ctx, row.id))
    return request, sections, recipients


def default_bundle_path(config: Config, request_id: int, kind: str) -> Path:
    """``<home>/exports/request-ID-KIND-TIME.zip`` (the folder made owner-only): the name
    ``dsr purge`` finds a request's bundles by."""
    folder = config.home / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(config.controller.tz).strftime("%Y%m%d-%H%M%S")
    path = folder / f"request-{request_id}-{kind}-{stamp}.zip"
    number = 1
    while path.exists():  # two bundles in one second (an export, then the answer)
        number += 1
        path = folder / f"request-{request_id}-{kind}-{stamp}-{number}.zip"
    return path


def record_written(
    session: Session,
    *,
    actor: str,
    request_id: int,
    target: Path,
    sha256: str,
    sections: Sequence[SystemSection],
    encrypted: bool,
    secrets_revealed: bool = False,
    partial: bool = False,
) -> None:
    """The ``export.written`` audit event of a bundle, whoever wrote it (``dsr export``,
    ``dsr request answer``)."""
    from . import audit

    audit.append(
        session,
        "export.written",
        actor=actor,
        request_id=request_id,
        data={
            "file": target.name,
            "sha256": sha256,
            "encrypted": encrypted,
            "secrets_revealed": secrets_revealed,
            "partial": partial,
            "systems": {s.name: str(s.status) for s in sections},
        },
    )
