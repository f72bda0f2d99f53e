"""``dsr suppliers ...``: the recipients register and its disclosures."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import UserError
from ..fields import LANGUAGES
from ..recipients.terms import ROLES, SAFEGUARDS
from . import exits
from .app import echo_err, engine_context, free_text, get_app, json_option, table

_ROLES = list(ROLES)
_LANGUAGES = list(LANGUAGES)
_PROTOCOLS = ["email", "webhook", "opendsr"]


@click.group()
def suppliers() -> None:
    """The recipients register: suppliers, what was disclosed to them, and to whom."""


def _delivery(data: dict[str, Any]) -> str:
    if data["protocol"] == "email":
        return "e-mail"
    text = f"{data['protocol']} {data['webhook_url']}"
    if data["webhook_disabled"]:
        text += " (DISABLED: e-mail until fixed)"
    elif data["secret"] == "missing":
        text += f" (${data['secret_env']} not set here)"
    return text


_SAFEGUARD_HELP = (
    "For a country outside the EEA: the transfer's safeguard, adequacy, scc (standard "
    "contractual clauses), bcr (binding corporate rules) or your own words."
)


def _interactive() -> bool:
    """Whether staff can be asked: a prompt reads standard input."""
    return sys.stdin.isatty()


def _ask_safeguard(country: str | None, safeguard: str | None) -> str | None:
    """Warn about a country outside the EEA and, on a terminal, ask for the missing safeguard
    (without one and without a terminal, the register refuses in one line)."""
    from ..recipients.terms import country_code, needs_safeguard

    try:
        code = country_code(country)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not needs_safeguard(code):
        return safeguard
    echo_err(
        f"dsr: warning: {code} is outside the EEA: a transfer there needs an adequacy "
        "decision or an appropriate safeguard (Art. 44-49 GDPR), named in access reports"
    )
    if (safeguard is None or not safeguard.strip()) and _interactive():
        safeguard = click.prompt(
            f"Safeguard for transfers to {code} ({', '.join(SAFEGUARDS)} or your own words)",
            err=True,
        )
    return safeguard


def _where(data: dict[str, Any]) -> str | None:
    from ..recipients.terms import in_eea

    if not data["country"]:
        return None
    if in_eea(data["country"]):
        return f"{data['country']} (EEA)"
    return f"{data['country']} (outside the EEA; safeguard: {data['safeguard']})"


@suppliers.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(_ROLES), required=True, help="What they are to us.")
@click.option("--email", required=True, help="Where notices go (and what webhooks fall back to).")
@click.option(
    "--language",
    type=click.Choice(_LANGUAGES),
    help="Language of their notices (default: the controller's).",
)
@click.option("--webhook-url", help="Their endpoint for signed notices (https).")
@click.option(
    "--secret-env",
    metavar="VAR",
    help="The environment variable holding the webhook signing secret (never the secret).",
)
@click.option(
    "--protocol",
    type=click.Choice(_PROTOCOLS),
    help="email, webhook (signed JSON) or opendsr (default: webhook with a URL, else email).",
)
@click.option("--country", help="Two-letter code of the country where they process the data.")
@click.option("--safeguard", callback=free_text, help=_SAFEGUARD_HELP)
@click.option(
    "--alias",
    "aliases",
    callback=free_text,
    multiple=True,
    help="Another name systems use for them (repeatable).",
)
@click.option(
    "--note", callback=free_text, help="Free text for staff (contract, DPA reference...)."
)
@json_option
def add(
    name: str,
    role: str,
    email: str,
    language: str | None,
    webhook_url: str | None,
    secret_env: str | None,
    protocol: str | None,
    country: str | None,
    safeguard: str | None,
    aliases: tuple[str, ...],
    note: str | None,
) -> None:
    """Register supplier NAME.

    A --country outside the EEA needs --safeguard (asked for on a terminal).
    """
    from ..recipients import register

    app = get_app()
    safeguard = _ask_safeguard(country, safeguard)
    fields = register.SupplierFields(
        name=name,
        role=role,
        email=email,
        language=language or app.config.controller.language,
        protocol=protocol,
        webhook_url=webhook_url,
        secret_env=secret_env,
        country=country,
        aliases=aliases,
        note=note,
        safeguard=safeguard,
    )
    with app.session() as session:
        row = register.add(session, fields, actor=app.actor)
        data = register.supplier_json(row)
    lines = [f"supplier {data['id']} added: {data['name']} ({data['role']}, {data['language']})"]
    lines.append(f"notices by: {_delivery(data)}")
    if _where(data):
        lines.append(f"country: {_where(data)}")
    if data["secret"] == "missing":
        lines.append(
            f"note: ${data['secret_env']} is not set in this environment; set it where "
            "dsr sends notices"
        )
    app.emit(data, "\n".join(lines))


@suppliers.command("edit")
@click.argument("supplier")
@click.option("--role", type=click.Choice(_ROLES))
@click.option("--email")
@click.option("--language", type=click.Choice(_LANGUAGES))
@click.option("--webhook-url", help="A new endpoint (also lifts a block a 410 Gone put on it).")
@click.option("--no-webhook", is_flag=True, help="Remove the webhook: notices go by e-mail.")
@click.option("--secret-env", metavar="VAR")
@click.option("--protocol", type=click.Choice(_PROTOCOLS))
@click.option("--country")
@click.option("--safeguard", callback=free_text, help=_SAFEGUARD_HELP)
@click.option(
    "--alias",
    "aliases",
    callback=free_text,
    multiple=True,
    help="Replaces the aliases (repeatable).",
)
@click.option("--note", callback=free_text)
@click.option("--enable-webhook", is_flag=True, help="Use the endpoint again after a 410 Gone.")
@json_option
def edit(
    supplier: str,
    role: str | None,
    email: str | None,
    language: str | None,
    webhook_url: str | None,
    no_webhook: bool,
    secret_env: str | None,
    protocol: str | None,
    country: str | None,
    safeguard: str | None,
    aliases: tuple[str, ...],
    note: str | None,
    enable_webhook: bool,
) -> None:
    """Change SUPPLIER (name or id); only the options given change.

    A --country outside the EEA needs a safeguard: --safeguard, the one stored, or asked for
    on a terminal.
    """
    from ..recipients import register

    if no_webhook and webhook_url:
        raise UserError("--webhook-url and --no-webhook contradict each other")
    app = get_app()
    if country is not None:
        with app.session(readonly=True) as session:
            stored = register.get(session, supplier).safeguard
        safeguard = _ask_safeguard(country, safeguard if safeguard is not None else stored)
    keep = register.KEEP
    changes: dict[str, Any] = {
        "role": role if role is not None else keep,
        "email": email if email is not None else keep,
        "language": language if language is not None else keep,
        "protocol": protocol if protocol is not None else keep,
        "webhook_url": None if no_webhook else (webhook_url if webhook_url else keep),
        "secret_env": secret_env if secret_env is not None else (None if no_webhook else keep),
        "country": country if country is not None else keep,
        "safeguard": safeguard if safeguard is not None else keep,
        "aliases": list(aliases) if aliases else keep,
        "note": note if note is not None else keep,
    }
    if no_webhook and protocol is None:
        changes["protocol"] = "email"
    with app.session() as session:
        row = register.get(session, supplier)
        changed = register.edit(
            session, row, actor=app.actor, enable_webhook=enable_webhook, **changes
        )
        data = register.supplier_json(row)
    data["changed"] = changed
    app.emit(
        data,
        f"supplier {data['name']}: "
        + (f"changed {', '.join(changed)}" if changed else "nothing changed")
        + f"\nnotices by: {_delivery(data)}"
        + (f"\ncountry: {_where(data)}" if _where(data) else ""),
    )


@suppliers.command("list")
@json_option
def list_() -> None:
    """Every supplier, with how it receives notices."""
    from ..recipients import register

    app = get_app()
    with app.session() as session:
        data = [register.supplier_json(row) for row in register.list_all(session)]
    app.emit(
        data,
        lambda: (
            table(
                ["id", "name", "role", "lang", "contact", "notices by"],
                [
                    [d["id"], d["name"], d["role"], d["language"], d["email"], _delivery(d)]
                    for d in data
                ],
            )
            if data
            else "no suppliers yet: dsr suppliers add NAME --role ROLE --email ADDRESS"
        ),
    )


@suppliers.command("show")
@click.argument("supplier")
@json_option
def show(supplier: str) -> None:
    """A supplier, its disclosures and its notices."""
    from ..recipients import disclosures, notices, register

    app = get_app()
    today = app.today()
    with app.session() as session:
        row = register.get(session, supplier)
        data = register.supplier_json(row)
        data["disclosures"] = disclosures.batches_of(session, row)
        data["notices"] = [
            notices.notice_json(n, s, today=today)
            for n, s in notices.query(session, supplier_id=row.id)
        ]

    def text() -> str:
        lines = [
            f"supplier {data['id']}  {data['name']}  ({data['role']})",
            f"language:  {data['language']}",
            f"contact:   {data['email']}",
            f"notices:   by {_delivery(data)}",
        ]
        if data["webhook_disabled"]:
            lines.append(f"disabled:  {data['webhook_disabled_reason']}")
        if data["country"]:
            lines.append(f"country:   {_where(data)}")
        if data["aliases"]:
            lines.append(f"aliases:   {', '.join(data['aliases'])}")
        if data["note"]:
            lines.append(f"note:      {data['note']}")
        lines.append(f"disclosures ({len(data['disclosures'])}):")
        for d in data["disclosures"]:
            who = ", ".join(i["value"] for i in d["identities"])
            lines.append(
                f"  {d['on'] or 'date unknown'}  {', '.join(d['categories'])}  [{d['source']}]  "
                f"{who}"
            )
        lines.append(f"notices ({len(data['notices'])}):")
        for n in data["notices"]:
            late = "  LATE" if n["late"] else ""
            lines.append(
                f"  {n['notice_id']}  {n['kind']}  {n['state']}  confirm by {n['confirm_by']}{late}"
            )
        return "\n".join(lines)

    app.emit(data, text)


@suppliers.command("disclose")
@click.argument("supplier")
@click.option("--email", "emails", multiple=True, help="An e-mail address given (repeatable).")
@click.option("--phone", "phones", multiple=True, help="A phone number given (repeatable).")
@click.option(
    "--customer-id",
    "customer_ids",
    multiple=True,
    help="A customer id given (repeatable); SYSTEM:ID ties it to one system.",
)
@click.option("--name", "names", multiple=True, help="The name given (never matched on).")
@click.option(
    "--category",
    "categories",
    multiple=True,
    required=True,
    help="A category of data disclosed: contact, contract, call... (repeatable).",
)
@click.option("--on", "on", help="Day of the disclosure, YYYY-MM-DD (default: unknown).")
@click.option("--note", callback=free_text, help="Free text for staff (order number, reason...).")
@json_option
def disclose(
    supplier: str,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    customer_ids: tuple[str, ...],
    names: tuple[str, ...],
    categories: tuple[str, ...],
    on: str | None,
    note: str | None,
) -> None:
    """Record that a subject's data went to SUPPLIER: who (identities), what and when."""
    from .. import requests as reqs
    from ..recipients import disclosures, register

    app = get_app()
    day = reqs.parse_date(on, "disclosure date") if on else None
    if day is not None and day > app.today():
        raise UserError(f"the disclosure date {day} is in the future")
    held = disclosures.parse_identities(
        names=names,
        emails=emails,
        phones=phones,
        customer_ids=customer_ids,
        region=app.config.controller.country,
    )
    with app.session() as session:
        row = register.get(session, supplier)
        batch = disclosures.record(
            session, row, held, categories=categories, actor=app.actor, on=day, note=note
        )
        data = {
            "supplier": row.name,
            "batch": batch,
            "identities": [{"kind": h.kind, "value": h.value, "system": h.system} for h in held],
            "categories": sorted({c.strip().lower() for c in categories if c.strip()}),
            "on": day.isoformat() if day else None,
        }
    app.emit(
        data,
        f"disclosure to {data['supplier']} recorded: "
        f"{len(held)} identit{'y' if len(held) == 1 else 'ies'}, "
        f"{', '.join(data['categories'])}" + (f", on {data['on']}" if data["on"] else ""),
    )


