"""The ``odoo`` system type: customers (``res.partner``), their sale orders and invoices in Odoo.

Odoo is reached over its external API: JSON-2 on Odoo 19 and later, XML-RPC before (see
:mod:`.odoo_client`). What each request kind does:

- locate: partners whose e-mail or phone matches (broad search, exact confirmation, see
  :mod:`.odoo_match`), or whose id the subject already carries as this system's customer id.
  Returns ``Identity(CUSTOMER_ID, "<partner id>", system=<this system>)`` per partner plus the
  e-mail addresses and numbers the partners hold.
- access / portability: the partners and their child contacts (category ``contact``), sale
  orders (``contract``) and customer invoices and credit notes (``invoice``).
- erasure: invoices are kept (``KEPT`` until invoice date + ``invoice_retention``); confirmed
  orders are kept likewise, draft and cancelled ones without invoices are deleted; each partner
  is deleted (``unlink``) and, where Odoo refuses because invoices or orders still reference
  it, anonymised with ``write`` and archived (``ANONYMISED``).
- objection: every address goes on ``mail.blacklist`` (and numbers on ``phone.blacklist`` when
  configured), which every Odoo mailing honours.
- rectification: writes the given fields, from an allow-list of ``res.partner`` fields.
- restriction: Odoo has no such flag; a manual step unless ``restriction_field`` names one.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import structlog

from dsr_core.fields import Field
from dsr_core.identities import InvalidIdentity, normalise_email, parse_phone
from dsr_core.model import (
    Action,
    CheckResult,
    Identity,
    IdentityKind,
    Outcome,
    Record,
    RequestKind,
    Subject,
)
from dsr_core.systems import (
    ManualStep,
    PermanentError,
    System,
    SystemContext,
    TransientError,
)

from . import labels
from .odoo_config import CONFIG_KEYS, REQUIRED_KEYS, OdooOptions
from .odoo_contract import contract_domain, contract_problems
from .odoo_erasure import Hold, PartnerEraser
from .odoo_match import any_of, confirms, emails_in, identities_of, search_leaves
from .odoo_partners import NO_TRACKING, PartnerWriter, same, synced_fields
from .odoo_retention import Period, odoo_date

#: How many times a locate searches again with what the partners it found say.
_LOCATE_ROUNDS = 5

if TYPE_CHECKING:
    from .odoo_client import Transport

log = structlog.get_logger(__name__)

PARTNER = "res.partner"
ORDER = "sale.order"
MOVE = "account.move"
MESSAGE = "mail.message"
FOLLOWER = "mail.followers"
BLACKLIST = "mail.blacklist"
BATCH = 200


class ModelMissing(PermanentError):
    """The database has no such model (its app is not installed)."""


CONTACT_FIELDS = (
    "name",
    "type",
    "is_company",
    "parent_id",
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "zip",
    "city",
    "state_id",
    "country_id",
    "vat",
    "lang",
    "function",
    "title",
    "website",
    "ref",
    "comment",
    "active",
    "create_date",
    "write_date",
)
ORDER_FIELDS = (
    "name",
    "state",
    "date_order",
    "validity_date",
    "client_order_ref",
    "partner_id",
    "partner_invoice_id",
    "partner_shipping_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "currency_id",
    "invoice_ids",
)
INVOICE_FIELDS = (
    "name",
    "move_type",
    "state",
    "invoice_date",
    "invoice_date_due",
    "date",
    "ref",
    "invoice_origin",
    "partner_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "currency_id",
    "payment_state",
)
#: Fields every Odoo since 14 has, assumed when ``fields_get`` is refused.
STANDARD_FIELDS: Mapping[str, Mapping[str, str]] = {
    PARTNER: {
        **dict.fromkeys(
            ("name", "email", "phone", "street", "street2", "zip", "city", "vat", "function"),
            "char",
        ),
        **dict.fromkeys(("website", "ref"), "char"),
        **dict.fromkeys(("type", "lang"), "selection"),
        **dict.fromkeys(("parent_id", "state_id", "country_id", "title"), "many2one"),
        **dict.fromkeys(("is_company", "active"), "boolean"),
        **dict.fromkeys(("create_date", "write_date"), "datetime"),
        "comment": "html",
    },
    ORDER: {
        **dict.fromkeys(("name", "client_order_ref"), "char"),
        "state": "selection",
        "date_order": "datetime",
        "validity_date": "date",
        **dict.fromkeys(
            ("partner_id", "partner_invoice_id", "partner_shipping_id", "currency_id"),
            "many2one",
        ),
        **dict.fromkeys(("amount_untaxed", "amount_tax", "amount_total"), "monetary"),
        "invoice_ids": "many2many",
    },
    MOVE: {
        **dict.fromkeys(("name", "ref", "invoice_origin"), "char"),
        **dict.fromkeys(("move_type", "state", "payment_state"), "selection"),
        **dict.fromkeys(("invoice_date", "invoice_date_due", "date"), "date"),
        **dict.fromkeys(("partner_id", "currency_id"), "many2one"),
        **dict.fromkeys(("amount_untaxed", "amount_tax", "amount_total"), "monetary"),
    },
}
PHONE_FIELDS = ("phone", "mobile")
ORDER_PARTNER_FIELDS = ("partner_id", "partner_invoice_id", "partner_shipping_id")
ERASABLE_ORDER_STATES = ("draft", "cancel")


class OdooSystem(System):
    """Odoo partners, sale orders and invoices over Odoo's external API."""

    kinds = frozenset(k for k in RequestKind if k.is_gdpr)
    description = "Odoo: partners, sale orders and invoices over the external API"
    config_keys = CONFIG_KEYS
    required_keys = REQUIRED_KEYS
    titles: ClassVar[Mapping[str, str]] = labels.TITLES
    categories: ClassVar[Mapping[str, Mapping[str, str]]] = labels.ODOO_CATEGORIES
    fields: ClassVar[Mapping[str, Field]] = labels.ODOO_FIELDS

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        super().__init__(name, config, context)
        self.options = OdooOptions.parse(name, self.config, context.country)
        self._transport: Transport | None = None
        self._fields: dict[str, dict[str, str]] = {}
        self._assumed: set[str] = set()  # models whose fields were assumed, not asked

    # -- the connection ---------------------------------------------------------------------
    def _api(self) -> Transport:
        """The transport, built on first use (no network in the constructor)."""
        if self._transport is not None:
            return self._transport
        import httpx

        from .odoo_client import Json2Transport, XmlRpcTransport, server_major_version

        opts = self.options
        http = httpx.Client(timeout=opts.retry.timeout, follow_redirects=False)
        weakref.finalize(self, http.close)
        protocol = opts.protocol
        if protocol == "auto":
            major = opts.version_major
            if major is None:
                major = server_major_version(http, opts.url, opts.retry)
            protocol = "json2" if major is None or major >= 19 else "xmlrpc"
        if protocol == "json2":
            self._transport = Json2Transport(
                http, opts.url, opts.retry, api_key=opts.api_key, database=opts.database
            )
        else:
            if not (opts.database and opts.username):
                raise PermanentError(
                    f"odoo: systems.{self.name} speaks XML-RPC: set 'database' and 'username'"
                )
            self._transport = XmlRpcTransport(
                http,
                opts.url,
                opts.retry,
                api_key=opts.api_key,
                database=opts.database,
                username=opts.username,
            )
        log.info("odoo connected", system=self.name, protocol=protocol)
        return self._transport

    def _field_types(self, model: str) -> dict[str, str]:
        """``{field: type}`` of a model, asked once (fields differ between Odoo versions).

        When Odoo will not answer ``fields_get`` (a proxy or server allowing only some
        methods), the fields are taken from one record read whole, else the standard fields
        every version since 14 has are assumed.
        """
        from .odoo_client import OdooError

        if model not in self._fields:
            try:
                answer = self._api().call(model, "fields_get", attributes=["type"])
            except OdooError as exc:
                if exc.is_missing_model:
                    where = self.options.database or "the server's default"
                    raise ModelMissing(
                        f"odoo: model {model} not found in database {where!r}"
                    ) from None
                log.warning(
                    "odoo fields_get refused; guessing the fields",
                    model=model,
                    reason=type(exc).__name__,
                )
                self._assumed.add(model)
                self._fields[model] = self._guess_fields(model)
                return self._fields[model]
            if not isinstance(answer, dict):
                raise PermanentError(f"odoo: {model}.fields_get answered something unexpected")
            self._fields[model] = {
                str(k): str(v.get("type", "")) for k, v in answer.items() if isinstance(v, dict)
            }
        return self._fields[model]

    def _guess_fields(self, model: str) -> dict[str, str]:
        """The fields one record of ``model`` has (standard types where known)."""
        from .odoo_client import OdooError

        standard = assumed_fields(model, self.options.version_major)
        try:
            rows = self._api().call(
                model, "search_read", context={"active_test": False}, domain=[], limit=1
            )
        except OdooError:
            return standard
        if not (isinstance(rows, list) and rows and isinstance(rows[0], dict)):
            return standard
        return {str(k): standard.get(str(k)) or _guess_type(v) for k, v in rows[0].items()}

    def _has_model(self, model: str) -> bool:
        try:
            self._field_types(model)
        except ModelMissing:
            return False
        return True

    def _writer(self) -> PartnerWriter:
        return PartnerWriter(self, CONTACT_FIELDS)

    def _existing(self, model: str, wanted: Iterable[str]) -> list[str]:
        types = self._field_types(model)
        return [name for name in wanted if name in types]

    def _search_read(
        self, model: str, domain: list[Any], fields: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        """Every matching row, archived ones included, fetched in batches (each model's
        default order ends on ``id``, so the pages are stable)."""
        offset = 0
        previous: object = None
        while True:
            rows = self._api().call(
                model,
                "search_read",
                context={"active_test": False},
                domain=domain,
                fields=list(fields),
                offset=offset,
                limit=BATCH,
            )
            if not isinstance(rows, list):
                raise PermanentError(f"odoo: {model}.search_read answered something unexpected")
            first = rows[0].get("id") if rows and isinstance(rows[0], dict) else None
            if offset and first is not None and first == previous:
                raise PermanentError(f"odoo: {model}.search_read repeats a page; paging stopped")
            previous = first
            yield from (row for row in rows if isinstance(row, dict))
            if len(rows) < BATCH:
                return
            offset += len(rows)

    # -- health -----------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """The database, the login, and every model and field the config uses."""
        opts = self.options
        try:
            api = self._api()
            api.login()
            types = self._field_types(PARTNER)
        except (PermanentError, TransientError) as exc:
            return CheckResult(ok=False, problems=(" ".join(str(exc).split()),))
        problems = [
            f"odoo: res.partner has no field {f!r}" for f in ("email", "phone") if f not in types
        ]
        skipped: list[str] = []
        used = (
            (MOVE, "invoices = true", opts.invoices),
            (ORDER, "sale_orders = true", opts.sale_orders is not False),
            (BLACKLIST, "objection", True),
            ("phone.blacklist", "blacklist_phones = true", opts.blacklist_phones),
            (MESSAGE, "erasing the chatter", True),
            (FOLLOWER, "erasing the followers", True),
        )
        for model, why, wanted in used:
            if not wanted:
                continue
            try:
                self._field_types(model)
            except ModelMissing as exc:
                if model == ORDER and opts.sale_orders is None:
                    skipped.append(f"{ORDER}: the Sales app is not installed")
                    continue
                problems.append(f"{exc} (needed for {why})")
            except (PermanentError, TransientError) as exc:
                problems.append(" ".join(str(exc).split()))
        field = opts.restriction_field
        if field and PARTNER not in self._assumed and types.get(field) != "boolean":
            what = "is not a boolean field" if field in types else "does not exist"
            problems.append(f"odoo: restriction_field {field!r} {what} on res.partner")
        problems += contract_problems(self, types)
        details: dict[str, Any] = {"protocol": api.protocol, "database": opts.database}
        if skipped:
            details["skipped"] = skipped
        return CheckResult(ok=not problems, problems=tuple(problems), details=details)

    # -- finding the subject ----------------------------------------------------------------
    def _phone_fields(self) -> list[str]:
        return self._existing(PARTNER, PHONE_FIELDS)

    def _own_ids(self, identities: Iterable[Identity]) -> set[int]:
        """Partner ids among ``identities``: this system's customer ids (and unqualified ones
        from the request when ``request_customer_ids`` is set)."""
        ids: set[int] = set()
        for ident in identities:
            if ident.kind != IdentityKind.CUSTOMER_ID or not ident.value.strip().isdigit():
                continue
            if ident.system == self.name or (
                ident.system is None and self.options.request_customer_ids
            ):
                ids.add(int(ident.value))
        return ids

    def _find(self, subject: Subject) -> dict[int, dict[str, Any]]:
        """The partners that are the subject: ``{id: row}`` with e-mail and phone fields."""
        region = self.options.phone_region
        emails: set[str] = set()
        for raw in subject.values(IdentityKind.EMAIL):
            try:
                emails.add(normalise_email(raw))
            except InvalidIdentity:
                continue
        phones = {
            number
            for raw in subject.values(IdentityKind.PHONE)
            if (number := parse_phone(raw, region))
        }
        ids = self._own_ids(subject.identities)
        if not (emails or phones or ids):
            return {}
        phone_fields = self._phone_fields()
        fields = ["name", "email", "active", *phone_fields]
        found: dict[int, dict[str, Any]] = {}
        leaves = search_leaves(emails, phones, phone_fields)
        if leaves:
            for row in self._search_read(PARTNER, any_of(leaves), fields):
                if confirms(row, emails, phones, phone_fields, region):
                    found[int(row["id"])] = row
        if ids:
            for row in self._search_read(PARTNER, [["id", "in", sorted(ids)]], fields):
                found[int(row["id"])] = row
        return found

    def locate(self, subject: Subject) -> Sequence[Identity]:
        """The subject's partners and their e-mails and numbers, followed to a fixed point:
        an address or number read from a partner found is searched in turn (another partner
        with the same address), so one call returns all the core would find by asking again."""
        found = self._find(subject)
        region = self.options.phone_region
        phone_fields = self._phone_fields() if found else []
        for _ in range(_LOCATE_ROUNDS):
            read = [
                Identity(IdentityKind(kind), value, source=self.name)
                for row in found.values()
                for kind, value in identities_of(row, phone_fields, region)
            ]
            grown = subject.with_identities(read)
            if len(grown.identities) == len(subject.identities):
                break
            subject = grown
            more = self._find(subject)
            if more.keys() <= found.keys():
                break
            found.update(more)
        out: list[Identity] = []
        seen: set[tuple[str, str, str | None]] = set()

        def add(ident: Identity) -> None:
            key = (str(ident.kind), ident.value, ident.system)
            if key not in seen:
                seen.add(key)
                out.append(ident)

        for pid in sorted(found):
            add(Identity(IdentityKind.CUSTOMER_ID, str(pid), system=self.name, source=self.name))
        for pid in sorted(found):
            for kind, value in identities_of(found[pid], phone_fields, region):
                add(Identity(IdentityKind(kind), value, source=self.name))
        return out

    def _partner_ids(self, subject: Subject, keys: Sequence[Identity]) -> list[int]:
        """The subject's partners: from ``keys``, else located afresh."""
        ids = self._own_ids(keys) or set(self._find(subject))
        return sorted(ids)

    def _partners(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The partners ``ids`` then their child contacts, depth first reversed later.

        Children are searched level by level through ``parent_id`` (archived ones included);
        ``children = "addresses"`` keeps only non-``contact`` children (invoice and delivery
        addresses), ``"none"`` none.
        """
        if not ids:
            return []
        fields = self._existing(PARTNER, CONTACT_FIELDS)
        rows = list(self._search_read(PARTNER, [["id", "in", list(ids)]], fields))
        seen = {int(r["id"]) for r in rows}
        frontier = sorted(seen)
        for _depth in range(5):
            if self.options.children == "none" or not frontier:
                break
            domain: list[Any] = [["parent_id", "in", frontier]]
            if self.options.children == "addresses":
                domain = ["&", ["type", "!=", "contact"], *domain]
            level = [r for r in self._search_read(PARTNER, domain, fields) if r["id"] not in seen]
            seen.update(int(r["id"]) for r in level)
            rows.extend(level)
            frontier = [int(r["id"]) for r in level]
        return rows

    def _orders(self, partner_ids: Sequence[int]) -> list[dict[str, Any]]:
        wanted = self.options.sale_orders
        if wanted is False or not partner_ids:
            return []
        if wanted is None and not self._has_model(ORDER):  # "auto": if Sales is installed
            return []
        refs = self._existing(ORDER, ORDER_PARTNER_FIELDS)
        domain = any_of([name, "in", list(partner_ids)] for name in refs)
        return list(self._search_read(ORDER, domain, self._existing(ORDER, ORDER_FIELDS)))

    def _invoices(self, partner_ids: Sequence[int]) -> list[dict[str, Any]]:
        if not (self.options.invoices and partner_ids):
            return []
        domain = [
            ["move_type", "in", ["out_invoice", "out_refund"]],
            ["partner_id", "in", list(partner_ids)],
        ]
        return list(self._search_read(MOVE, domain, self._existing(MOVE, INVOICE_FIELDS)))

    # -- access -----------------------------------------------------------------------------
    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        partners = self._partners(self._partner_ids(subject, keys))
        ids = [int(p["id"]) for p in partners]
        for row in partners:
            yield self._record(PARTNER, "contact", row, provided=True)
        for row in self._orders(ids):
            yield self._record(ORDER, "contract", row, provided=True)
        for row in self._invoices(ids):
            yield self._record(MOVE, "invoice", row, provided=False)

    def _record(
        self, model: str, category: str, row: Mapping[str, Any], *, provided: bool
    ) -> Record:
        types = self._field_types(model)
        fields = {key: _plain(value, types.get(key, "")) for key, value in row.items()}
        return Record(
            system=self.name,
            category=category,
            record_id=f"{model}/{row['id']}",
            fields=fields,
            source=f"Odoo {model}",
            provided_by_subject=provided,
        )

    # -- erasure ----------------------------------------------------------------------------
    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        """All the work is done before the first outcome is yielded: stopping early leaves
        nothing half-changed; a failure midway is completed by running it again."""
        partners = self._partners(self._partner_ids(subject, keys))
        if not partners:
            return
        ids = [int(p["id"]) for p in partners]
        emails = {e for p in partners for e in emails_in(p.get("email"))}
        emails |= {
            e
            for i in subject.identities
            if i.kind == IdentityKind.EMAIL
            for e in emails_in(i.value)
        }
        outcomes: list[Outcome] = []
        referenced: set[int] = set()
        holds: dict[int, Hold] = {}
        today = self.context.today()
        ended: dict[int, set[int]] = {}  # outcome index -> partners: retention over
        for invoice in self._invoices(ids):
            kept = self._kept(MOVE, "invoice", invoice, "invoice_date", "date")
            refs = _refs(invoice, ("partner_id",))
            referenced |= refs
            if kept.until is not None and kept.until >= today:  # its retention still runs
                for pid in refs:
                    holds.setdefault(pid, Hold()).add(kept)
            else:
                ended[len(outcomes)] = refs
            outcomes.append(kept)
        for order in self._orders(ids):
            if _erasable_order(order):
                if not dry_run:
                    self._unlink_order(int(order["id"]))
                outcomes.append(
                    Outcome(
                        f"{ORDER}/{order['id']}", "contract", Action.ERASED, detail=_dry(dry_run)
                    )
                )
            else:
                kept = self._kept(ORDER, "contract", order, "date_order", None)
                refs = _refs(order, ORDER_PARTNER_FIELDS)
                referenced |= refs
                if kept.until is not None and kept.until < today:
                    ended[len(outcomes)] = refs
                outcomes.append(kept)
        for index, refs in ended.items():
            outcomes[index] = _retention_ended(outcomes[index], refs, holds, dry_run)
        eraser = PartnerEraser(
            self, CONTACT_FIELDS, referenced=referenced, holds=holds, dry_run=dry_run
        )
        for partner in reversed(partners):  # children before their parents
            outcomes.extend(eraser.erase(partner))
        outcomes.extend(eraser.blacklist_kept(emails))
        log.info("odoo erasure done", system=self.name, outcomes=len(outcomes), dry_run=dry_run)
        yield from outcomes

    def _kept(
        self, model: str, category: str, row: Mapping[str, Any], date_field: str, other: str | None
    ) -> Outcome:
        period: Period = (
            self.options.invoice_retention if model == MOVE else self.options.order_retention
        )
        start = odoo_date(row.get(date_field)) or (odoo_date(row.get(other)) if other else None)
        detail = f"kept {period} after its date"
        if start is None:
            start = self.context.today()
            detail = f"undated: kept {period} from today"
        return Outcome(
            f"{model}/{row['id']}",
            category,
            Action.KEPT,
            basis=self.options.retention_basis,
            until=period.after(start),
            detail=detail,
        )

    def _unlink_order(self, order_id: int) -> None:
        from .odoo_client import OdooError

        try:
            self._api().call(ORDER, "unlink", ids=[order_id], context=NO_TRACKING)
        except OdooError as exc:
            if exc.is_missing:
                return
            raise PermanentError(
                f"odoo: sale.order/{order_id} could not be deleted ({exc.kind or 'refused'}); "
                "cancel it in Odoo and run the erasure again"
            ) from None

    # -- objection --------------------------------------------------------------------------
    def object(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        """Blacklist every address (``mail.blacklist``), numbers too with ``blacklist_phones``.

        ``mail.blacklist._add`` is private (Odoo refuses to run ``_`` methods remotely) and the
        partner's ``is_blacklisted`` is computed, not writable; a ``mail.blacklist`` record is
        what every mass mailing checks, so it is created (or re-activated) directly.
        """
        region = self.options.phone_region
        ids = self._partner_ids(subject, keys)
        # the subject's own partners and their addresses, not the people filed under them
        partners = [p for p in self._partners(ids) if p["id"] in ids or p.get("type") != "contact"]
        emails: set[str] = set()
        phones: set[str] = set()
        for ident in (*subject.identities, *keys):
            if ident.kind == IdentityKind.EMAIL:
                emails |= emails_in(ident.value)
            elif ident.kind == IdentityKind.PHONE:
                number = parse_phone(ident.value, region)
                if number:
                    phones.add(number)
        phone_fields = self._phone_fields() if partners else []
        for partner in partners:
            for kind, value in identities_of(partner, phone_fields, region):
                (emails if kind == "email" else phones).add(value)
        outcomes = [self._blacklist("mail.blacklist", "email", e, dry_run) for e in sorted(emails)]
        if self.options.blacklist_phones:
            outcomes += [
                self._blacklist("phone.blacklist", "number", n, dry_run) for n in sorted(phones)
            ]
        yield from outcomes

    def _blacklist(self, model: str, field: str, value: str, dry_run: bool) -> Outcome:
        rows = list(self._search_read(model, [[field, "=", value]], ["id", "active"]))
        active = [r for r in rows if r.get("active", True)]
        if active:
            return Outcome(
                f"{model}/{active[0]['id']}", "marketing", Action.UNCHANGED, fields={field: value}
            )
        if dry_run:
            record_id = f"{model}/{rows[0]['id']}" if rows else f"{model}/new"
            return Outcome(
                record_id, "marketing", Action.OPTED_OUT, detail=_dry(True), fields={field: value}
            )
        if rows:
            self._api().call(
                model, "write", ids=[int(rows[0]["id"])], vals={"active": True}, context=NO_TRACKING
            )
            new_id = int(rows[0]["id"])
        else:
            created = self._api().call(
                model, "create", vals_list=[{field: value}], context=NO_TRACKING
            )
            new_id = int(created[0] if isinstance(created, list) else created)
        return Outcome(f"{model}/{new_id}", "marketing", Action.OPTED_OUT, fields={field: value})

    # -- rectification ----------------------------------------------------------------------
    def rectify(
        self,
        subject: Subject,
        keys: Sequence[Identity],
        changes: Mapping[str, Any],
        *,
        dry_run: bool,
    ) -> Iterator[Outcome]:
        """Write ``changes`` on the subject's own partners (not on child contacts)."""
        allowed = set(self.options.rectifiable) & set(self._field_types(PARTNER))
        refused = sorted(set(changes) - allowed)
        if refused:
            raise PermanentError(
                f"odoo: cannot rectify {', '.join(refused)}: not among the rectifiable fields "
                f"({', '.join(sorted(allowed))})"
            )
        values = {key: self._checked(key, value) for key, value in changes.items()}
        ids = self._partner_ids(subject, keys)
        fields = sorted({*values, *self._existing(PARTNER, ("parent_id", "type"))})
        rows = list(self._search_read(PARTNER, [["id", "in", ids]], fields)) if ids else []
        diffs: dict[int, dict[str, Any]] = {}
        for row in rows:  # every refusal before the first write
            diff = {k: v for k, v in values.items() if not same(row.get(k), v)}
            diffs[int(row["id"])] = diff
            synced = (
                synced_fields(row, self._writer().children_of(int(row["id"]), set()))
                if diff
                else {}
            )
            blocked = sorted(set(diff) & set(synced))
            if blocked:
                raise PermanentError(
                    f"odoo: cannot rectify {', '.join(blocked)} on {PARTNER}/{row['id']}: it is "
                    f"{synced[blocked[0]]}; correct it there or by hand"
                )
        outcomes: list[Outcome] = []
        for row in rows:
            diff = diffs[int(row["id"])]
            record_id = f"{PARTNER}/{row['id']}"
            if not diff:
                outcomes.append(Outcome(record_id, "contact", Action.UNCHANGED))
                continue
            if not dry_run:
                self._writer().write(row, diff)
            outcomes.append(
                Outcome(record_id, "contact", Action.RECTIFIED, detail=_dry(dry_run), fields=diff)
            )
        yield from outcomes

    def _checked(self, key: str, value: Any) -> Any:
        """A new value as Odoo takes it; refuses what is not a plausible value for ``key``."""
        if value is None or value is False or value == "":
            return False
        if not isinstance(value, str):
            raise PermanentError(f"odoo: the new {key} must be text")
        if key == "email":
            try:
                return normalise_email(value)
            except InvalidIdentity:
                raise PermanentError("odoo: the new email is not a valid address") from None
        if key in PHONE_FIELDS and parse_phone(value, self.options.phone_region) is None:
            raise PermanentError(f"odoo: the new {key} is not a valid phone number")
        return value.strip()

    # -- a running contract -----------------------------------------------------------------
    def active_contract(self, subject: Subject, keys: Sequence[Identity]) -> bool | None:
        """Whether the subject's partners (and their child contacts) have a running contract,
        as ``active_contract`` says to tell (odoo_contract.py); None without it."""
        how = self.options.active_contract
        if not how:
            return None
        partners = [int(row["id"]) for row in self._partners(self._partner_ids(subject, keys))]
        if not partners:
            return False
        model, domain = contract_domain(self, how, partners)
        return next(iter(self._search_read(model, domain, ["id"])), None) is not None

    # -- restriction ------------------------------------------------------------------------
    def restrict(
        self, subject: Subject, keys: Sequence[Identity], *, lift: bool, dry_run: bool
    ) -> Iterator[Outcome]:
        field = self.options.restriction_field
        ids = self._partner_ids(subject, keys)
        if not field:
            what = ", ".join(f"{PARTNER}/{i}" for i in ids) or "the subject's partners"
            verb = "Lift the restriction on" if lift else "Restrict"
            raise ManualStep(
                f"{verb} {what} in Odoo by hand: Odoo has no restriction flag. Tag or archive "
                "them as your procedure says, and make sure no one processes them meanwhile "
                "(or set restriction_field to a boolean res.partner field)."
            )
        types = self._field_types(PARTNER)
        if types.get(field) != "boolean" and PARTNER not in self._assumed:
            raise PermanentError(f"odoo: restriction_field {field!r} is not a boolean field")
        want = not lift
        action = Action.UNRESTRICTED if lift else Action.RESTRICTED
        outcomes: list[Outcome] = []
        partners = self._partners(ids)
        partner_ids = [int(row["id"]) for row in partners]
        domain: list[Any] = [["id", "in", partner_ids]]
        current = {int(r["id"]): r for r in self._search_read(PARTNER, domain, [field])}
        for row in partners:
            pid = int(row["id"])
            record_id = f"{PARTNER}/{pid}"
            if bool(current.get(pid, {}).get(field)) == want:
                outcomes.append(Outcome(record_id, "contact", Action.UNCHANGED))
                continue
            if not dry_run:
                self._writer().write(row, {field: want})
            outcomes.append(Outcome(record_id, "contact", action, detail=_dry(dry_run)))
        yield from outcomes


def assumed_fields(model: str, major: int | None) -> dict[str, str]:
    """The standard fields of ``model`` (``mobile`` only where known to exist: before 18)."""
    types = dict(STANDARD_FIELDS.get(model, {}))
    if model == PARTNER and major is not None and major < 18:
        types["mobile"] = "char"
    return types


def _guess_type(value: Any) -> str:
    if value is True:
        return "boolean"
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int):
        if isinstance(value[1], str):
            return "many2one"
    return ""


def _plain(value: Any, kind: str) -> Any:
    """An Odoo value for the export: a many2one as its name, False as None (but booleans)."""
    if kind == "many2one":
        if isinstance(value, list | tuple) and len(value) == 2:
            return value[1]
        return None if value is False else value
    if value is False and kind != "boolean":
        return None
    return value


def _refs(row: Mapping[str, Any], fields: Iterable[str]) -> set[int]:
    """Partner ids a row's many2one fields point to."""
    ids: set[int] = set()
    for name in fields:
        value = row.get(name)
        if isinstance(value, list | tuple) and value and isinstance(value[0], int):
            ids.add(value[0])
        elif isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
    return ids


def _erasable_order(order: Mapping[str, Any]) -> bool:
    """A quotation never confirmed (draft) or cancelled, with no invoice: nothing keeps it."""
    return order.get("state") in ERASABLE_ORDER_STATES and not order.get("invoice_ids")


def _retention_ended(
    kept: Outcome, refs: set[int], holds: Mapping[int, Hold], dry_run: bool
) -> Outcome:
    """An invoice or order whose retention is over: Odoo keeps a posted entry, but the
    partners it names are anonymised, unless newer invoices still hold them (then it shows
    their name, address and VAT until those invoices' retention ends)."""
    ended = kept.until.isoformat() if kept.until is not None else "?"
    held = [holds[pid] for pid in sorted(refs) if pid in holds and holds[pid].until is not None]
    if held:
        until = max(h.until for h in held if h.until is not None)
        return kept._replace(
            until=until,
            detail=(
                f"its own retention ended on {ended}; it shows the customer's name, address "
                f"and VAT, which newer invoices keep until {until.isoformat()}"
            ),
        )
    verb = "would name" if dry_run else "names"
    return Outcome(
        kept.record_id,
        kept.category,
        Action.ANONYMISED,
        detail=(
            f"its retention ended on {ended}: Odoo keeps the entry, which now {verb} only the "
            "anonymised contact"
        ),
    )


def _dry(dry_run: bool) -> str:
    return "dry run: nothing changed" if dry_run else ""
