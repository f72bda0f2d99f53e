"""``active_contract`` in the ``odoo`` system: does the subject's contract still run?

Odoo Community has no contract; two ways to tell are offered:

- ``active_contract = "subscriptions"``: the Subscriptions app (Odoo 17 and later, where a
  subscription is a ``sale.order``): a running contract is an order of one of the subject's
  partners whose ``subscription_state`` is ``3_progress`` (in progress) or ``4_paused``
  (``SUBSCRIPTION_PROGRESS_STATE`` in ``sale_subscription/models/sale_order.py``);
  churned (``6_churn``), renewed (``5_renewed``) and quotations do not count.
- ``active_contract = "x_contract_active"``: any boolean ``res.partner`` field (a custom
  ``x_`` field, or one a module adds), true on a partner whose contract runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsr_core.systems import PermanentError, TransientError

if TYPE_CHECKING:
    from .odoo import OdooSystem

SUBSCRIPTIONS = "subscriptions"
#: ``SUBSCRIPTION_PROGRESS_STATE`` of Odoo's sale_subscription (17.0 and later).
RUNNING_STATES = ["3_progress", "4_paused"]
PARTNER = "res.partner"
ORDER = "sale.order"


def contract_domain(system: OdooSystem, how: str, partners: list[int]) -> tuple[str, list[Any]]:
    """The model and domain whose first row means a running contract."""
    if how == SUBSCRIPTIONS:
        return ORDER, [["partner_id", "in", partners], ["subscription_state", "in", RUNNING_STATES]]
    types = system._field_types(PARTNER)  # noqa: SLF001 - the system's own cache
    if types.get(how) != "boolean" and PARTNER not in system._assumed:  # noqa: SLF001
        raise PermanentError(f"odoo: active_contract {how!r} is not a boolean res.partner field")
    return PARTNER, [["id", "in", partners], [how, "=", True]]


def contract_problems(system: OdooSystem, partner_types: dict[str, str]) -> list[str]:
    """What ``dsr systems check`` reports about ``active_contract`` (read-only)."""
    how = system.options.active_contract
    if not how:
        return []
    if how == SUBSCRIPTIONS:
        try:
            types = system._field_types(ORDER)  # noqa: SLF001
        except (PermanentError, TransientError) as exc:
            return [f"{' '.join(str(exc).split())} (needed for active_contract)"]
        if "subscription_state" not in types and ORDER not in system._assumed:  # noqa: SLF001
            return [
                'odoo: active_contract = "subscriptions" needs the Subscriptions app: '
                "sale.order has no subscription_state"
            ]
        return []
    if PARTNER not in system._assumed and partner_types.get(how) != "boolean":  # noqa: SLF001
        what = "is not a boolean field" if how in partner_types else "does not exist"
        return [f"odoo: active_contract {how!r} {what} on res.partner"]
    return []
