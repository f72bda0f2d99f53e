"""Recording requests and moving them through their life, as staff do it from the CLI."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, timedelta

import pytest

from dsr_core.answer.words import date_words
from dsr_core.identities import parse_phone


def test_init_is_safe_to_run_twice_and_owner_only(dsr):
    first = dsr.json("init", "--name", "Voxtra bvba")
    assert first["config_created"] is True
    config = dsr.home / "dsr.toml"
    config.write_text(config.read_text() + "\n# staff edit\n")
    second = dsr.json("init")
    assert second["config_created"] is False
    assert "# staff edit" in config.read_text(), "init must not overwrite an edited config"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    if first["database"].startswith("sqlite"):
        db = dsr.home / "dsr.sqlite3"
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert second["schema_version"] == first["schema_version"] >= 2


@pytest.mark.parametrize(
    "raw", ["0477 12 34 56", "0032 477 12 34 56", "+32477123456", "32477123456"]
)
def test_phone_forms_become_one_e164_number(dsr, raw):
    dsr("init")
    rid = dsr.json("request", "new", "access", "--name", "Jan", "--phone", raw)["id"]
    shown = dsr.json("request", "show", str(rid))
    assert [i["value"] for i in shown["subject"]["identities"]] == ["+32477123456"]


def test_identities_are_normalised(dsr):
    dsr("init")
    rid = dsr.json(
        "request",
        "new",
        "access",
        "--name",
        "  Jan   Peeters ",
        "--email",
        "Jan.Peeters@Voxtra.BE",
        "--phone",
        "09/377.12.34",
        "--customer-id",
        "crm:C-1042",
    )["id"]
    shown = dsr.json("request", "show", str(rid))
    assert shown["subject"]["name"] == "Jan Peeters"
    idents = {(i["kind"], i["value"], i["system"]) for i in shown["subject"]["identities"]}
    assert idents == {
        ("email", "jan.peeters@voxtra.be", None),
        ("phone", parse_phone("09 377 12 34"), None),
        ("customer_id", "C-1042", "crm"),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frobnicate", "--name", "X", "--email", "x@example.be"], "unknown request kind"),
        (["access", "--name", "X", "--email", "not-an-address"], "not-an-address"),
        (["access", "--name", "X", "--phone", "12"], "invalid phone number '12'"),
        (["access", "--name", "X"], "at least one identity"),
        (
            ["access", "--name", "X", "--email", "x@example.be", "--received", "2026-02-30"],
            "malformed receipt date '2026-02-30'",
        ),
        (
            ["access", "--name", "X", "--email", "x@example.be", "--received", "yesterday"],
            "malformed receipt date",
        ),
        (["rectification", "--name", "X", "--email", "x@example.be"], "--changes"),
    ],
)
def test_bad_input_is_one_line_and_records_nothing(dsr, args, message):
    dsr("init")
    result = dsr.fails("request", "new", *args)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dsr: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert dsr.json("request", "list", "--all") == []


def test_future_receipt_date_is_refused(dsr):
    dsr("init")
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    result = dsr.fails(
        "request", "new", "access", "--name", "X", "--email", "x@example.be", "--received", tomorrow
    )
    assert "in the future" in result.stderr
    assert dsr.json("request", "list", "--all") == []


def test_json_errors_are_one_document_on_stdout(dsr):
    dsr("init")
    result = dsr.fails("request", "show", "999", "--json")
    assert json.loads(result.stdout) == {"error": "no request 999"}


def test_second_open_request_of_same_kind_warns_and_force_proceeds(dsr):
    dsr("init")
    dsr("request", "new", "erasure", "--name", "Jan", "--email", "jan@example.be")
    refused = dsr.fails(
        "request", "new", "erasure", "--name", "J. Peeters", "--email", "JAN@example.be"
    )
    assert "request 1" in refused.stderr and "--force" in refused.stderr
    assert len(dsr.json("request", "list")) == 1
    # another kind for the same subject is fine; --force records the duplicate
    dsr("request", "new", "access", "--name", "Jan", "--email", "jan@example.be")
    dsr("request", "new", "erasure", "--name", "Jan", "--email", "jan@example.be", "--force")
    assert len(dsr.json("request", "list")) == 3


def test_due_date_follows_the_month_and_belgian_holidays(dsr):
    dsr("init")
    # received 31 Aug 2026 -> 30 Sep 2026 (a Wednesday)
    r1 = dsr.json(
        "request",
        "new",
        "access",
        "--name",
        "A",
        "--email",
        "a@example.be",
        "--received",
        "2026-08-31",
    )
    assert r1["clock"]["due"] == "2026-09-30"
    # received 6 Mar 2026 -> 6 Apr 2026 is Easter Monday -> Tuesday 7 Apr
    r2 = dsr.json(
        "request",
        "new",
        "access",
        "--name",
        "B",
        "--email",
        "b@example.be",
        "--received",
        "2026-03-06",
    )
    assert r2["clock"]["due"] == "2026-04-07"


def test_only_legal_transitions(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "A", "--email", "a@ex.be")["id"])
    result = dsr.fails("request", "close", rid)
    assert "not been carried out" in result.stderr
    dsr("request", "verify", rid, "--method", "eID read at the desk")
    again = dsr.fails("request", "verify", rid, "--method", "again")
    assert "verified" in again.stderr
    dsr("request", "withdraw", rid, "--reason", "subject phoned")
    assert dsr.json("request", "show", rid)["state"] == "withdrawn"
    late = dsr.fails("request", "reject", rid, "--reason", "too late")
    assert "withdrawn" in late.stderr
    assert dsr.json("request", "show", rid)["state"] == "withdrawn"


def test_refusal_letter_in_dutch_names_the_authority_and_the_court(dsr):
    dsr("init", "--name", "Voxtra bvba", "--email", "privacy@voxtra.be")
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@ex.be")["id"])
    out = dsr.json("request", "reject", rid, "--reason", "Kennelijk ongegrond: derde verzoek.")
    letter = open(out["letter"], encoding="utf-8").read()
    assert "Voxtra bvba" in letter and "Kennelijk ongegrond" in letter
    assert "Gegevensbeschermingsautoriteit" in letter and "rechter" in letter
    assert stat.S_IMODE(os.stat(out["letter"]).st_mode) == 0o600
    assert dsr.json("request", "show", rid)["state"] == "rejected"


def test_refusal_letter_in_english(dsr):
    dsr("init", "--language", "en", "--name", "Voxtra Ltd")
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@ex.be")["id"])
    out = dsr.json("request", "reject", rid, "--reason", "Identity could not be established.")
    letter = open(out["letter"], encoding="utf-8").read()
    assert "Dear Jan" in letter and "Data Protection Authority" in letter
    assert "judicial remedy" in letter


def test_extension_within_first_month_writes_the_letter(dsr):
    dsr("init")
    received = (date.today() - timedelta(days=5)).isoformat()
    rid = str(
        dsr.json(
            "request",
            "new",
            "access",
            "--name",
            "Jan",
            "--email",
            "j@ex.be",
            "--received",
            received,
        )["id"]
    )
    before = dsr.json("request", "show", rid)["clock"]["due"]
    out = dsr.json("request", "extend", rid, "--reason", "Acht systemen te doorzoeken")
    assert out["clock"]["extended"] is True
    assert out["clock"]["due"] > before
    assert date.fromisoformat(out["clock"]["due"]) >= date.fromisoformat(received) + timedelta(
        days=88
    )
    letter = open(out["letter"], encoding="utf-8").read()
    due_in_words = date_words("nl", date.fromisoformat(out["clock"]["due"]))
    assert "Acht systemen te doorzoeken" in letter and due_in_words in letter
    twice = dsr.fails("request", "extend", rid, "--reason", "more")
    assert "already" in twice.stderr


def test_late_extension_is_refused_and_changes_nothing(dsr):
    dsr("init")
    received = (date.today() - timedelta(days=45)).isoformat()
    rid = str(
        dsr.json(
            "request",
            "new",
            "access",
            "--name",
            "Jan",
            "--email",
            "j@ex.be",
            "--received",
            received,
        )["id"]
    )
    before = dsr.json("request", "show", rid)
    result = dsr.fails("request", "extend", rid, "--reason", "busy")
    assert "Art. 12(3)" in result.stderr
    after = dsr.json("request", "show", rid)
    assert after["clock"] == before["clock"]
    assert not any(e["action"] == "clock.extended" for e in dsr.json("audit", "show", rid))


def test_extension_needs_a_reason(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "J", "--email", "j@ex.be")["id"])
    assert "reason" in dsr.fails("request", "extend", rid, "--reason", "  ").stderr


def test_pause_and_resume_move_the_due_date_by_the_paused_days(dsr):
    dsr("init")
    received = date.today() - timedelta(days=20)
    rid = str(
        dsr.json(
            "request",
            "new",
            "access",
            "--name",
            "J",
            "--email",
            "j@ex.be",
            "--received",
            received.isoformat(),
        )["id"]
    )
    paused_on = received + timedelta(days=2)
    out = dsr.json("request", "pause", rid, "--reason", "identity", "--on", paused_on.isoformat())
    assert out["clock"]["due"] is None and out["clock"]["paused_since"] == paused_on.isoformat()
    assert "paused" in dsr("due").stdout
    resumed_on = received + timedelta(days=12)
    out = dsr.json("request", "resume", rid, "--on", resumed_on.isoformat())
    from dsr_core import clock

    expected = clock.due_date(received, pauses=[clock.Pause(paused_on, resumed_on)])
    assert out["clock"]["due"] == expected.isoformat()
    assert out["clock"]["paused_days"] == 10
    actions = [e["action"] for e in dsr.json("audit", "show", rid)]
    assert actions.count("clock.paused") == 1 and actions.count("clock.resumed") == 1


def test_verification_ends_an_identity_pause(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "J", "--email", "j@ex.be")["id"])
    dsr("request", "pause", rid, "--reason", "identity")
    out = dsr.json("request", "verify", rid, "--method", "copy of eID received")
    assert out["state"] == "identity_verified"
    assert out["clock"]["paused_since"] is None and out["clock"]["due"]


def test_list_filters_and_due_board_order(dsr):
    dsr("init")
    today = date.today()
    old = dsr.json(
        "request",
        "new",
        "access",
        "--name",
        "Old",
        "--email",
        "o@ex.be",
        "--received",
        (today - timedelta(days=70)).isoformat(),
    )["id"]
    soon = dsr.json(
        "request",
        "new",
        "access",
        "--name",
        "Soon",
        "--email",
        "s@ex.be",
        "--received",
        (today - timedelta(days=27)).isoformat(),
    )["id"]
    fresh = dsr.json("request", "new", "access", "--name", "New", "--email", "n@ex.be")["id"]
    gone = dsr.json("request", "new", "access", "--name", "Gone", "--email", "g@ex.be")["id"]
    dsr("request", "withdraw", str(gone))
    assert [r["id"] for r in dsr.json("request", "list", "--overdue")] == [old]
    assert {r["id"] for r in dsr.json("request", "list")} == {old, soon, fresh}
    assert {r["id"] for r in dsr.json("request", "list", "--all")} == {old, soon, fresh, gone}
    within = {r["id"] for r in dsr.json("request", "list", "--due-within", "7")}
    assert old in within and soon in within and fresh not in within
    board = dsr.json("due")["requests"]
    assert [r["id"] for r in board] == [old, soon, fresh]
    text = dsr("due").stdout
    # rows by their id column (a date like 2026-10-23 must not pass for request 3's row)
    ids = [line.split()[0] for line in text.splitlines()[2:]]
    assert ids == [str(old), str(soon), str(fresh)]
    assert "OVERDUE" in text.splitlines()[2]


def test_due_ics_is_a_calendar_without_personal_data(dsr, tmp_path):
    dsr("init")
    dsr("request", "new", "access", "--name", "Jan Peeters", "--email", "jan@ex.be")
    dsr("request", "new", "erasure", "--name", "An Claes", "--phone", "0477123456")
    path = tmp_path / "due.ics"
    dsr("due", "--ics", str(path))
    raw = path.read_bytes()
    text = raw.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 2 and "DTSTART;VALUE=DATE:" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "Jan" not in text and "jan@ex.be" not in text and "477" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unknown_request_id(dsr):
    dsr("init")
    assert dsr.fails("request", "show", "42").stderr.strip() == "dsr: error: no request 42"
    assert "a request id is a number" in dsr.fails("request", "show", "abc").stderr
