"""``manifest.json``: what the bundle holds, per system and per file, written last.

It names the request, the subject as given, the controller, whether every system was fully
searched (``complete``; ``missing`` lists the others with a plain reason), and for every system
its status (see :mod:`.plain`), a plain note when it was not fully searched (never the staff's
error text: the bundle goes to the subject), the identities it contributed, record counts per
category, outcome counts per action and the records kept under a legal duty (basis and
until-date; the list is capped, the count is not); then every other file of the bundle with
its size and SHA-256.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..model import RequestKind
from .output import SystemOutput
from .plain import missing, note_for, status_of
from .types import BundleFile, BundleRequest, Recipient

#: Bump when a consumer of the manifest would need to change. 2: ``systems[].error`` gave way
#: to ``note`` (plain words), ``unread_count`` and the ``incomplete`` status; ``complete`` and
#: ``missing`` were added.
FORMAT_VERSION = 2


def build_manifest(
    request: BundleRequest,
    outputs: Sequence[SystemOutput],
    recipients: Sequence[Recipient],
    files: Sequence[BundleFile],
    *,
    encrypted: bool,
    secrets_included: bool,
    kept_limit: int,
    report: str | None,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    kind = RequestKind(request.kind)
    controller = request.controller
    language = request.report_language
    absent = missing([o.section for o in outputs], language)
    return {
        "format": "dsr-bundle",
        "format_version": FORMAT_VERSION,
        "generator": f"dsr {__version__}",
        "request": {
            "id": request.id,
            "kind": kind.value,
            "article": kind.article or None,
            "state": str(request.state),
            "received_on": request.received_on.isoformat(),
            # a termination has no Art. 12(3) deadline
            "due_on": request.due_on.isoformat() if kind.is_gdpr else None,
        },
        "subject": {
            "name": request.subject_name,
            "identities": [ident.to_json() for ident in request.identities],
        },
        "controller": {
            "name": controller.name,
            "email": controller.email,
            "address": list(controller.address),
            "language": controller.language,
        },
        "generated_at": request.generated_at.isoformat(),
        "encrypted": encrypted,
        "secrets": "included" if secrets_included else "masked",
        "report": report,
        "records": sum(o.records.records for o in outputs),
        "complete": not absent,
        "missing": absent,
        "systems": [_system(output, kind, kept_limit, language) for output in outputs],
        "recipients": [_recipient(r) for r in recipients],
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in files],
    }


def _system(
    output: SystemOutput, kind: RequestKind, kept_limit: int, language: str
) -> dict[str, Any]:
    section, records, outcomes = output.section, output.records, output.outcomes
    data: dict[str, Any] = {
        "name": section.name,
        "type": section.type,
        "status": status_of(section),
        "note": note_for(section, language),
        "unread_count": section.unread_count,
        "folder": output.folder if records.categories or outcomes.total else None,
        "identities": [ident.to_json() for ident in section.identities],
        "records": {str(c.category): c.records for c in records.categories},
        "records_total": records.records,
        "masked_values": sum(c.masked for c in records.categories),
        "categories": [
            {
                "category": str(c.category),
                "records": c.records,
                "json": c.json_path,
                "csv": c.csv_path,
            }
            for c in records.categories
        ],
    }
    if kind is RequestKind.PORTABILITY:
        data["records_not_provided_by_subject"] = records.excluded
    kept = outcomes.kept[:kept_limit]
    data["outcomes"] = {
        "total": outcomes.total,
        "actions": dict(outcomes.actions),
        "json": outcomes.json_path,
        "csv": outcomes.csv_path,
    }
    data["kept"] = {
        "count": outcomes.kept_total,
        "listed": len(kept),
        "truncated": outcomes.kept_total > len(kept),
        "records": [
            {
                "record_id": o.record_id,
                "category": o.category,
                "basis": o.basis,
                "until": o.until.isoformat() if o.until else None,
            }
            for o in kept
        ],
    }
    return data


def _recipient(recipient: Recipient) -> dict[str, Any]:
    return {
        "name": recipient.name,
        "role": recipient.role,
        "categories": list(recipient.categories),
        "since": recipient.since.isoformat() if recipient.since else None,
        "country": recipient.country or None,
        "safeguard": recipient.safeguard or None,
        "purpose": recipient.purpose or None,
        "source": recipient.source,
    }
