"""What Odoo does between partners, and what dsr therefore may write on one.

Odoo keeps some ``res.partner`` fields in sync across a partner tree
(``odoo/addons/base/models/res_partner.py``, ``write`` → ``_fields_sync``, Odoo 18 and 19):

- a child of type ``contact`` shares its parent's address (``_address_fields``: street,
  street2, zip, city, state_id, country_id): writing it on the child writes the parent
  (upstream), writing it on the parent writes every active ``contact`` child (downstream);
- a partner that is not its own commercial entity (it has a parent) shares the commercial
  entity's ``_synced_commercial_fields`` (vat): a value written on the child goes up, one
  written on the commercial entity goes down to its non-company descendants.

dsr never writes such a field when another partner would receive it (:func:`synced_fields`);
modules may extend those lists, so every write is also checked afterwards (see
``OdooSystem._write_partner``). Every write and create runs with tracking off
(:data:`NO_TRACKING`), or Odoo's chatter would record the erased values in
``mail.tracking.value``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dsr_core.systems import PermanentError

if TYPE_CHECKING:
    from .odoo import OdooSystem

PARTNER = "res.partner"
#: Read but never compared: Odoo changes them on any write.
_VOLATILE = frozenset({"create_date", "write_date"})

ADDRESS_FIELDS = ("street", "street2", "zip", "city", "state_id", "country_id")
SYNCED_COMMERCIAL_FIELDS = ("vat",)
#: What posted invoices must go on showing of their customer (name, address, VAT).
INVOICE_FIELDS = ("name", *ADDRESS_FIELDS, "vat")
#: The mail addon's context keys: no tracking values, no chatter message, no creation log.
NO_TRACKING: Mapping[str, Any] = {
    "tracking_disable": True,
    "mail_notrack": True,
    "mail_create_nolog": True,
}


def ref_id(value: Any) -> int | None:
    """The id of a many2one as Odoo reads it (``[7, "Jan"]``), or None."""
    if isinstance(value, list | tuple) and value and isinstance(value[0], int):
        return value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def synced_fields(
    partner: Mapping[str, Any], children: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """``{field: why}``: the fields Odoo would copy from ``partner`` to another partner.

    ``children`` are the partner's active children (``child_ids``)."""
    out: dict[str, str] = {}
    parent = ref_id(partner.get("parent_id"))
    if parent is not None:
        if partner.get("type") == "contact":
            why = f"the address of res.partner/{parent}, which Odoo keeps in sync with its contacts"
            out.update(dict.fromkeys(ADDRESS_FIELDS, why))
        why = f"the VAT number of res.partner/{parent}, synchronised by Odoo"
        out.update(dict.fromkeys(SYNCED_COMMERCIAL_FIELDS, why))
    contacts = [int(c["id"]) for c in children if c.get("type") == "contact"]
    if contacts:
        why = "also the address of its contacts " + ", ".join(f"res.partner/{c}" for c in contacts)
        for name in ADDRESS_FIELDS:
            out.setdefault(name, why)
    persons = [int(c["id"]) for c in children if not c.get("is_company")]
    if parent is None and persons:
        why = "also the VAT number of " + ", ".join(f"res.partner/{c}" for c in persons)
        for name in SYNCED_COMMERCIAL_FIELDS:
            out.setdefault(name, why)
    return out


def writable(value: Any) -> Any:
    """A value as read, in the form ``write`` takes it back (a many2one as its id)."""
    if isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[0], int):
        return value[0]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal as Odoo reads them (empty is False, a many2one by its id)."""
    a, b = writable(a), writable(b)
    return (a in (None, False, "") and b in (None, False, "")) or a == b


class PartnerWriter:
    """Writes on ``res.partner`` with tracking off, checked against what Odoo synchronised."""

    def __init__(self, system: OdooSystem, watched: Sequence[str]) -> None:
        self.system = system
        self.watched = [f for f in watched if f not in _VOLATILE]

    def children_of(self, pid: int, gone: set[int]) -> list[dict[str, Any]]:
        """The partner's active children (``child_ids``), those deleted this step excepted."""
        fields = self.system._existing(PARTNER, ("type", "is_company"))
        domain: list[Any] = [["parent_id", "=", pid], ["active", "=", True]]
        return [r for r in self.system._search_read(PARTNER, domain, fields) if r["id"] not in gone]

    def write(self, partner: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """Write ``values`` on one partner with tracking off, then re-read its parent and
        children: if Odoo changed any of them too (a field a module synchronises), write
        everything back and fail, naming them."""
        pid = int(partner["id"])
        parent = ref_id(partner.get("parent_id"))
        others = ([parent] if parent else []) + [int(c["id"]) for c in self.children_of(pid, set())]
        watched = self.system._existing(PARTNER, self.watched)
        before = self._snapshot(others, watched)
        self.system._api().call(PARTNER, "write", ids=[pid], vals=dict(values), context=NO_TRACKING)
        if not others:
            return
        changed = self._changed(before, watched)
        if not changed:
            return
        restore = {k: writable(partner[k]) for k in values if k in partner}
        if restore:
            self.system._api().call(PARTNER, "write", ids=[pid], vals=restore, context=NO_TRACKING)
        for oid, names in self._changed(before, watched).items():
            vals = {n: writable(before[oid].get(n, False)) for n in names}
            self.system._api().call(PARTNER, "write", ids=[oid], vals=vals, context=NO_TRACKING)
        who = ", ".join(f"{PARTNER}/{o}" for o in sorted(changed))
        fields = ", ".join(sorted({n for names in changed.values() for n in names}))
        raise PermanentError(
            f"odoo: writing {PARTNER}/{pid} also changed {who} ({fields}: Odoo synchronises "
            "them between partners); rolled back. Change them in Odoo by hand"
        )

    def _snapshot(self, ids: Sequence[int], fields: Sequence[str]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.system._search_read(PARTNER, [["id", "in", list(ids)]], fields)
        return {int(r["id"]): r for r in rows}

    def _changed(
        self, before: Mapping[int, Mapping[str, Any]], fields: Sequence[str]
    ) -> dict[int, list[str]]:
        after = self._snapshot(list(before), fields)
        out: dict[int, list[str]] = {}
        for oid, old in before.items():
            new = after.get(oid, {})
            names = [f for f in fields if not same(old.get(f), new.get(f))]
            if names:
                out[oid] = names
        return out
