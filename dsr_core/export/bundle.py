"""``write_bundle``: one zip per request, written streaming.

Layout of the zip::

    data/<system>/<category>.json   every record of the category: a JSON array, one per line
    data/<system>/<category>.csv    the same rows, flat (nested values as JSON text)
    data/<system>/outcomes.json     erase / rectify / restrict / object results, per record
    data/<system>/outcomes.csv
    report.html                     the answer for people, in the controller's language
    manifest.json                   request, subject, systems, counts, kept records, checksums

Systems are written one after the other, each one's records as they arrive (see
:mod:`.records`); the report and the manifest come last. Portability bundles hold the records
the subject provided, as JSON and CSV, and the manifest; no report.

Secret fields are masked unless ``include_secrets``, which needs a ``password``: the zip is
then AES-256 encrypted (WinZip AE-2, readable by 7-Zip, WinZip, WinRAR and Keka; see
:mod:`.zipout`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from ..model import RequestKind
from .manifest import build_manifest
from .names import UniqueNames, safe_component
from .outcomes import OutcomesResult, SystemOutcomes
from .output import SystemOutput
from .records import SystemRecords
from .report import render_report
from .types import (
    LANGUAGES,
    BundleOptions,
    BundleRequest,
    BundleResult,
    Recipient,
    SystemSection,
)
from .values import encode_text, json_default
from .zipout import ZipOut

REPORT = "report.html"
MANIFEST = "manifest.json"


def write_bundle(
    target: str | os.PathLike[str],
    request: BundleRequest,
    systems: Sequence[SystemSection],
    recipients: Sequence[Recipient] = (),
    options: BundleOptions | None = None,
) -> BundleResult:
    """Write the bundle for ``request`` to the zip file ``target``.

    ``systems`` are written in the order given; each one's ``records`` and ``outcomes``
    callables are called once and their iterators consumed lazily, so memory does not grow with
    the number of records. ``recipients`` are the subject's actual recipients (Art. 15(1)(c)).

    The zip is created owner-only (0600) under a temporary name beside ``target`` and renamed
    when complete: if anything fails (a system's iterator raising included, with a note naming
    the system) the exception propagates and nothing is left at ``target``.

    Raises :class:`ValueError` for unusable input (``include_secrets`` without a password, an
    unknown language, a naive ``generated_at``, two systems with one name),
    :class:`FileExistsError` if ``target`` exists and ``options.overwrite`` is false,
    :class:`OSError` for a disk that fails or fills up (wrapped in
    :class:`~dsr_core.export.types.BundleError` when it happens while writing the zip).
    """
    options = options or BundleOptions()
    _check(request, systems, options)
    path = Path(target)
    if not options.overwrite and path.exists():
        raise FileExistsError(f"{path} exists")
    kind = RequestKind(request.kind)
    spool_dir = options.temp_dir or path.parent
    outputs: list[SystemOutput] = []
    with ExitStack() as stack:
        out = stack.enter_context(
            ZipOut(
                path,
                password=options.password,
                compresslevel=options.compresslevel,
                overwrite=options.overwrite,
            )
        )
        stack.callback(lambda: [output.close() for output in outputs])
        folders = UniqueNames()
        for section in systems:
            folder = "data/" + folders.take(safe_component(section.name, "system"))
            outputs.append(
                _write_system(
                    out, section, folder, kind, options, spool_dir, request.report_language
                )
            )
        report = None
        if kind is not RequestKind.PORTABILITY:
            entry = out.stream(REPORT)
            render_report(
                entry.write,
                request,
                outputs,
                recipients,
                row_limit=options.html_rows,
                template_cache=options.template_cache,
            )
            entry.close()
            report = REPORT
        manifest = build_manifest(
            request,
            outputs,
            recipients,
            out.wait(),
            encrypted=out.encrypted,
            secrets_included=options.include_secrets,
            kept_limit=options.manifest_kept,
            report=report,
        )
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=json_default)
        out.add_bytes(MANIFEST, encode_text(text + "\n"))
        files = tuple(out.wait())
        out.commit()
    size, digest = _file_digest(path)
    return BundleResult(
        path=path,
        size=size,
        sha256=digest,
        encrypted=out.encrypted,
        files=files,
        records=sum(o.records.records for o in outputs),
        kept=sum(o.outcomes.kept_total for o in outputs),
    )


def _write_system(
    out: ZipOut,
    section: SystemSection,
    folder: str,
    kind: RequestKind,
    options: BundleOptions,
    spool_dir: Path,
    language: str,
) -> SystemOutput:
    portability = kind is RequestKind.PORTABILITY
    writer = SystemRecords(
        out,
        folder,
        mask_secrets=not options.include_secrets,
        portable_only=portability,
        preview_rows=0 if portability else options.html_rows,
        spool_dir=spool_dir,
        names=UniqueNames(reserved=("outcomes",)),
    )
    try:
        writer.write(section.records())
        records = writer.finish()
    except BaseException as exc:
        writer.discard()
        exc.add_note(f"while exporting the records of system {section.name!r}")
        raise
    if portability:
        return SystemOutput(section, folder, records, OutcomesResult())
    outcomes_writer = SystemOutcomes(
        out,
        folder,
        kept_limit=max(options.manifest_kept, options.html_rows),
        sample_limit=options.html_rows,
        spool_dir=spool_dir,
        language=language,
    )
    output = SystemOutput(section, folder, records, OutcomesResult())
    try:
        output.outcomes = outcomes_writer.write(section.outcomes())
    except BaseException as exc:
        outcomes_writer.discard()
        output.close()
        exc.add_note(f"while exporting the outcomes of system {section.name!r}")
        raise
    return output


def _check(
    request: BundleRequest, systems: Sequence[SystemSection], options: BundleOptions
) -> None:
    if options.include_secrets and options.password is None:
        raise ValueError("secrets can only be exported in an encrypted bundle")
    if options.password is not None and not options.password:
        raise ValueError("the bundle password must not be empty")
    if request.report_language not in LANGUAGES:
        raise ValueError(
            f"no report template for language {request.report_language!r}; "
            f"use one of {', '.join(LANGUAGES)}"
        )
    if request.generated_at.tzinfo is None or request.generated_at.utcoffset() is None:
        raise ValueError("generated_at must be an aware datetime")
    RequestKind(request.kind)
    seen: set[str] = set()
    for section in systems:
        if section.name in seen:
            raise ValueError(f"system {section.name!r} is given twice")
        seen.add(section.name)
    if options.html_rows < 0 or options.manifest_kept < 0:
        raise ValueError("html_rows and manifest_kept must not be negative")
    if not 0 <= options.compresslevel <= 9:
        raise ValueError("compresslevel must be between 0 and 9")


def _file_digest(path: Path) -> tuple[int, str]:
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256")
        return f.tell(), digest.hexdigest()
