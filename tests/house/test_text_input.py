"""Names and staff's free text: bounded in length, without control or bidi characters."""

from __future__ import annotations


def test_a_huge_name_is_refused_in_one_line_and_nothing_is_recorded(dsr):
    dsr("init")
    result = dsr.fails("request", "new", "access", "--name", "J" * 100_000, "--email", "j@x.be")
    message = result.stderr.strip()
    assert "100000 characters" in message and "at most 200" in message
    assert len(message) < 300 and "\n" not in message
    assert dsr.json("request", "list", "--all") == []


def test_a_huge_note_or_method_is_refused(dsr):
    dsr("init")
    note = dsr.fails(
        "request", "new", "access", "--name", "Jan", "--email", "j@x.be", "--note", "x" * 5000
    )
    assert "the note is 5000 characters" in note.stderr
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@x.be")["id"])
    method = dsr.fails("request", "verify", rid, "--method", "eID " * 1000)
    assert "verification method" in method.stderr
    assert dsr.json("request", "show", rid)["state"] == "received"


def test_a_huge_identity_is_refused_without_echoing_it(dsr):
    dsr("init")
    result = dsr.fails("request", "new", "access", "--name", "Jan", "--customer-id", "9" * 50_000)
    assert "at most 320" in result.stderr and len(result.stderr) < 300


def test_control_and_bidi_override_characters_are_dropped(dsr):
    dsr("init")
    name = "Jan\u202e sreteeP\u202c\x1b[31m\x07"
    note = "called\x00 twice\r\nsee \u2066ticket\u2069 42"
    rid = str(
        dsr.json("request", "new", "access", "--name", name, "--email", "j@x.be", "--note", note)[
            "id"
        ]
    )
    shown = dsr.json("request", "show", rid)
    assert shown["subject"]["name"] == "Jan sreteeP[31m"
    assert shown["note"] == "called twice\nsee ticket 42"
    dsr("request", "verify", rid, "--method", "eID\u202e at the desk\x1b")
    shown = dsr.json("request", "show", rid)
    assert shown["verification"]["method"] == "eID at the desk"
    listing = dsr("request", "list").stdout
    assert "\u202e" not in listing and "\x1b" not in listing and "\x07" not in listing


def test_the_refusal_letter_gets_the_cleaned_reason(dsr):
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "Jan", "--email", "j@x.be")["id"])
    result = dsr.json("request", "reject", rid, "--reason", "manifestly \u202eunfounded\u202c")
    letter = open(result["letter"], encoding="utf-8").read()
    assert "manifestly unfounded" in letter and "\u202e" not in letter


def test_every_free_text_option_is_bounded_and_cleaned(dsr):
    """Notes and reasons given to other commands than `request new` are staff's free text
    too: stored on tasks, notices and suppliers, shown in terminals and on the trail."""
    dsr("init")
    huge = dsr.fails(
        "suppliers",
        "add",
        "Telco",
        "--role",
        "carrier",
        "--email",
        "x@telco.be",
        "--note",
        "n" * 3000,
    )
    assert "the note is 3000 characters" in huge.stderr and len(huge.stderr) < 300
    assert dsr.json("suppliers", "list") == []
    alias = dsr.fails(
        "suppliers",
        "add",
        "Telco",
        "--role",
        "carrier",
        "--email",
        "x@telco.be",
        "--alias",
        "a" * 2500,
    )
    assert "an alias is 2500 characters" in alias.stderr
    dsr(
        "suppliers",
        "add",
        "Telco",
        "--role",
        "carrier",
        "--email",
        "x@telco.be",
        "--note",
        "DPA\u202e 2024\x1b[0m",
    )
    shown = dsr.json("suppliers", "show", "Telco")
    assert shown["note"] == "DPA 2024[0m"
    tasks_note = dsr.fails("tasks", "done", "1", "--note", "t" * 2001)
    assert "the note is 2001 characters" in tasks_note.stderr
