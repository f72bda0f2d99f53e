"""One subject through every request kind, across the CRM, the call log, the dossiers and the
suppliers, on PostgreSQL, through the command line only.

The story, in order (module fixtures, each run once): Jan Peeters (customer 1001, and contact
501 of the company Peeters Bouw BV) asks for access; Marc De Vos, who held Jan's landline until
2026-11-30, asks for access; Jan asks again giving his landline himself; Jan has his address
rectified, his data restricted (then the restriction lifted), objects to direct marketing;
Marc has his data erased; Jan has his erased (a dry run first), then staff run the same
erasure again and record a new one. Each test checks what a user would notice: the records in
the export, the rows in the real CRM database, the lines in the real ``Master.csv``, the dossier
folders, the notices in the outbox, and that nobody else's data moved: not the previous holder,
not the company, not Jan's colleague Sarah. The tests only look; the expectations come from
the fixture's own scenario list and the installation's data, never from the code under test."""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass
from typing import Any

import pytest

from . import calllog, installation
from .conftest import Site
from .installation import (
    BAKERY,
    COLLEAGUE,
    COLLEAGUE_PHONE,
    COMPANY,
    JAN,
    JAN_CONTACT,
    JAN_EMAIL,
    JAN_MOBILE,
    JAN_WORK_EMAIL,
    LANDLINE,
    MARC,
    MARC_EMAIL,
)
from .steps import Done, Tables, carry_out, changes, finish, known_by, look, record, run

pytestmark = pytest.mark.postgres

RECEIVED = "2026-11-30"
JAN_ARGS = ("--email", JAN_EMAIL, "--phone", JAN_MOBILE)
MOBILE_E164 = "+32477123456"
LANDLINE_E164 = "+3293771234"
NEW_ADDRESS = {"street": "Dorpsstraat 7", "city": "9840 De Pinte"}
KEEP_BASIS = "Art. 17(3)(b) GDPR; Belgian accounting law (10 years)"

BELTEL, SNEL, NUMA = "BelTel Wholesale", "Snel Transport", "Numa Mobile"
#: What each supplier knows Jan by (and nothing else may be named to it).
HELD_BY = {
    BELTEL: {("customer_id", str(JAN)), ("email", JAN_EMAIL), ("phone", MOBILE_E164)},
    SNEL: {("email", JAN_WORK_EMAIL)},
}
#: Identities of other people that appear in the same disclosures: never in Jan's notices.
NOT_JANS = ("Peeters Bouw BV", "1002", "+32486554433", COLLEAGUE_PHONE, MARC_EMAIL, LANDLINE_E164)


# -- the story, in order ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def register(site: Site) -> None:
    """The recipients register, as staff keep it before any request arrives."""
    dsr = site.dsr
    dsr("suppliers", "add", BELTEL, "--role", "carrier", "--email", "privacy@beltel.example")
    dsr("suppliers", "add", SNEL, "--role", "transport", "--email", "dpo@snel.example")
    dsr("suppliers", "add", NUMA, "--role", "carrier", "--email", "dpo@numa.example")
    # porting Jan's mobile (dated)
    dsr("suppliers", "disclose", BELTEL, "--customer-id", f"crm:{JAN}", "--email", JAN_EMAIL,
        "--phone", JAN_MOBILE, "--category", "contract", "--on", "2025-06-10")  # fmt: skip
    # the landline when it was still Marc's (dated: outside Jan's period)
    dsr("suppliers", "disclose", BELTEL, "--phone", LANDLINE, "--email", MARC_EMAIL,
        "--category", "contract", "--on", "2024-02-01")  # fmt: skip
    # a delivery to the company, for Jan's attention, with his colleague's number
    dsr("suppliers", "disclose", SNEL, "--name", "Peeters Bouw BV", "--customer-id",
        f"crm:{COMPANY}", "--email", JAN_WORK_EMAIL, "--phone", COLLEAGUE_PHONE,
        "--category", "contact", "--on", "2026-11-20")  # fmt: skip
    # the landline, day unknown: Marc's or Jan's? staff must look
    dsr("suppliers", "disclose", NUMA, "--phone", LANDLINE, "--category", "contract")


@pytest.fixture(scope="module")
def access(site: Site, register: None) -> Done:
    return carry_out(site, "access", "Jan Peeters", *JAN_ARGS, received=RECEIVED)


@pytest.fixture(scope="module")
def previous_holder(site: Site, access: Done) -> Done:
    return carry_out(site, "access", "Marc De Vos", "--email", MARC_EMAIL, received=RECEIVED)


