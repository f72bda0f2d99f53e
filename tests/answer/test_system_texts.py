"""A system's ``purposes``, ``legal_basis``, ``retention`` and ``source`` per language: the
report in the bundle gives them in the request's language, else the controller's, else any;
a text without languages stays as staff wrote it; a wrong shape is a one-line error."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from dsr_core.config import ConfigFileError, load_config
from tests.engine.helpers import config, write_store

ROWS = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"name": "Jan"}}]
CRM = {
    "type": "test-store",
    "path": "crm.json",
    "purposes": {"nl": "Klantenbeheer en facturatie", "fr": "Gestion de la clientèle"},
    "legal_basis": {"nl": "Uitvoering van de overeenkomst", "en": "Performance of the contract"},
    "retention": "Btw-wetboek art. 60",
}


def _report(dsr: Any, tmp_path: Path, language: str) -> str:
    made = dsr.json("request", "new", "access", "--name", "Jan", "--email", "jan@example.be",
                    "--language", language, "--force")  # fmt: skip
    rid = str(made["id"])
    dsr("request", "verify", rid, "--method", "eID at the desk")
    dsr("request", "run", rid)
    target = tmp_path / f"{language}.zip"
    dsr("export", rid, "-o", str(target))
    with zipfile.ZipFile(target) as zf:
        return zf.read("report.html").decode()


def test_the_report_gives_each_text_in_the_request_s_language(dsr, tmp_path):
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(config({"crm": CRM}))  # the controller writes Dutch (the default)
    dsr("init")
    fr = _report(dsr, tmp_path, "fr")
    assert "Gestion de la clientèle" in fr and "Klantenbeheer" not in fr
    assert "Uitvoering van de overeenkomst" in fr  # no French: the controller's language
    assert "Btw-wetboek art. 60" in fr  # one text for every language, as staff wrote it
    en = _report(dsr, tmp_path, "en")
    assert "Performance of the contract" in en and "Klantenbeheer en facturatie" in en
    nl = _report(dsr, tmp_path, "nl")
    assert "Klantenbeheer en facturatie" in nl and "Gestion" not in nl


@pytest.mark.parametrize(
    "value",
    ['{ de = "Kundenverwaltung" }', '{ nl = "" }', "42", "{ nl = 3 }"],
)
def test_a_wrong_text_is_a_one_line_error(tmp_path, value):
    path = tmp_path / "dsr.toml"
    path.write_text(f'[systems.crm]\ntype = "manual"\npurposes = {value}\n', encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_config(str(path))
    message = str(caught.value)
    assert "systems.crm.purposes" in message and "\n" not in message
    assert "nl, en, fr" in message


@pytest.mark.parametrize("language", ["nl", "en", "fr"])
def test_the_report_gives_a_plugin_s_default_basis_in_its_language(tmp_path, language):
    """The kept records table of an erasure report: Odoo's default basis per language."""
    import html

    from dsr_core.model import Action, Outcome, RequestKind
    from dsr_plugins.crm.odoo_config import DEFAULT_BASIS
    from tests.export.helpers import make_request, open_bundle, section, write

    kept = [Outcome("account.move/7", "invoice", Action.KEPT, DEFAULT_BASIS, None)]
    request = make_request(RequestKind.ERASURE, language=language)
    path = write(tmp_path, request, [section(outcomes=kept)]).path
    report = html.unescape(open_bundle(path).text("report.html"))
    assert DEFAULT_BASIS[language] in report
    others = [DEFAULT_BASIS[lang] for lang in ("nl", "en", "fr") if lang != language]
    assert not any(text in report for text in others)
