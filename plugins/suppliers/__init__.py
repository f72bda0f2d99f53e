"""Built-in suppliers plugin: Art. 19 notices to the recipients of a subject's data.

The register, disclosures and notices live in the core (:mod:`dsr_core.recipients`, commands
``dsr suppliers`` and ``dsr notices``); this package holds the delivery layer (e-mail over SMTP
or to an outbox folder, signed webhooks, OpenDSR bodies) and the hooks below:

- ``dsr_request_blockers``: one line per notice neither confirmed nor waived, and per recipient
  without a notice yet: the request waits in ``awaiting_confirmations`` and cannot be closed;
- ``dsr_request_created``: for an erasure, rectification or restriction, derives the subject's
  recipients from the systems named in ``[[notices.derive]]`` before those systems change.

Importing it stays cheap (the CLI loads every plugin at start-up): everything heavy is imported
inside the hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsr_core import hookimpl

if TYPE_CHECKING:
    from dsr_core.model import RequestInfo


@hookimpl
def dsr_request_blockers(request: RequestInfo) -> list[str]:
    """What keeps the request from completing on the suppliers' side, one line each."""
    if not request.kind.notifies_recipients:
        return []
    from dsr_core.recipients.context import current_store
    from dsr_core.recipients.notices import blockers

    with current_store().session(readonly=True) as session:
        return blockers(session, request.id)


@hookimpl
def dsr_request_created(request: RequestInfo) -> None:
    """Derive the recipients of an erasure, rectification or restriction while the systems
    still hold the records naming them (a CRM's carrier column)."""
    if not request.kind.notifies_recipients:
        return
    import click

    from dsr_core.errors import UserError
    from dsr_core.recipients import derive
    from dsr_core.recipients.context import current_engine

    ctx = current_engine()
    try:
        if not derive.needs_lookup(ctx, request.kind):
            return
    except UserError as exc:  # a broken [notices] table: say so now, not at the first notice
        click.echo(f"dsr: warning: {exc}", err=True)
        return
    report = derive.from_systems(ctx, request.id)
    if report.errors:
        for error in report.errors:
            click.echo(
                f"dsr: warning: recipients could not be derived from {error}; "
                f"run `dsr suppliers derive {request.id}` once it is reachable",
                err=True,
            )