@dataclass
class Recipients:
    done: Done
    listed: dict[str, Any]  # `dsr suppliers recipients --json`


@pytest.fixture(scope="module")
def access_with_landline(site: Site, previous_holder: Done) -> Recipients:
    """Jan asks again, this time giving his landline himself (without a period)."""
    args = (*JAN_ARGS, "--phone", LANDLINE, "--force")
    done = carry_out(site, "access", "Jan Peeters", *args, received=RECEIVED)
    return Recipients(done, site.dsr.json("suppliers", "recipients", done.id))


@pytest.fixture(scope="module")
def rectification(site: Site, access_with_landline: Recipients) -> Done:
    path = site.inst.folder / "changes.toml"
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in NEW_ADDRESS.items()), encoding="utf-8")
    return carry_out(
        site, "rectification", "Jan Peeters", *JAN_ARGS, "--changes", str(path), received=RECEIVED
    )


@pytest.fixture(scope="module")
def restriction(site: Site, rectification: Done) -> Done:
    return carry_out(site, "restriction", "Jan Peeters", *JAN_ARGS, received=RECEIVED)


@dataclass
class Lifted:
    exit_code: int
    output: str
    crm_before: Tables
    crm_after: Tables


@pytest.fixture(scope="module")
def lifted(site: Site, restriction: Done) -> Lifted:
    """Jan's restriction ends (Art. 18(3)): ``dsr request lift``, as DESIGN.md names it."""
    before = installation.dump(site.inst.crm_url)
    result = site.dsr(
        "request", "lift", restriction.id, "--reason", "accuracy checked", "--json", ok=False
    )
    output = (result.stderr or result.stdout).strip()
    return Lifted(result.exit_code, output, before, installation.dump(site.inst.crm_url))


@pytest.fixture(scope="module")
def objection(site: Site, lifted: Lifted) -> Done:
    return carry_out(site, "objection", "Jan Peeters", *JAN_ARGS, received=RECEIVED)


@dataclass
class Files:
    """The call log and the dossiers as bytes on disk."""

    pbx: dict[str, bytes]
    pbx_modes: dict[str, int]  # every entry of the call log's folder, with its mode
    dossiers: dict[str, str]
    outbox: dict[str, bytes]

    @classmethod
    def read(cls, site: Site) -> Files:
        outbox = site.inst.outbox
        return cls(
            pbx={p.name: p.read_bytes() for p in sorted(site.inst.pbx.glob("*.csv"))},
            pbx_modes={p.name: stat.S_IMODE(p.stat().st_mode) for p in site.inst.pbx.iterdir()},
            dossiers=installation.tree_digest(site.inst.dossiers),
            outbox={p.name: p.read_bytes() for p in sorted(outbox.glob("*"))}
            if outbox.exists()
            else {},
        )


@dataclass
class Erasure:
    done: Done
    before: Files
    after: Files
    dry_run: dict[str, Any] | None = None
    after_dry_run: Files | None = None
    crm_after_dry_run: Tables | None = None


@pytest.fixture(scope="module")
def previous_holder_erasure(site: Site, objection: Done) -> Erasure:
    """Marc asks for erasure too, before Jan does: the landline calls in the log are Jan's."""
    before = Files.read(site)
    done = carry_out(site, "erasure", "Marc De Vos", "--email", MARC_EMAIL, received=RECEIVED)
    return Erasure(done, before, Files.read(site))


@pytest.fixture(scope="module")
def erasure(site: Site, previous_holder_erasure: Erasure) -> Erasure:
    """Staff look at a dry run first (as ``dsr demo`` does), then erase."""
    before = Files.read(site)
    crm = installation.dump(site.inst.crm_url)
    rid = record(site, "erasure", "Jan Peeters", *JAN_ARGS, received=RECEIVED)
    dry = site.dsr("request", "run", rid, "--dry-run", "--json", ok=False)
    dry_run = dry.json if dry.exit_code == 0 else {"refused": dry.stderr.strip()}
    after_dry, crm_dry = Files.read(site), installation.dump(site.inst.crm_url)
    done = finish(site, "erasure", rid, crm)
    return Erasure(done, before, Files.read(site), dry_run, after_dry, crm_dry)


@pytest.fixture(scope="module")
def erasure_again(site: Site, erasure: Erasure) -> Erasure:
    """``dsr request run`` of the same erasure a second time."""
    before = installation.dump(site.inst.crm_url)
    done = look(site, "erasure", erasure.done.id, run(site, erasure.done.id), before)
    return Erasure(done, erasure.after, Files.read(site))


