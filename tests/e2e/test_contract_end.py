"""A contract's end and a running contract, end to end on the realistic installation.

The same installation as ``test_one_subject`` (its own copy: module-scoped), with two keys
staff set for it: the CRM tells a running contract (a number still held: ``number_history``
without an end), and the technical dossiers are erased when the contract ends
(``on_termination = "erase"``). Jan Peeters still holds his numbers, so:

1. his erasure erases nothing anywhere until staff confirm (exit 5, the CRM, the call log
   and the dossiers byte for byte as before);
2. his contract's end (``request new termination --customer-id crm:1001``) erases his dossier
   only: the company he is the contact of keeps its dossier, the CRM and the call log are
   left alone and named so;
3. confirmed by staff, the erasure goes through, with the decision on the trail.
"""

from __future__ import annotations

import pytest

from . import installation
from .conftest import Site
from .installation import COMPANY, JAN, JAN_EMAIL, JAN_MOBILE, MARC

JAN_ARGS = ("--email", JAN_EMAIL, "--phone", JAN_MOBILE)
RECEIVED = "2026-11-30"
ACTIVE = (
    "EXISTS (SELECT 1 FROM number_history h WHERE h.customer_id = customers.id "
    "AND h.valid_to IS NULL)"
)


@pytest.fixture(scope="module")
def contracts(site: Site) -> Site:
    """Staff's two keys, written into the installation's dsr.toml."""
    text = site.inst.config.read_text(encoding="utf-8")
    text = text.replace(
        'root = "customers"\n', f'root = "customers"\nactive_contract = "{ACTIVE}"\n', 1
    )
    text = text.replace(
        'customer_id_from = "crm"\n', 'customer_id_from = "crm"\non_termination = "erase"\n', 1
    )
    site.inst.config.write_text(text, encoding="utf-8")
    return site


def _state(site: Site) -> tuple[object, ...]:
    """What the held erasure must not change: the CRM, the call log, the dossiers."""
    return (
        installation.dump(site.inst.crm_url),
        installation.tree_digest(site.inst.pbx),
        installation.tree_digest(site.inst.dossiers),
    )


@pytest.fixture(scope="module")
def held(contracts: Site) -> tuple[str, object, object]:
    dsr = contracts.dsr
    before = _state(contracts)
    new = dsr.json("request", "new", "erasure", "--name", "Jan Peeters", *JAN_ARGS,
                   "--received", RECEIVED, "--verified", "eID read at the desk")  # fmt: skip
    out = dsr("request", "run", str(new["id"]), ok=False)
    return str(new["id"]), before, out


def test_an_erasure_of_a_running_customer_erases_nothing_anywhere(held, contracts: Site) -> None:
    rid, before, out = held
    assert out.exit_code == 5, out.stdout
    assert [line for line in out.stdout.splitlines() if line.startswith("WARNING")] == [
        "WARNING: crm: the customer's contract is still active: nothing was erased anywhere; "
        f"erase anyway with `dsr request run {rid} --confirm-active`"
    ]
    assert _state(contracts) == before
    events = contracts.dsr.json("audit", "show", rid)
    assert [e["data"]["systems"] for e in events if e["action"] == "erasure.held"] == [["crm"]]


def test_the_contract_s_end_erases_his_dossier_only(held, contracts: Site) -> None:
    dsr = contracts.dsr
    crm, calls, dossiers = _state(contracts)
    new = dsr.json("request", "new", "termination", "--name", "Jan Peeters",
                   "--customer-id", f"crm:{JAN}", "--channel", "letter")  # fmt: skip
    out = dsr("request", "verify", str(new["id"]), "--method", "written notice of 2026-11-28")

    assert out.exit_code == 0, out.stdout
    assert "left alone: crm, pbx" in out.stdout
    assert not (contracts.inst.dossiers / str(JAN)).exists()
    # the company Jan is the contact person of, and the previous holder, keep theirs
    after = installation.tree_digest(contracts.inst.dossiers)
    assert after == {k: v for k, v in dossiers.items() if not k.startswith(f"{JAN}/")}
    assert any(k.startswith(f"{COMPANY}/") for k in after)
    assert any(k.startswith(f"{MARC}/") for k in after)
    assert installation.dump(contracts.inst.crm_url) == crm
    assert installation.tree_digest(contracts.inst.pbx) == calls
    shown = dsr.json("request", "show", str(new["id"]))
    assert shown["state"] == "completed"
    assert [(t["system"], t["state"]) for t in shown["tasks"]] == [("dossier", "done")]


def test_confirmed_by_staff_the_erasure_goes_through(held, contracts: Site) -> None:
    rid, _, _ = held
    dsr = contracts.dsr
    out = dsr("request", "run", rid, "--confirm-active", ok=False)
    assert out.exit_code in (0, 5), out.stdout  # 5: the suppliers' notices wait for review
    assert "contract is still active" not in out.stdout
    crm = installation.dump(contracts.inst.crm_url)
    # his row is kept for his invoices, anonymised; the company's is untouched
    [jan] = installation.rows_of(crm, "customers", id=JAN)
    assert jan["name"] == "(erased)" and jan["phone"] is None
    assert installation.rows_of(crm, "customers", id=COMPANY)[0]["name"] == "Peeters Bouw BV"
    events = dsr.json("audit", "show", rid)
    actions = [e["action"] for e in events]
    assert actions.index("erasure.active_confirmed") < actions.index("step.started")
    confirmed = events[actions.index("erasure.active_confirmed")]
    assert confirmed["actor"] == "an.claes" and confirmed["data"]["systems"] == ["crm"]
