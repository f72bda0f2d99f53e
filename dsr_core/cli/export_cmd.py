"""``dsr export ID``: the request's bundle, and its transmission to another controller."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import UserError
from ..staff import require_technical_staff
from ..unread import unread_count
from .app import echo_err, engine_context, get_app, json_option
from .init_cmd import check_folder

#: Task states of a system that was not (fully) searched: its data may be missing.
UNSEARCHED = ("failed", "not_searched", "pending", "running")


@click.command()
@click.argument("request_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Where to write the zip (default: <home>/exports/).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing file at PATH.")
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the zip (AES-256, opens in 7-Zip, "
    "WinZip, Keka); the password comes from --password-env or a prompt.",
)
@click.option(
    "--include-secrets",
    is_flag=True,
    help="Export credentials in clear: technical "
    "staff only, always encrypted, recorded on the audit trail.",
)
@click.option(
    "--password-env",
    metavar="VAR",
    default="DSR_EXPORT_PASSWORD",
    show_default=True,
    help="Environment variable holding the password (never on the command line).",
)
@click.option(
    "--send-to",
    metavar="URL",
    help="Portability (Art. 20(2)): also send the bundle "
    "to this HTTPS endpoint of the subject's new controller.",
)
@click.option(
    "--partial",
    is_flag=True,
    help="Write the bundle although some systems failed or were not searched yet; the "
    "report and the manifest name them, in plain words.",
)
@json_option
def export(
    request_id: str,
    output: str | None,
    overwrite: bool,
    encrypt: bool,
    include_secrets: bool,
    password_env: str,
    send_to: str | None,
    partial: bool,
) -> None:
    """Write the request's export bundle: manifest, JSON and CSV per system, report.

    Refused while a system failed or was not searched, unless --partial. -o PATH must be in a
    folder that exists (the default, <home>/exports, is created).
    """
    from .. import audit
    from ..export import BundleOptions, write_bundle
    from ..export_source import bundle_inputs, default_bundle_path, record_written
    from ..model import RequestKind
    from ..recipients.accounting import record_unmatched
    from ..template_cache import FOLDER as TEMPLATES
    from .suppliers_cmd import warn_unmatched

    app = get_app()
    config = app.config
    with app.session(readonly=True) as session:
        from .. import requests as reqs

        row = reqs.get(session, request_id)
        kind = RequestKind(row.kind)
        rid = row.id
        if not row.tasks:
            raise UserError(f"request {rid} has not been run yet: dsr request run {rid}")
        if row.results_purged_at is not None:
            raise UserError(
                f"request {rid}'s results were purged on {row.results_purged_at:%Y-%m-%d}"
            )
        unsearched = [f"{t.system} ({t.state})" for t in row.tasks if t.state in UNSEARCHED]
        for_review = [
            f"{t.system} ({'manual' if t.state == 'manual' else 'could not read everything'})"
            for t in row.tasks
            if t.state == "manual" or (t.state == "done" and unread_count(t.summary))
        ]
    if unsearched and not partial:
        raise UserError(
            f"request {rid} is not fully searched: {', '.join(unsearched)}; fix and "
            f"`dsr request run {rid}`, or export what there is with --partial (the bundle "
            "then names the missing systems)"
        )
    if send_to:
        if kind != RequestKind.PORTABILITY:
            raise UserError("--send-to is for portability requests (Art. 20(2))")
        from ..transmit import check_url

        check_url(send_to)
    if include_secrets:
        encrypt = True
        revealer = require_technical_staff(config.controller, "reveal credentials")
    else:
        revealer = None
    password = None
    if encrypt:
        password = os.environ.get(password_env) or None
        if password is None:
            if not sys.stdin.isatty():
                raise UserError(
                    f"set {password_env} to the bundle's password (no terminal to ask on)"
                )
            password = click.prompt(
                "Password for the bundle", hide_input=True, confirmation_prompt=True
            )
        if len(password) < 10:
            raise UserError("the bundle's password must have at least 10 characters")
    if output:
        target = Path(output)
        check_folder(target)
    else:
        target = default_bundle_path(config, rid, kind.value)
    ctx = engine_context(app)
    request, sections, recipients = bundle_inputs(ctx, rid)
    options = BundleOptions(
        include_secrets=include_secrets,
        password=password,
        overwrite=overwrite,
        template_cache=config.home / TEMPLATES,
    )
    try:
        result = write_bundle(target, request, sections, recipients, options)
    except FileExistsError:
        raise UserError(f"{target} exists: use --overwrite or another -o PATH") from None
    digest = result.sha256
    with app.session() as session:
        record_written(
            session,
            actor=app.actor,
            request_id=rid,
            target=target,
            sha256=digest,
            sections=sections,
            encrypted=bool(password),
            secrets_revealed=include_secrets,
            partial=bool(unsearched),
        )
        record_unmatched(session, recipients, actor=app.actor, request_id=rid)
        if include_secrets:
            audit.append(
                session,
                "secrets.revealed",
                actor=app.actor,
                request_id=rid,
                data={"file": target.name, "os_user": revealer},
            )
    sent = None
    if send_to:
        from ..transmit import send_bundle

        sent = send_bundle(target, send_to, request_id=rid, sha256=digest)
        with app.session() as session:
            audit.append(
                session,
                "export.transmitted",
                actor=app.actor,
                request_id=rid,
                data={
                    "host": sent["host"],
                    "status": sent["status"],
                    "receipt": sent.get("receipt"),
                    "sha256": digest,
                },
            )
    data = {
        "request_id": rid,
        "path": str(target),
        "sha256": digest,
        "encrypted": bool(password),
        "records": result.records,
        "kept": result.kept,
        "files": [f.path for f in result.files],
        "sent": sent,
        "partial": bool(unsearched),
        "missing": unsearched,
    }
    for line in for_review:
        echo_err(f"dsr: warning: {line}: the bundle tells the subject staff will review it")
    data["unmatched_recipients"] = warn_unmatched(recipients)
    app.emit(
        data,
        lambda: (
            f"bundle for request {rid}: {target}"
            + (" (encrypted)" if password else "")
            + (
                f"\npartial: the bundle names what is missing: {', '.join(unsearched)}"
                if unsearched
                else ""
            )
            + (f"\nsent to {sent['host']}: HTTP {sent['status']}" if sent else "")
        ),
    )