# -- helpers ------------------------------------------------------------------------------------


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["record_id"] for r in rows)


def master_lines(records: list[dict[str, Any]]) -> list[int]:
    """The ``Master.csv`` line numbers the call records say they come from."""
    out = []
    for r in records:
        m = re.fullmatch(r"Master\.csv line (\d+)", str(r.get("source")))
        assert m, f"call record {r['record_id']} does not come from a Master.csv line: {r}"
        out.append(int(m.group(1)))
    return out


def expected_calls() -> tuple[set[int], set[int]]:
    return calllog.subject_lines(
        installation.CALL_LOG / "Master.csv", calllog.scenarios(installation.SCENARIOS)
    )


def history(rows: list[dict[str, Any]]) -> set[tuple[str, int, str, str | None]]:
    return {(r["number"], r["customer_id"], r["valid_from"], r["valid_to"]) for r in rows}


def assert_notices_name_only_jan(done: Done) -> None:
    for supplier, held in HELD_BY.items():
        assert supplier in done.notices, (
            f"{done.kind}: no notice to {supplier}, which received Jan's data; notices went to "
            f"{sorted(done.notices)}; {done.explain()}"
        )
        notice = done.notices[supplier]
        assert notice["kind"] == done.kind, f"{supplier}: notice of kind {notice['kind']}"
        named = {(i["kind"], i["value"]) for i in notice["identities"]}
        assert named == held, (
            f"{done.kind} notice {notice['notice_id']} to {supplier} names {sorted(named)}; "
            f"it may name only what matched Jan: {sorted(held)}"
        )
        mail = done.mails.get(supplier, "")
        assert mail, f"{done.kind}: no e-mail in the outbox for {supplier}"
        leaked = [x for x in NOT_JANS if x in "\n".join(known_by(mail))]
        assert not leaked, (
            f"the {done.kind} e-mail to {supplier} names other people's identities {leaked}:\n"
            + "\n".join(known_by(mail))
        )


def assert_undated_landline_left_for_staff(done: Done) -> None:
    numa = done.notices.get(NUMA)
    assert numa is None or (numa["sends"] == 0 and NUMA not in done.mails), (
        f"{done.kind}: {NUMA} only received the landline on an unknown day; Marc held it until "
        f"2026-11-30, so no notice about Jan may go out before staff checked; it went: {numa}"
    )
    shown = json.dumps({k: v for k, v in done.show.items() if k != "notices"})
    assert NUMA in shown, (
        f"{done.kind}: `dsr request show` should put the undated disclosure to {NUMA} in front "
        f"of staff for review; it does not mention it (blockers: {done.show.get('blockers')})"
    )


# -- the mapping ---------------------------------------------------------------------------


def test_a_key_that_does_not_identify_one_row_is_refused(site: Site) -> None:
    """``number`` alone does not tell Marc's landline row from Jan's: a mapping using it would
    make every request about Jan reach Marc's rows (his customer row, invoices, dossier).
    First in the module: later the erasures delete both landline rows."""
    config = site.inst.folder / "dsr-bad-key.toml"
    text = installation.CONFIG.replace('key = ["number", "valid_from"]', 'key = "number"')
    assert text != installation.CONFIG
    config.write_text(text, encoding="utf-8")
    result = site.dsr("--config", str(config), "systems", "check", "--json", ok=False)
    crm = next(s for s in result.json if s["name"] == "crm")
    assert not crm["ok"] and any("number_history" in p for p in crm["problems"]), (
        "`dsr systems check` must refuse systems.crm.tables.number_history.key = 'number': the "
        f"column is not unique (the landline was Marc's, then Jan's); it says {crm}"
    )


# -- access -------------------------------------------------------------------------------------


def test_access_runs_in_every_system(access: Done) -> None:
    states = {t["system"]: t["state"] for t in access.show["tasks"]}
    assert states == {"crm": "done", "pbx": "done", "dossier": "done"}, access.explain()


def test_access_crm_returns_his_customer_row_and_his_contact_row_only(access: Done) -> None:
    contacts = access.records("crm", "contact")
    assert ids(contacts) == [f"contacts:{JAN_CONTACT}", f"customers:{JAN}"], (
        "Jan is customer 1001 and contact 501 of Peeters Bouw BV: exactly those two rows, "
        f"not the company (1002) nor his colleague (502); got {ids(contacts)}; {access.explain()}"
    )
    customer = next(r for r in contacts if r["record_id"] == f"customers:{JAN}")
    assert (customer["name"], customer["email"], customer["street"]) == (
        "Jan Peeters",
        JAN_EMAIL,
        "Kerkstraat 12",
    ), f"the customer record does not hold the row as stored: {customer}"
    contact = next(r for r in contacts if r["record_id"] == f"contacts:{JAN_CONTACT}")
    assert contact["email"] == JAN_WORK_EMAIL and contact["customer_id"] == COMPANY, contact


