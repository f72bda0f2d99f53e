"""``dsr purge``: remove dsr's own copies of personal data past their period (for cron)."""

from __future__ import annotations

import click

from .app import get_app, json_option


@click.command()
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@json_option
def purge(dry_run: bool) -> None:
    """Remove task results, bundles and old requests past [retention] (see docs/privacy.md)."""
    from ..purge import purge as run_purge

    app = get_app()
    report = run_purge(app.store, app.config, today=app.today(), actor=app.actor, dry_run=dry_run)
    data = report.to_json()
    retention = app.config.retention

    def text() -> str:
        verb = "would remove" if dry_run else "removed"
        lines = [
            f"results and bundles {verb}: {len(report.results)} request(s)"
            + (f" ({', '.join(map(str, sorted(report.results)))})" if report.results else "")
            + f", {len(report.bundles)} bundle file(s)",
            f"requests {verb}: {len(report.requests)}"
            + (f" ({', '.join(map(str, sorted(report.requests)))})" if report.requests else ""),
        ]
        for rid, why in sorted(report.held.items()):
            lines.append(f"request {rid} kept past {retention.keep_requests_for}: {why}")
        lines.append(
            f"(keep_results_for = {retention.keep_results_for}, "
            f"keep_requests_for = {retention.keep_requests_for})"
        )
        return "\n".join(lines)

    app.emit(data, text)
