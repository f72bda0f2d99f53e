"""Erasing the subject's partners in Odoo, one step at a time.

A partner is deleted where Odoo allows it (``unlink`` takes its chatter and followers with
it). Otherwise it is anonymised field by field, each field reported:

- on invoices still within their retention (a :class:`Hold`), it keeps what they show of
  their customer (name, address, VAT: ``invoice_partner_display_name`` is computed from the
  partner) until the latest until-date, ``KEPT`` per field; the scheduled erasure then
  anonymises it whole;
- a field Odoo would copy to another partner (:func:`.odoo_partners.synced_fields`) is not
  written, ``UNCHANGED`` naming that partner;
- every other personal field is cleared (``ERASED`` per field that held a value), its chatter
  messages (their ``mail.tracking.value`` rows go with them) and followers are deleted, and
  it is archived.

The subject's ``mail.blacklist`` entries are reported ``KEPT``: they are what keeps mailings
away.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from dsr_core.model import Action, Outcome
from dsr_core.systems import PermanentError

from .odoo_partners import INVOICE_FIELDS as INVOICE_KEPT_FIELDS
from .odoo_partners import NO_TRACKING, PartnerWriter, same, synced_fields

if TYPE_CHECKING:
    from .odoo import OdooSystem

PARTNER = "res.partner"
MESSAGE = "mail.message"
FOLLOWER = "mail.followers"
BLACKLIST = "mail.blacklist"
ANONYMISED_PREFIX = "Anonymised "
#: Fields cleared when a partner is anonymised (those the database has).
ANONYMISED_FIELDS = (
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "vat",
    "website",
    "function",
    "comment",
    "image_1920",
)


class Hold:
    """The kept invoices a partner is on: the latest until-date and their ids."""

    def __init__(self) -> None:
        self.until: date | None = None
        self.records: list[str] = []

    def add(self, kept: Outcome) -> None:
        self.records.append(kept.record_id)
        if kept.until is not None and (self.until is None or kept.until > self.until):
            self.until = kept.until

    def outcome(self, record_id: str, basis: str) -> Outcome:
        shown = ", ".join(self.records[:5]) + (" ..." if len(self.records) > 5 else "")
        return Outcome(
            record_id,
            "contact",
            Action.KEPT,
            basis=basis,
            until=self.until,
            detail=f"shown on kept invoices {shown}",
        )


class PartnerEraser:
    """The partners of one erasure step, children before parents."""

    def __init__(
        self,
        system: OdooSystem,
        watched: tuple[str, ...],
        *,
        referenced: set[int],
        holds: Mapping[int, Hold],
        dry_run: bool,
    ) -> None:
        self.system = system
        self.writer = PartnerWriter(system, watched)
        self.referenced = referenced
        self.holds = holds
        self.dry_run = dry_run
        self.gone: set[int] = set()  # deleted in this step: no longer anyone's child

    def erase(self, partner: Mapping[str, Any]) -> list[Outcome]:
        """Delete the partner; where Odoo refuses (invoices, orders), anonymise it.

        A partner on invoices still within their retention keeps what they show of their
        customer (name, address, VAT) until then, and loses everything else now."""
        from .odoo_client import OdooError

        pid = int(partner["id"])
        record_id = f"{PARTNER}/{pid}"
        if is_anonymised(partner):
            return [Outcome(record_id, "contact", Action.UNCHANGED, detail="already anonymised")]
        hold = self.holds.get(pid)
        if hold is not None:  # Odoo would refuse the delete: the invoices reference it
            return self._anonymise(partner, hold, why="")
        if self.dry_run:
            if pid in self.referenced:
                return self._anonymise(partner, None, why="referenced by kept records")
            return [Outcome(record_id, "contact", Action.ERASED, detail=_dry(True))]
        try:
            self.system._api().call(PARTNER, "unlink", ids=[pid], context=NO_TRACKING)
        except OdooError as exc:
            if not (exc.is_missing or exc.refuses_delete):
                raise
            if not exc.is_missing:
                why = f"Odoo refused to delete it ({exc.kind or 'referenced'})"
                return self._anonymise(partner, None, why=why)
        self.gone.add(pid)
        detail = "its messages and followers with it (mail.thread.unlink)"
        return [Outcome(record_id, "contact", Action.ERASED, detail=detail)]

    def _anonymise(
        self, partner: Mapping[str, Any], hold: Hold | None, *, why: str
    ) -> list[Outcome]:
        """Clear the partner's personal fields, its chatter and followers, and archive it.

        Fields Odoo would copy to another partner (a contact's address is its company's)
        are not written; fields kept invoices need stay (``hold``). Per field the outcome
        says what happened; Odoo may refuse part of the write (a VAT number on posted
        invoices, archiving a contact of an active user): those fields are left and named.
        """
        from .odoo_client import OdooError

        pid = int(partner["id"])
        record_id = f"{PARTNER}/{pid}"
        types = self.system._field_types(PARTNER)
        synced = synced_fields(partner, self.writer.children_of(pid, self.gone))
        kept = set(INVOICE_KEPT_FIELDS) if hold else set()
        digest = self.system.context.anonymise(record_id).removeprefix("anon-")
        values: dict[str, Any] = {}
        per_field: dict[str, Outcome] = {}
        for name in dict.fromkeys(("name", *ANONYMISED_FIELDS, *INVOICE_KEPT_FIELDS)):
            if name not in types:
                continue
            held_value = partner.get(name) not in (None, False, "")
            field_id = f"{record_id}#{name}"
            if name in synced:  # first: it is another partner's as much as this one's
                if held_value:
                    per_field[field_id] = Outcome(
                        field_id, "contact", Action.UNCHANGED, detail=f"not written: {synced[name]}"
                    )
            elif name in kept:
                if held_value and hold is not None:
                    per_field[field_id] = hold.outcome(
                        field_id, self.system.options.retention_basis
                    )
            elif name in ANONYMISED_FIELDS or name == "name":
                values[name] = f"{ANONYMISED_PREFIX}{digest}" if name == "name" else False
                if held_value:
                    per_field[field_id] = Outcome(
                        field_id, "contact", Action.ERASED, detail=_dry(self.dry_run)
                    )
        if "active" in types and partner.get("active", True):
            values["active"] = False
        values = {
            k: v for k, v in values.items() if k == "image_1920" or not same(partner.get(k), v)
        }
        outcomes = self._erase_chatter(pid)
        refused: list[str] = []
        if values and not self.dry_run:
            for drop in ("", "vat", "active"):
                if drop:
                    if drop not in values:
                        continue
                    values.pop(drop)
                    refused.append(drop)
                    field_id = f"{record_id}#{drop}"
                    if field_id in per_field:
                        per_field[field_id] = Outcome(
                            field_id,
                            "contact",
                            Action.UNCHANGED,
                            detail="Odoo refused to change it",
                        )
                try:
                    self.writer.write(partner, values)
                    break
                except OdooError as exc:
                    if not exc.is_user_error:
                        raise
            else:
                raise PermanentError(
                    f"odoo: {record_id} could neither be deleted nor anonymised; do it by hand"
                )
        changed = sorted(values)
        if not (set(changed) - {"image_1920"}) and not outcomes:
            action, detail = Action.UNCHANGED, "already done"
        elif hold is not None and hold.until is not None:
            action = Action.ANONYMISED
            detail = (
                f"on invoices kept until {hold.until.isoformat()}: their name, address and VAT "
                "stay until then (the scheduled erasure anonymises it), the rest is erased"
            )
        else:
            action, detail = Action.ANONYMISED, f"{why}: anonymised"
        if refused:
            detail += f"; Odoo refused to change {', '.join(refused)}"
        if self.dry_run:
            detail = f"dry run: {detail}"
        kept_fields = [n.split("#")[1] for n, o in per_field.items() if o.action == Action.KEPT]
        record = Outcome(
            record_id,
            "contact",
            action,
            detail=detail,
            fields={"changed": changed, "kept": kept_fields, "not_written": sorted(synced)},
        )
        return [record, *per_field.values(), *outcomes]

    def _erase_chatter(self, pid: int) -> list[Outcome]:
        """Delete the partner's chatter messages (their tracking values go with them,
        ``ondelete='cascade'``) and followers: the history of the values being erased."""
        from .odoo_client import OdooError

        if not (self.system._has_model(MESSAGE) and self.system._has_model(FOLLOWER)):
            return []
        tracking = self.system._existing(MESSAGE, ["tracking_value_ids"])  # admins only
        on_partner: list[Any] = ["&", ["model", "=", PARTNER], ["res_id", "=", pid]]
        messages = list(self.system._search_read(MESSAGE, on_partner, ["id", *tracking]))
        follows: list[Any] = [
            "|",
            "&",
            ["res_model", "=", PARTNER],
            ["res_id", "=", pid],
            ["partner_id", "=", pid],
        ]
        followers = list(self.system._search_read(FOLLOWER, follows, ["id"]))
        outcomes: list[Outcome] = []
        for model, rows in ((MESSAGE, messages), (FOLLOWER, followers)):
            if not rows:
                continue
            if not self.dry_run:
                try:
                    self.system._api().call(
                        model, "unlink", ids=[int(r["id"]) for r in rows], context=NO_TRACKING
                    )
                except OdooError as exc:
                    if not exc.is_missing:
                        raise PermanentError(
                            f"odoo: Odoo refused to delete the {model} of {PARTNER}/{pid} "
                            f"({exc.kind or 'refused'}); let the API user delete them, or "
                            "delete them by hand, and run the erasure again"
                        ) from None
            for row in rows:
                outcomes.append(
                    Outcome(
                        f"{model}/{row['id']}",
                        "contact",
                        Action.ERASED,
                        detail=_dry(self.dry_run) or f"chatter of {PARTNER}/{pid}",
                    )
                )
                for value in row.get("tracking_value_ids") or []:
                    outcomes.append(
                        Outcome(
                            f"mail.tracking.value/{value}",
                            "contact",
                            Action.ERASED,
                            detail=_dry(self.dry_run)
                            or f"a tracked change, with {model}/{row['id']}",
                        )
                    )
        return outcomes

    def blacklist_kept(self, emails: set[str]) -> list[Outcome]:
        """The subject's ``mail.blacklist`` entries stay (they are what keeps mailings away);
        reported as kept with their basis."""
        if not emails or not self.system._has_model(BLACKLIST):
            return []
        domain: list[Any] = [["email", "in", sorted(emails)], ["active", "=", True]]
        until = self.system.options.blacklist_retention.after(self.system.context.today())
        return [
            Outcome(
                f"{BLACKLIST}/{row['id']}",
                "marketing",
                Action.KEPT,
                basis=self.system.options.blacklist_basis,
                until=until,
                detail="suppression list: reported again then, while the objection stands",
            )
            for row in self.system._search_read(BLACKLIST, domain, ["id"])
        ]


def is_anonymised(partner: Mapping[str, Any]) -> bool:
    name = partner.get("name")
    return (
        isinstance(name, str)
        and name.startswith(ANONYMISED_PREFIX)
        and not partner.get("email")
        and not partner.get("active", False)
    )


def _dry(dry_run: bool) -> str:
    return "dry run: nothing changed" if dry_run else ""