def test_access_crm_returns_his_invoices_not_the_company_s(access: Done) -> None:
    invoices = access.records("crm", "invoice")
    numbers = sorted(r["number"] for r in invoices)
    assert numbers == ["F2019-0031", "F2026-0412"], (
        "only invoices of customer 1001: the company's (F2025-0977, F2026-0413) are not his "
        f"(contacts map with scope = self); got {numbers}; {access.explain()}"
    )


def test_access_crm_returns_his_number_history_not_the_previous_holder_s(access: Done) -> None:
    rows = access.records("crm", "contract")
    assert all(r["source"] == "number_history" for r in rows), rows
    assert history(rows) == {
        (LANDLINE, JAN, "2026-12-01", None),
        (JAN_MOBILE, JAN, "2015-04-01", None),
    }, (
        "Jan's two number assignments, not Marc's landline row (2012-03-01..2026-11-30) that "
        f"shares the number; got {sorted(history(rows), key=str)}; {access.explain()}"
    )
    assert len(set(ids(rows))) == 2, f"two rows, two distinct record ids: {ids(rows)}"


def test_access_pbx_returns_exactly_the_fixture_s_subject_calls(access: Done) -> None:
    calls = access.records("pbx", "call")
    lines = master_lines(calls)
    mine, _ = expected_calls()
    assert len(lines) == len(set(lines)), f"a call exported twice: {sorted(lines)}"
    assert set(lines) == mine, (
        f"Master.csv lines exported: missing {sorted(mine - set(lines))}, "
        f"someone else's {sorted(set(lines) - mine)} (traps: +31 number, 0477123457, "
        f"04771234567, Jan's name on another number, his number in a userfield); "
        f"{access.explain()}"
    )
    assert all(c["number"] in (MOBILE_E164, LANDLINE_E164) for c in calls), [
        c["number"] for c in calls
    ]


def test_access_pbx_landline_calls_are_his_from_the_day_he_held_it(access: Done) -> None:
    calls = access.records("pbx", "call")
    _, landline = expected_calls()
    on_landline = {
        line
        for line, c in zip(master_lines(calls), calls, strict=True)
        if LANDLINE_E164 in (c["number"], c.get("counterpart"))
    }
    assert on_landline == landline, (
        f"landline calls exported (lines {sorted(on_landline)}) should be the fixture's "
        f"({sorted(landline)}): every one was made on 2026-12-02, in Jan's period from "
        f"2026-12-01; {access.explain()}"
    )
    periods = {
        (i["valid_from"], i["valid_to"])
        for i in access.show["subject"]["identities"]
        if i["kind"] == "phone" and i["value"] == LANDLINE_E164
    }
    assert periods == {("2026-12-01", None)}, (
        f"the request knows the landline only from the day Jan held it, got {periods}"
    )


def test_access_dossier_returns_his_dossier_only(access: Done) -> None:
    records = [r for name, rs in access.bundle.items() if name.startswith("data/dossier/")
               and not name.endswith("outcomes.json") for r in rs]  # fmt: skip
    assert records and all(r["record_id"].startswith(f"{JAN}/") for r in records), (
        f"only dossier {JAN}: {ids(records)}; {access.explain()}"
    )
    assert "Kerk12-thuis!" not in json.dumps(access.bundle), "the Wi-Fi key is masked"


def test_access_export_names_the_actual_recipients(access: Done) -> None:
    manifest = access.bundle.get("manifest.json", {})
    named = {r["name"] for r in manifest.get("recipients", [])}
    assert named == {BELTEL, SNEL}, (
        f"the recipients Jan's data went to (Art. 15(1)(c)): {BELTEL} (his mobile) and {SNEL} "
        f"(his work e-mail), not {NUMA} (the landline on an unknown day, maybe Marc's); the "
        f"export names {sorted(named)}; {access.explain()}"
    )
    report = access.bundle.get("report.html", "")
    assert BELTEL in report and SNEL in report, "report.html does not name the recipients"