@suppliers.command("recipients")
@click.argument("request_id")
@json_option
def recipients_(request_id: str) -> None:
    """The actual recipients of a request's subject (what the access report names)."""
    from .. import requests as reqs
    from ..recipients import disclosures

    app = get_app()
    with app.session() as session:
        row = reqs.get(session, request_id)
        found = disclosures.recipients(session, reqs.subject_of(row))
        data = {
            "request_id": row.id,
            "recipients": [disclosures.recipient_json(r, identities=True) for r in found],
        }
    items = data["recipients"]
    app.emit(
        data,
        lambda: (
            table(
                ["supplier", "role", "categories", "since", "they know the subject by"],
                [
                    [
                        r["name"],
                        r["role"],
                        ", ".join(r["categories"]),
                        r["since"] or "",
                        ", ".join(i["value"] for i in r["identities"]),
                    ]
                    for r in items
                ],
            )
            if items
            else f"request {data['request_id']}: no recipients recorded for the subject"
        ),
    )


@suppliers.command("derive")
@click.argument("request_id")
@json_option
def derive_(request_id: str) -> None:
    """Read the systems of [[notices.derive]] now and record the disclosures they show."""
    from ..recipients import derive
    from ..recipients.settings import load

    app = get_app()
    ctx = engine_context(app)
    if not load(ctx.config).derive:
        raise UserError("no [[notices.derive]] rules in dsr.toml: nothing to derive from")
    report = derive.from_systems(ctx, request_id)
    data = report.to_json()

    def text() -> str:
        lines = []
        for name, count in sorted(report.recorded.items()):
            lines.append(f"recorded: {count} disclosure{'s' if count != 1 else ''} to {name}")
        if report.already_known:
            lines.append(f"already known: {report.already_known}")
        if report.unknown_names:
            lines.append(
                "not in the register (add them, or an --alias): "
                + ", ".join(sorted(report.unknown_names))
            )
        for error in report.errors:
            lines.append(f"error: {error}")
        return "\n".join(lines) or "no disclosures found"

    app.emit(data, text)
    if report.errors:
        raise SystemExit(exits.FAILED)


def warn_unmatched(recipients: Any) -> list[dict[str, Any]]:
    """For ``dsr export`` and ``dsr request show``: a warning line per recipient named in the
    subject's records that dsr does not know, and exit code 5 (staff review); the JSON
    entries for the command's output."""
    from ..recipients.accounting import unmatched, warning_line

    missing = unmatched(recipients)
    for recipient in missing:
        echo_err(warning_line(recipient))
    if missing:
        exits.finish(exits.REVIEW)
    return [{"name": r.name, "named_in": list(r.named_in)} for r in missing]
