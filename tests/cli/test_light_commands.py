"""The light commands (``request list``, ``request show``, ``due``, ``request new``) answer
exactly as the full path does, without loading SQLAlchemy, structlog or the holiday library
once their tables are saved (issue 13: each command's fixed cost under 0.25 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests.export.store_edits import set_request, set_task

CONFIG = """
[controller]
name = "Voxtra"

[systems.desk]
type = "manual"
instructions = "Look in the drawer"

[systems.files]
type = "manual"
"""
LIGHT = {"DSR_NO_LIGHT": ""}
FULL = {"DSR_NO_LIGHT": "1"}


@pytest.fixture
def home(dsr, monkeypatch):
    """A home with requests in many states (SQLite, and PostgreSQL where the reads go through
    psycopg)."""
    monkeypatch.setenv("DSR_TODAY", "2026-11-20")
    dsr.write_config(CONFIG)
    dsr("init")
    new = ("request", "new")
    dsr(
        *new,
        "access",
        "--name",
        "An",
        "--email",
        "an@example.be",
        "--phone",
        "0477 12 34 56",
        "--customer-id",
        "crm:C-1",
        "--received",
        "2026-10-01",
        "--note",
        "came by letter",
    )
    dsr(*new, "objection", "--name", "Bo", "--email", "bo@example.be", "--received", "2026-11-02")
    dsr(
        *new,
        "portability",
        "--name",
        "Cas",
        "--email",
        "cas@example.be",
        "--received",
        "2026-11-10",
    )
    dsr("request", "pause", "3", "--reason", "identity", "--on", "2026-11-12", "--note", "eID?")
    dsr(*new, "access", "--name", "Dirk", "--email", "dirk@example.be", "--received", "2026-11-05")
    dsr("request", "extend", "4", "--reason", "many systems", "--on", "2026-11-06")
    dsr(*new, "erasure", "--name", "Els", "--email", "els@example.be", "--received", "2026-11-18")
    dsr(*new, "access", "--name", "Fien", "--email", "fien@example.be")
    dsr("request", "verify", "6", "--method", "eID")
    dsr("request", "reject", "6", "--reason", "manifestly unfounded")
    dsr(
        *new,
        "portability",
        "--name",
        "Gert",
        "--email",
        "gert@example.be",
        "--received",
        "2026-11-11",
    )
    dsr("request", "pause", "7", "--reason", "clarification", "--on", "2026-11-12")
    dsr("request", "resume", "7", "--on", "2026-11-16")
    # request 1 run: one task as the engine leaves a finished one with unread items, one failed
    dsr("request", "verify", "1", "--method", "eID")
    dsr("request", "run", "1", ok=False)
    finished = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)
    summary = {"counts": {"kept": 2, "found": 5}, "unread": ["a.pdf: page 2"], "unread_count": 3}
    set_task(dsr, 1, "desk", state="done", summary=summary, finished_at=finished)
    set_task(dsr, 1, "files", state="failed", error="share offline", attempts=2)
    set_request(dsr, 1, needs_attention=True)
    return dsr


def _both(dsr, monkeypatch, *args):
    out = {}
    for name, env in (("light", LIGHT), ("full", FULL)):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        out[name] = (dsr(*args, ok=False), dsr(*args, "--json", ok=False))
    light, full = out["light"], out["full"]
    assert (light[0].exit_code, light[0].stdout, light[0].stderr) == (
        full[0].exit_code,
        full[0].stdout,
        full[0].stderr,
    ), args
    assert light[1].stdout == full[1].stdout, args
    return full[0].stdout


#: read-only commands, compared on one home (building it costs seconds on PostgreSQL)
READS = [
    ("request", "list"),
    ("request", "list", "--all"),
    ("request", "list", "--overdue"),
    ("request", "list", "--due-within", "10"),
    ("due",),
    ("request", "list", "--limit", "2"),
    ("request", "list", "--all", "--limit", "3"),
    ("due", "--limit", "1"),
    *[("request", "show", str(i)) for i in range(1, 8)],
    ("request", "show", "#2"),
    ("request", "show", "99"),
    ("request", "show", "x"),
]


def test_light_and_full_paths_print_the_same(home, monkeypatch):
    for args in READS:
        shown = _both(home, monkeypatch, *args)
        if args == ("request", "list", "--all"):
            assert shown.count("\n") == 9  # header, rule, seven requests


def test_the_default_list_shows_the_most_urgent_first_and_says_what_is_left(home):
    text = home("request", "list", "--limit", "2").stdout.splitlines()
    # on 20 Nov 2026: An (due 2 Nov) overdue, Bo 2 Dec, Gert 15 Dec (paused 4 days), Els
    # 18 Dec, Dirk 5 Feb (extended), Cas paused; Fien rejected
    assert [line.split()[0] for line in text[2:4]] == ["1", "2"]
    assert text[4] == "2 of 6 shown, most urgent first; 4 more: --limit 0 shows them all"
    everything = home.json("request", "list")
    assert [r["id"] for r in everything] == [1, 2, 7, 5, 4, 3]
    assert len(home("request", "list", "--limit", "0").stdout.splitlines()) == 2 + 6
    board = home.json("due", "--limit", "1")
    assert [r["id"] for r in board["requests"]] == [1] and board["total"] == 6


def _imports(home, *args: str) -> set[str]:
    """The heavy modules a command loaded, in a fresh process."""
    code = (
        "import atexit, sys\n"
        "heavy = ('sqlalchemy', 'structlog', 'holidays', 'pluggy', 'jinja2', 'psycopg')\n"
        "atexit.register(lambda: print(' '.join(m for m in heavy if m in sys.modules),"
        " file=sys.stderr))\n"
        "from dsr_core.cli import main\n"
        f"main({list(args)!r})\n"
    )
    env = dict(os.environ, **home.env, DSR_NO_LIGHT="")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


def test_everyday_commands_load_no_heavy_library(home, database_url):
    if database_url is not None:
        pytest.skip("on PostgreSQL the light reads load psycopg; request new is the full path's")
    # the first deadline computed saves the holiday tables; from then on no command loads them
    home("due")
    for args in (
        ["request", "list"],
        ["request", "show", "1"],
        ["due"],
        ["request", "new", "access", "--name", "Hans", "--customer-id", "C-9"],
    ):
        assert _imports(home, *args) == set(), args
    assert _imports(home, "request", "show", "5") >= {"sqlalchemy"}  # an erasure: Art. 19


def test_a_database_of_an_unknown_schema_takes_the_full_path(home, database_url):
    if database_url is not None:
        pytest.skip("edits the SQLite file")
    import sqlite3

    db = sqlite3.connect(home.home / "dsr.sqlite3")
    with db:
        db.execute("UPDATE dsr_meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    refused = home.fails("request", "list")
    assert "newer than this dsr understands" in refused.stderr


def test_holiday_tables_of_another_library_version_are_not_used(home, monkeypatch):
    cache = home.home / "cache" / "holidays.json"
    home("due")  # the first light command saves the tables it computed
    assert cache.exists()
    # a saved table that (wrongly) makes every day of December 2026 a holiday
    tables = {"BE||2026": [f"2026-12-{d:02d}" for d in range(1, 32)]}
    cache.write_text(json.dumps({"library": "holidays-0.0.dist-info", "tables": tables}))
    # received 2 Nov 2026: due Wednesday 2 Dec 2026, an ordinary working day
    assert home.json("request", "show", "2")["clock"]["due"] == "2026-12-02"
    assert home.json("due")["requests"][0]["clock"]["due"] != "2026-12-31"
    assert "holidays-0.0" not in cache.read_text()  # replaced by the installed library's


def _answered_at(dsr, request_id: int, at: datetime) -> None:
    """The moment the answer went out, as ``dsr request answer`` stores it (``answers``),
    set to a fixed day so the board's "met" / "late" does not depend on the test's date."""
    import sqlalchemy as sa

    from dsr_core.answer.record import AnswerRow
    from tests.export.store_edits import _store

    store = _store(dsr)
    try:
        with store.session() as session:
            session.execute(
                sa.update(AnswerRow)
                .where(AnswerRow.request_id == request_id)
                .values(answered_at=at)
            )
    finally:
        store.engine.dispose()


def _objection(dsr, name: str, received: str, *extra: str) -> int:
    """An objection recorded verified and run; both manual tasks then confirmed done, so it
    waits for the answer to the subject (``awaiting_answer``)."""
    dsr("request", "new", "objection", "--name", name, "--email", f"{name.lower()}@example.be",
        "--received", received, "--verified", "eID", *extra)  # fmt: skip
    rid = dsr.json("request", "list", "--all")[-1]["id"]
    dsr("request", "run", str(rid), ok=False)
    for task in dsr.json("request", "show", str(rid))["tasks"]:
        dsr("tasks", "done", str(task["id"]))
    return rid


@pytest.fixture
def answered(home):
    """``home`` plus the states main added: waiting for the answer (in French), answered in
    time, answered late, answered long ago, answered but still open and past its due day
    (``requests.complete_answered`` leaves a request open while a recipient holds it up),
    and a termination (no deadline)."""
    dsr = home
    waiting = _objection(dsr, "Hilde", "2026-10-25", "--language", "fr")  # 8
    met = _objection(dsr, "Ilse", "2026-11-03")  # 9: due 3 Dec
    late = _objection(dsr, "Jo", "2026-09-01")  # 10: due 1 Oct
    old = _objection(dsr, "Kurt", "2026-07-01")  # 11
    still_open = _objection(dsr, "Lien", "2026-09-15")  # 12: due 15 Oct
    for rid, at in (
        (met, datetime(2026, 11, 18, 10, 0, tzinfo=UTC)),
        (late, datetime(2026, 10, 30, 16, 45, tzinfo=UTC)),
        (old, datetime(2026, 8, 20, 8, 0, tzinfo=UTC)),
        (still_open, datetime(2026, 11, 2, 9, 0, tzinfo=UTC)),
    ):
        dsr("request", "answer", str(rid), "--by", "letter")
        _answered_at(dsr, rid, at)
    set_request(dsr, still_open, state="in_progress")
    dsr("request", "new", "termination", "--name", "Mira", "--customer-id", "crm:1004")  # 13
    assert dsr.json("request", "show", str(waiting))["state"] == "awaiting_answer"
    return dsr


#: read-only commands, compared on one home (building it costs seconds on PostgreSQL)
ANSWER_READS = [
    ("request", "list"),
    ("request", "list", "--all"),
    ("request", "list", "--overdue"),
    ("request", "list", "--due-within", "20"),
    ("request", "list", "--all", "--limit", "4"),
    ("due",),
    ("due", "--limit", "2"),
    *[("request", "show", str(i)) for i in range(8, 14)],
]


def test_light_and_full_paths_agree_on_answers_and_terminations(answered, monkeypatch):
    for args in ANSWER_READS:
        _both(answered, monkeypatch, *args)


def test_the_light_path_shows_answers_language_and_terminations(answered, monkeypatch):
    monkeypatch.setenv("DSR_NO_LIGHT", "")
    waiting = answered("request", "show", "8").stdout
    assert "waiting for the answer" in waiting and "language:  fr" in waiting
    board = answered.json("due")
    rows = {r["id"]: r for r in board["requests"]}
    assert rows[9]["answer"] == {"on": "2026-11-18", "met": True, "days_late": 0}
    assert rows[10]["answer"]["met"] is False and rows[10]["answer"]["on"] == "2026-10-30"
    assert 11 not in rows  # answered more than 30 days ago
    assert 13 not in rows  # a termination has no deadline
    assert not rows[12]["clock"]["overdue"]  # answered: no longer overdue, though open
    overdue = {r["id"] for r in answered.json("request", "list", "--overdue")}
    assert 12 not in overdue and 1 in overdue
    text = answered("due").stdout
    assert "answered 2026-11-18, met" in text and "answered 2026-10-30, LATE" in text
    listed = answered("request", "list", "--all").stdout.splitlines()
    mira = next(line for line in listed if "Mira" in line)
    assert mira.split()[:5] == ["13", "termination", "received", "2026-11-20", "-"]
    assert answered.json("request", "show", "13")["clock"]["applies"] is False


def test_answers_and_terminations_need_no_heavy_library(answered, database_url):
    if database_url is not None:
        pytest.skip("on PostgreSQL the light reads load psycopg")
    answered("due")
    for args in (
        ["request", "list", "--all"],
        ["request", "show", "8"],
        ["request", "show", "13"],
        ["due"],
        ["request", "new", "termination", "--name", "Nora", "--customer-id", "crm:1005"],
        [
            "request",
            "new",
            "access",
            "--name",
            "Olaf",
            "--email",
            "o@example.be",
            "--language",
            "en",
        ],
    ):
        assert _imports(answered, *args) == set(), args