def test_access_changes_nothing(access: Done, site: Site) -> None:
    assert access.crm_before == access.crm_after, changes(access.crm_before, access.crm_after)
    assert site.inst.master.read_bytes() == (installation.CALL_LOG / "Master.csv").read_bytes(), (
        "access must not touch Master.csv"
    )
    assert access.show["notices"] == [], "an access request notifies no supplier"


def test_previous_holder_gets_his_landline_row_but_none_of_jans_calls(
    previous_holder: Done,
) -> None:
    done = previous_holder
    assert history(done.records("crm", "contract")) == {
        (LANDLINE, MARC, "2012-03-01", "2026-11-30"),
        ("0470 99 88 77", MARC, "2018-06-15", None),
    }, f"Marc's own assignments, not Jan's landline row; {done.explain()}"
    assert ids(done.records("crm", "contact")) == [f"customers:{MARC}"], done.explain()
    calls = done.records("pbx", "call")
    assert calls == [], (
        "every landline call in the log was made on 2026-12-02, after Marc's period ended on "
        f"2026-11-30: none is his; got lines {master_lines(calls)}; {done.explain()}"
    )
    assert done.task("pbx")["state"] in ("done", "skipped"), done.explain()


def test_a_number_jan_gives_does_not_make_marc_s_disclosures_his(
    access_with_landline: Recipients,
) -> None:
    """The CRM says the landline is Jan's from 2026-12-01: BelTel received it on 2024-02-01,
    with Marc's e-mail, for Marc; Numa Mobile on a day nobody recorded. Jan writing the
    number in his request does not make either disclosure his."""
    problems = []
    found = {r["name"]: r for r in access_with_landline.listed["recipients"]}
    beltel = {(i["kind"], i["value"]) for i in found.get(BELTEL, {}).get("identities", [])}
    if beltel != HELD_BY[BELTEL]:
        problems.append(
            f"`dsr suppliers recipients` says {BELTEL} knows Jan by {sorted(beltel)}; "
            f"only {sorted(HELD_BY[BELTEL])} were disclosed about him"
        )
    manifest = access_with_landline.done.bundle.get("manifest.json", {})
    since = {r["name"]: r["since"] for r in manifest.get("recipients", [])}
    if since.get(BELTEL) != "2025-06-10":
        problems.append(
            f"the access report tells Jan {BELTEL} has had his data since "
            f"{since.get(BELTEL)}; the first disclosure about him was on 2025-06-10"
        )
    if NUMA in since:
        problems.append(
            f"the access report names {NUMA} as a recipient of Jan's data: it only got the "
            "landline on an unknown day, maybe Marc's (a matter for staff review)"
        )
    assert not problems, "; ".join(problems) + f"; {access_with_landline.done.explain()}"


# -- rectification --------------------------------------------------------------------------------


def test_rectification_changes_his_address_and_nothing_else(rectification: Done) -> None:
    done = rectification
    diff = changes(done.crm_before, done.crm_after)
    assert diff == {
        ("customers", (JAN,)): {
            "street": ("Kerkstraat 12", NEW_ADDRESS["street"]),
            "city": ("9000 Gent", NEW_ADDRESS["city"]),
        }
    }, (
        "only Jan's customer row gets the new address: the company (1002), its contacts and "
        f"the other customers keep theirs; CRM changes: {diff}; {done.explain()}"
    )
    outcomes = {o["record_id"]: o for o in done.outcomes("crm")}
    assert set(outcomes) == {f"customers:{JAN}"}, outcomes
    assert outcomes[f"customers:{JAN}"]["action"] == "rectified"
    assert outcomes[f"customers:{JAN}"]["fields"]["street"] == {
        "old": "Kerkstraat 12",
        "new": NEW_ADDRESS["street"],
    }


def test_restriction_flags_his_rows_only(restriction: Done) -> None:
    done = restriction
    diff = changes(done.crm_before, done.crm_after)
    assert diff == {
        ("customers", (JAN,)): {"restricted": (False, True)},
        ("contacts", (JAN_CONTACT,)): {"restricted": (False, True)},
    }, (
        f"restriction flags Jan's customer row and his contact row, not the company nor "
        f"colleague {COLLEAGUE}: {diff}; {done.explain()}"
    )
    actions = {o["record_id"]: o["action"] for o in done.outcomes("crm")}
    assert actions == {f"customers:{JAN}": "restricted", f"contacts:{JAN_CONTACT}": "restricted"}


