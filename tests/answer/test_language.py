"""The subject's language, recorded with the request (``dsr request new --language``): shown,
and used by default by every letter to the subject and by the bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.engine.helpers import config, write_store

JAN = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}}]


def _setup(dsr: Any) -> None:
    write_store(dsr.home / "crm.json", JAN)
    dsr.write_config(
        config({"crm": {"type": "test-store", "path": "crm.json"}}, 'email = "p@voxtra.be"')
    )
    dsr("init")


def _new(dsr: Any, *extra: str) -> str:
    made = dsr.json("request", "new", "access", "--name", "Jan", "--email", "jan@example.be",
                    *extra)  # fmt: skip
    return str(made["id"])


def test_the_language_is_recorded_shown_and_refused_when_unknown(dsr):
    _setup(dsr)
    rid = _new(dsr, "--language", "fr")
    shown = dsr.json("request", "show", rid)
    assert shown["language"] == "fr"
    assert "language:  fr" in dsr("request", "show", rid).stdout
    other = _new(dsr, "--force")
    assert dsr.json("request", "show", other)["language"] == "nl"  # the controller's
    refused = dsr.fails("request", "new", "access", "--name", "Jan", "--email", "j@x.be",
                        "--language", "de", "--force")  # fmt: skip
    assert "--language" in refused.stderr and "de" in refused.stderr
    created = dsr.json("audit", "show", rid)[0]
    assert created["action"] == "request.created" and created["data"]["language"] == "fr"


def test_letters_and_the_bundle_follow_the_request_language(dsr):
    _setup(dsr)
    rid = _new(dsr, "--language", "fr")
    dsr("request", "verify", rid, "--method", "eID")
    extended = dsr.json("request", "extend", rid, "--reason", "Demande complexe.")
    text = Path(extended["letter"]).read_text(encoding="utf-8")
    assert "Madame, Monsieur," in text and "Demande complexe." in text
    dsr("request", "run", rid)
    answered = dsr.json("request", "answer", rid, "--by", "letter")
    assert "Madame, Monsieur," in Path(answered["letter"]["text"]).read_text(encoding="utf-8")
    english = dsr.json("request", "answer", rid, "--by", "letter", "--again", "--language", "en")
    assert "Dear Jan," in Path(english["letter"]["text"]).read_text(encoding="utf-8")

    from dsr_core.cli.app import App, engine_context
    from dsr_core.export_source import bundle_inputs

    app = App(home=str(dsr.home))
    request, _sections, _recipients = bundle_inputs(engine_context(app), int(rid))
    app.store.dispose()
    assert request.language == "fr"  # the bundle's report is written in it

    refused = _new(dsr, "--force", "--language", "en")
    dsr("request", "reject", refused, "--reason", "Manifestly unfounded.")
    letter = dsr.home / "letters" / f"request-{refused}-refusal.txt"
    assert "Dear Jan," in letter.read_text(encoding="utf-8")