def test_restriction_is_lifted_on_his_rows_only(lifted: Lifted) -> None:
    # exit 5 (docs/exit-codes.md): the CRM lifted its flags; the PBX and the dossiers were
    # restricted by hand (manual tasks), so staff lift them by hand, and are told so
    assert lifted.exit_code == 5, f"`dsr request lift` failed: {lifted.output}"
    told = json.loads(lifted.output)
    assert set(told["lifted"]) == {"crm"}, told
    assert set(told["by_hand"]) == {"pbx", "dossier"} and not told["failed"], told
    diff = changes(lifted.crm_before, lifted.crm_after)
    assert diff == {
        ("customers", (JAN,)): {"restricted": (True, False)},
        ("contacts", (JAN_CONTACT,)): {"restricted": (True, False)},
    }, f"lifting clears the flag on Jan's two rows only: {diff}"


def test_objection_opts_out_his_rows_only(objection: Done) -> None:
    done = objection
    diff = changes(done.crm_before, done.crm_after)
    assert diff == {
        ("customers", (JAN,)): {"marketing_opt_out": (False, True)},
        ("contacts", (JAN_CONTACT,)): {"wants_newsletter": (True, False)},
    }, (
        f"objection opts Jan out in both his rows; colleague {COLLEAGUE} still gets the "
        f"newsletter and the company row is untouched: {diff}; {done.explain()}"
    )
    assert done.show["notices"] == [], "Art. 19 notices are for erasure, rectification, restriction"


# -- erasure ------------------------------------------------------------------------------------


def test_previous_holder_erasure_leaves_jan_s_calls_rows_and_dossier(
    previous_holder_erasure: Erasure,
) -> None:
    marc = previous_holder_erasure
    done = marc.done
    assert marc.after.pbx == marc.before.pbx, (
        "Marc's erasure changed the call log, but every call in it was made on 2026-12-02, "
        f"after his landline period ended (2026-11-30); {done.explain()}"
    )
    diff = changes(done.crm_before, done.crm_after)
    anonymised = diff.pop(("customers", (MARC,)), {})
    assert diff == {
        ("number_history", (LANDLINE, "2012-03-01")): "deleted",
        ("number_history", ("0470 99 88 77", "2018-06-15")): "deleted",
    }, f"only Marc's number rows go; Jan's landline row stays: {diff}; {done.explain()}"
    assert anonymised.get("name", (None, None))[1] == "(erased)", anonymised
    gone = {k for k in marc.before.dossiers if k not in marc.after.dossiers}
    assert gone == {k for k in marc.before.dossiers if k.startswith(f"{MARC}/")}, gone
    for supplier, notice in done.notices.items():
        named = {v for _, v in ((i["kind"], i["value"]) for i in notice["identities"])}
        assert not named & {JAN_EMAIL, MOBILE_E164, str(JAN)}, (
            f"Marc's notice to {supplier} names Jan: {sorted(named)}"
        )


def test_erasure_crm_outcome_per_record(erasure: Erasure) -> None:
    done = erasure.done
    outcomes = done.outcomes("crm")
    by_id = {o["record_id"]: o for o in outcomes}
    assert len(by_id) == len(outcomes), f"a record reported twice: {ids(outcomes)}"
    assert by_id.get(f"customers:{JAN}", {}).get("action") == "anonymised", (
        f"his customer row is referenced by kept invoices: anonymised; {by_id}; {done.explain()}"
    )
    assert by_id.get(f"contacts:{JAN_CONTACT}", {}).get("action") == "erased", by_id
    kept = {i: (o["action"], o["until"], o["basis"]) for i, o in by_id.items() if "invoice" in i}
    assert kept == {
        "invoices:1": ("kept", "2029-03-31", KEEP_BASIS),
        "invoices:2": ("kept", "2036-10-31", KEEP_BASIS),
    }, f"his two invoices kept ten years from their date, with the basis: {kept}"
    numbers = [o for o in outcomes if o["category"] == "contract"]
    assert sorted(o["action"] for o in numbers) == ["erased", "erased"], numbers
    named = " ".join(o["record_id"] for o in numbers)
    assert "2026-12-01" in named and "2015-04-01" in named and "2012-03-01" not in named, (
        f"the two number_history rows erased are Jan's (valid_from 2026-12-01 and 2015-04-01), "
        f"never Marc's (2012-03-01): {[o['record_id'] for o in numbers]}"
    )
    assert set(by_id) == {f"customers:{JAN}", f"contacts:{JAN_CONTACT}", *kept} | {
        o["record_id"] for o in numbers
    }, f"nothing else in the CRM is Jan's: {sorted(by_id)}"


def test_erasure_report_says_what_was_kept_until_when_and_why(erasure: Erasure) -> None:
    bundle = erasure.done.bundle
    systems = {s["name"]: s for s in bundle.get("manifest.json", {}).get("systems", [])}
    kept = {
        r["record_id"]: (r["until"], r["basis"])
        for r in systems.get("crm", {}).get("kept", {}).get("records", [])
    }
    assert kept == {
        "invoices:1": ("2029-03-31", KEEP_BASIS),
        "invoices:2": ("2036-10-31", KEEP_BASIS),
    }, f"the manifest's kept records: {kept}; {erasure.done.explain()}"
    report = bundle.get("report.html", "")
    for text in ("2029-03-31", "2036-10-31", "Belgian accounting law"):
        assert text in report, f"report.html does not tell the subject {text!r}"
    assert "F2025-0977" not in report and "Sarah" not in report, "others' data in the report"


def test_erasure_crm_rows_of_others_untouched(erasure: Erasure) -> None:
    done = erasure.done
    diff = changes(done.crm_before, done.crm_after)
    jan = diff.pop(("customers", (JAN,)), {})
    assert diff == {
        ("contacts", (JAN_CONTACT,)): "deleted",
        ("number_history", (LANDLINE, "2026-12-01")): "deleted",
        ("number_history", (JAN_MOBILE, "2015-04-01")): "deleted",
    }, (
        "erasure deletes Jan's contact row and his two number assignments; the company "
        f"({COMPANY}), colleague ({COLLEAGUE}), Marc ({MARC}) with his landline row, the bakery "
        f"({BAKERY}) and every invoice stay as they were: {diff}; {done.explain()}"
    )
    assert jan and jan.get("name", (None, None))[1] == "(erased)", jan
    left = {c: new for c, (_, new) in jan.items()}
    assert JAN_EMAIL not in str(left) and "Dorpsstraat" not in str(left), left
    assert left.get("phone") is None and left.get("street") is None, left


def test_erasure_master_csv_keeps_every_other_line_byte_for_byte(erasure: Erasure) -> None:
    scen = calllog.scenarios(installation.SCENARIOS)
    for name, original in erasure.before.pbx.items():
        mine, _ = calllog.subject_lines(installation.CALL_LOG / name, scen)
        expected = b"".join(
            line for n, line in enumerate(original.splitlines(keepends=True), 1) if n not in mine
        )
        assert erasure.after.pbx.get(name) == expected, (
            f"{name}: after erasure it must hold every line but Jan's {sorted(mine)}, "
            f"byte for byte and in order; {erasure.done.explain()}"
        )


def test_erasure_leaves_the_call_log_folder_as_asterisk_needs_it(erasure: Erasure) -> None:
    assert erasure.after.pbx_modes == erasure.before.pbx_modes, (
        "after the rewrite the call log folder must hold the same files with the same modes "
        f"(Asterisk appends to them; no temporary copy with Jan's calls may stay behind): "
        f"before {erasure.before.pbx_modes}, after {erasure.after.pbx_modes}"
    )


def test_erasure_pbx_outcome_per_call(erasure: Erasure, access: Done) -> None:
    outcomes = erasure.done.outcomes("pbx")
    assert {o["action"] for o in outcomes} == {"erased"}, erasure.done.explain()
    assert ids(outcomes) == ids(access.records("pbx", "call")), (
        "the calls erased are exactly the calls the access export showed"
    )


def test_erasure_dossiers_his_gone_others_untouched(erasure: Erasure) -> None:
    before, after = erasure.before.dossiers, erasure.after.dossiers
    others = {k: v for k, v in before.items() if not k.startswith(f"{JAN}/")}
    assert after == others, (
        f"dossier {JAN} deleted whole; {COMPANY} (with the colleague's mailbox) and {MARC} "
        f"byte for byte; {erasure.done.explain()}"
    )
    actions = {o["action"] for o in erasure.done.outcomes("dossier")}
    assert actions == {"erased"}, erasure.done.outcomes("dossier")


def test_erasure_dry_run_changes_nothing_and_predicts_the_run(erasure: Erasure) -> None:
    assert erasure.dry_run and "refused" not in erasure.dry_run, erasure.dry_run
    assert erasure.crm_after_dry_run == erasure.done.crm_before, changes(
        erasure.done.crm_before, erasure.crm_after_dry_run or {}
    )
    assert erasure.after_dry_run == erasure.before, "the dry run changed files on disk"
    predicted = {s["system"]: s["counts"] for s in erasure.dry_run["systems"]}
    actual = {t["system"]: t["summary"].get("counts") for t in erasure.done.show["tasks"]}
    assert predicted == actual, (
        f"the dry run predicted {predicted}, the erasure did {actual}; {erasure.done.explain()}"
    )


def test_erasure_waits_for_the_suppliers(erasure: Erasure) -> None:
    done = erasure.done
    assert done.show["state"] == "awaiting_confirmations", (done.show["state"], done.explain())
    states = {s: n["state"] for s, n in done.notices.items()}
    assert all(states.get(s) == "sent" for s in HELD_BY), states


# -- Art. 19 notices ------------------------------------------------------------------------------


NOTIFIED_KINDS = ["rectification", "restriction", "erasure"]


def notified(request: pytest.FixtureRequest, kind: str) -> Done:
    value = request.getfixturevalue(kind)
    return value.done if isinstance(value, Erasure) else value


@pytest.mark.parametrize("kind", NOTIFIED_KINDS)
def test_notices_name_only_identities_that_matched_jan(
    request: pytest.FixtureRequest, kind: str
) -> None:
    assert_notices_name_only_jan(notified(request, kind))


@pytest.mark.parametrize("kind", NOTIFIED_KINDS)
def test_undated_disclosure_of_the_landline_is_left_for_staff(
    request: pytest.FixtureRequest, kind: str
) -> None:
    assert_undated_landline_left_for_staff(notified(request, kind))


# -- the same erasure again ---------------------------------------------------------------------


def test_second_run_erases_nothing_twice(erasure: Erasure, erasure_again: Erasure) -> None:
    again = erasure_again
    assert again.done.crm_before == again.done.crm_after, changes(
        again.done.crm_before, again.done.crm_after
    )
    assert again.after.pbx == again.before.pbx, "the second run rewrote the call log"
    assert again.after.dossiers == again.before.dossiers
    assert again.after.outbox == again.before.outbox, "a notice was written again"
    sends = {s: n["sends"] for s, n in again.done.notices.items()}
    assert sends == {s: n["sends"] for s, n in erasure.done.notices.items()}, sends


def test_second_run_keeps_the_proof_of_the_first(erasure: Erasure, erasure_again: Erasure) -> None:
    first, second = erasure.done, erasure_again.done
    for system in ("crm", "pbx", "dossier"):
        assert second.task(system)["summary"].get("counts") == first.task(system)["summary"].get(
            "counts"
        ), f"{system}: request show lost the first erasure's counts"
        assert ids(second.outcomes(system)) == ids(first.outcomes(system)), (
            f"{system}: the export no longer lists what the first run erased"
        )
        assert [o["action"] for o in second.outcomes(system)] == [
            o["action"] for o in first.outcomes(system)
        ], f"{system}: the export reports other actions than the first run"


def test_a_new_erasure_request_finds_nothing_left_to_erase(
    site: Site, erasure_again: Erasure
) -> None:
    before = Files.read(site)
    done = carry_out(site, "erasure", "Jan Peeters", *JAN_ARGS, "--force", received=RECEIVED)
    for system in ("crm", "pbx", "dossier"):
        actions = {o["action"] for o in done.outcomes(system)}
        assert not actions & {"erased", "anonymised"}, (system, done.outcomes(system))
    assert done.crm_before == done.crm_after
    assert Files.read(site).pbx == before.pbx


# -- dsr's own records ----------------------------------------------------------------------------


def test_logs_hold_no_identifier_in_clear(site: Site, erasure_again: Erasure) -> None:
    logs = site.dsr.home / "logs"
    text = "".join(p.read_text(errors="replace") for p in sorted(logs.glob("*")) if p.is_file())
    assert text, "dsr wrote no log"
    for value in (JAN_EMAIL, JAN_WORK_EMAIL, MOBILE_E164, "0477123456", "Jan Peeters"):
        assert value not in text, f"dsr's log holds {value!r} in clear"


def test_audit_trail_verifies(site: Site, erasure_again: Erasure) -> None:
    result = site.dsr.json("audit", "verify")
    assert result.get("ok") is True, result


def test_files_dsr_wrote_with_personal_data_are_owner_only(
    site: Site, erasure_again: Erasure
) -> None:
    folders = (site.dsr.home, site.inst.outbox, site.inst.folder / "exports")
    written = [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]
    assert any(p.suffix == ".zip" for p in written), f"no bundle among {written}"
    loose = {
        str(p.relative_to(site.inst.folder)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in written
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    }
    assert not loose, f"readable by others: {loose}"
